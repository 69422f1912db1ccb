"""sObject Collections and Composite: per-record results, allOrNone rollback, references between
subrequests, and one API call for the whole composite request."""

from __future__ import annotations

from typing import Any

import pytest
from sf_support import API, Org

ROLLED_BACK = "ALL_OR_NONE_OPERATION_ROLLED_BACK"


def account(name: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, "Name": name, **fields}


def codes(result: dict[str, Any]) -> list[str]:
    return [e["statusCode"] for e in result["errors"]]


def test_create_all_or_none_rolls_back_every_record(org: Org) -> None:
    records = [account("One"), {"attributes": {"type": "Account"}, "Industry": "Retail"}, account("Three")]
    results = org.ok("POST", "composite/sobjects", json={"allOrNone": True, "records": records})
    assert [r["success"] for r in results] == [False, False, False]
    assert [codes(r) for r in results] == [[ROLLED_BACK], ["REQUIRED_FIELD_MISSING"], [ROLLED_BACK]]
    assert results[1]["errors"][0]["fields"] == ["Name"]
    assert org.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_create_without_all_or_none_keeps_the_valid_records(org: Org) -> None:
    records = [account("One"), {"Name": "untyped"}, account("Three", Concord_Id__c="A-3")]
    results = org.ok("POST", "composite/sobjects", json={"records": records})
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1]["errors"] == [
        {"statusCode": "INVALID_TYPE", "message": "Must send a concrete entity type.", "fields": []}
    ]
    assert sorted(r["Name"] for r in org.query("SELECT Name FROM Account")["records"]) == ["One", "Three"]


def test_update_delete_and_retrieve_collections(org: Org) -> None:
    first, second = (org.create("Account", Name=n) for n in ("One", "Two"))
    updates = [
        {"attributes": {"type": "Account"}, "Id": first, "Industry": "Retail"},
        {"attributes": {"type": "Account"}, "Id": second, "NumberOfEmployees": "many"},
        {"attributes": {"type": "Account"}, "Industry": "Retail"},
    ]
    results = org.ok("PATCH", "composite/sobjects", json={"records": updates})
    assert [r["success"] for r in results] == [True, False, False]
    assert codes(results[1]) == ["JSON_PARSER_ERROR"] and codes(results[2]) == ["MISSING_ARGUMENT"]
    fetched = org.ok(
        "GET", "composite/sobjects/Account", params={"ids": f"{first},{second}", "fields": "Name,Industry"}
    )
    assert [(r["Name"], r["Industry"]) for r in fetched] == [("One", "Retail"), ("Two", None)]

    deleted = org.ok("DELETE", "composite/sobjects", params={"ids": f"{first},bogus,{second}"})
    assert [r["success"] for r in deleted] == [True, False, True]
    assert codes(deleted[1]) == ["MALFORMED_ID"]
    again = org.ok("DELETE", "composite/sobjects", params={"ids": first})
    assert codes(again[0]) == ["ENTITY_IS_DELETED"]


def test_upsert_collection_by_external_id(org: Org) -> None:
    org.create("Account", Name="Existing", Concord_Id__c="A-1")
    records = [
        account("Existing renamed", Concord_Id__c="a-1"),
        account("New", Concord_Id__c="A-2"),
        account("Twin", Concord_Id__c="A-3"),
        account("Twin again", Concord_Id__c="A-3"),
        account("No key"),
    ]
    results = org.ok("PATCH", "composite/sobjects/Account/Concord_Id__c", json={"records": records})
    assert [(r["success"], r.get("created")) for r in results[:2]] == [(True, False), (True, True)]
    assert codes(results[2]) == codes(results[3]) == ["DUPLICATE_EXTERNAL_ID"]
    assert codes(results[4]) == ["MISSING_ARGUMENT"]
    assert sorted(r["Name"] for r in org.query("SELECT Name FROM Account")["records"]) == [
        "Existing renamed",
        "New",
    ]
    too_many = org.call(
        "POST", "composite/sobjects", json={"records": [account(f"n{i}") for i in range(201)]}
    )
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_references_and_single_api_call(org: Org) -> None:
    before = org.call("GET", "limits").headers["Sforce-Limit-Info"]
    body = {
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{API}/sobjects/Account",
                "referenceId": "acct",
                "body": {"Name": "Acme"},
            },
            {
                "method": "POST",
                "url": f"{API}/sobjects/Opportunity",
                "referenceId": "opp",
                "body": {
                    "Name": "Deal",
                    "StageName": "Prospecting",
                    "CloseDate": "2026-06-30",
                    "AccountId": "@{acct.id}",
                },
            },
            {
                "method": "GET",
                "url": f"{API}/query?q=SELECT+Id,Account.Name+FROM+Opportunity+WHERE+Id='@{{opp.id}}'",
                "referenceId": "read",
            },
            {
                "method": "PATCH",
                "url": f"{API}/sobjects/Account/@{{read.records[0].Account.attributes.url}}",
                "referenceId": "bad",
            },
            {"method": "GET", "url": f"{API}/sobjects/Account/@{{bad.id}}", "referenceId": "halted"},
        ]
    }
    answers = org.ok("POST", "composite", json=body)["compositeResponse"]
    assert [(a["referenceId"], a["httpStatusCode"]) for a in answers] == [
        ("acct", 201),
        ("opp", 201),
        ("read", 200),
        ("bad", 404),
        ("halted", 400),
    ]
    assert answers[0]["httpHeaders"]["Location"] == f"{API}/sobjects/Account/{answers[0]['body']['id']}"
    assert answers[2]["body"]["records"][0]["Account"]["Name"] == "Acme"
    assert answers[4]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    used_before = int(before.split("=")[1].split("/")[0])
    after = org.call("GET", "limits").headers["Sforce-Limit-Info"]
    # The limits call itself, then the composite call, then this limits call: three calls in all.
    assert int(after.split("=")[1].split("/")[0]) == used_before + 2


def test_composite_all_or_none_rolls_back(org: Org) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": f"{API}/sobjects/Account",
                "referenceId": "ok",
                "body": {"Name": "Kept?"},
            },
            {
                "method": "POST",
                "url": f"{API}/sobjects/Opportunity",
                "referenceId": "bad",
                "body": {"Name": "x"},
            },
            {
                "method": "POST",
                "url": f"{API}/sobjects/Account",
                "referenceId": "later",
                "body": {"Name": "Never"},
            },
        ],
    }
    answers = org.ok("POST", "composite", json=body)["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [400, 400, 400]
    assert answers[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert answers[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert answers[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert org.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    # Nothing of the rolled-back transaction reaches the change log.
    events = org.ok("GET", "sandbox-cdc/ChangeEvents", params={"replayId": -2})
    assert events["events"] == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "composite/sobjects", [1, 2]),
        ("POST", "composite/sobjects", {"records": [1, "x", None, {"attributes": "Account"}]}),
        ("PATCH", "composite/sobjects", {"records": [{"attributes": {"type": "Account"}, "Id": 5}]}),
        ("PATCH", "composite/sobjects/Account/Concord_Id__c", {"records": [{"Concord_Id__c": "x"}, []]}),
        (
            "POST",
            "composite",
            {"compositeRequest": [{"url": 5, "httpHeaders": "x", "body": {"a": ["@{nope.id}"]}}]},
        ),
        ("POST", "composite", {"compositeRequest": "nope"}),
        ("POST", "sobjects/Account", [{"Name": "list body"}]),
        ("PATCH", "sobjects/Account/Concord_Id__c/K-1", {"Name": {"nested": True}}),
    ],
)
def test_odd_bodies_get_platform_errors_not_crashes(org: Org, method: str, path: str, body: Any) -> None:
    response = org.call(method, path, json=body)
    assert response.status_code < 500, response.text
    payload = response.json()
    if response.status_code >= 400:
        assert {"message", "errorCode", "fields"} <= set(payload[0])
    else:
        flattened = payload["compositeResponse"] if isinstance(payload, dict) else payload
        assert all(
            item.get("success") is False or item.get("httpStatusCode", 200) >= 400 for item in flattened
        )
