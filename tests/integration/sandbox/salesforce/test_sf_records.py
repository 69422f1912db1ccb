"""Record resources over HTTP: ids, audit fields, validation errors in the platform's shapes, upsert
status codes, nested external-id references, derived fields, cascade delete, describe, replication."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sf_support import API, Org

from concord.sandbox.salesforce import INTEGRATION_USER_ID

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
OPPORTUNITY = {"Name": "Acme - Phase 2", "StageName": "Prospecting", "CloseDate": "2026-12-31"}


def error(org: Org, method: str, path: str, status: int, **kwargs: object) -> dict[str, object]:
    response = org.call(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"message", "errorCode", "fields"}
    return body[0]  # type: ignore[no-any-return]


def test_ids_and_audit_fields_follow_the_platform(org: Org) -> None:
    account = org.create("Account", Name="Acme")
    contact = org.create("Contact", LastName="Lovelace", FirstName="Ada", AccountId=account)
    opportunity = org.create("Opportunity", AccountId=account, **OPPORTUNITY)
    item = org.create("OpportunityLineItem", OpportunityId=opportunity, Quantity=10, UnitPrice=150)
    change = org.create("Change_Order__c", Name="CO-1", Opportunity__c=opportunity, Delta_Amount__c=5000)
    prefixes = [record_id[:3] for record_id in (account, contact, opportunity, item, change)]
    assert prefixes == ["001", "003", "006", "00k", "a0X"]
    assert all(len(record_id) == 18 for record_id in (account, contact, opportunity, item, change))

    record = org.ok("GET", f"sobjects/Contact/{contact}")
    assert record["attributes"] == {"type": "Contact", "url": f"{API}/sobjects/Contact/{contact}"}
    assert record["Name"] == "Ada Lovelace"
    assert record["CreatedById"] == record["LastModifiedById"] == record["OwnerId"] == INTEGRATION_USER_ID
    assert STAMP.match(record["CreatedDate"]) and record["SystemModstamp"] == record["LastModifiedDate"]
    # A 15-character id reaches the same record.
    assert org.ok("GET", f"sobjects/Contact/{contact[:15]}", params={"fields": "LastName"}) == {
        "attributes": record["attributes"],
        "LastName": "Lovelace",
    }


def test_writes_stamp_the_emulator_clock(org: Org) -> None:
    org.admin("PUT", "clock", json={"now": "2026-03-01T09:00:00Z", "frozen": True})
    account = org.create("Account", Name="Acme")
    org.admin("PUT", "clock", json={"advance_s": 3600})
    org.ok("PATCH", f"sobjects/Account/{account}", 204, json={"Name": "Acme Corp"})
    record = org.ok("GET", f"sobjects/Account/{account}")
    assert record["CreatedDate"] == "2026-03-01T09:00:00.000+0000"
    assert record["LastModifiedDate"] == record["SystemModstamp"] == "2026-03-01T10:00:00.000+0000"


@pytest.mark.parametrize(
    ("body", "code", "message", "fields"),
    [
        ({"Nmae": "x"}, "INVALID_FIELD", "No such column 'Nmae' on sobject of type Opportunity", []),
        (
            {"Amount": "lots"},
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of currency from VALUE_STRING",
            ["Amount"],
        ),
        (
            {"CloseDate": "2026-02-30"},
            "JSON_PARSER_ERROR",
            "Cannot deserialize instance of date",
            ["CloseDate"],
        ),
        (
            {"StageName": "Won-ish"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Stage: bad value for restricted picklist field: Won-ish",
            ["StageName"],
        ),
        (
            {"IsWon": True},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: IsWon.",
            ["IsWon"],
        ),
        (
            {"Id": "006000000000001AAA"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Record ID: cannot specify Id in an insert call",
            ["Id"],
        ),
        ({"Name": "x" * 121}, "STRING_TOO_LONG", "Name: data value too large", ["Name"]),
        (
            {"AccountId": "not-an-id"},
            "MALFORMED_ID",
            "Account ID: id value of incorrect type: not-an-id",
            ["AccountId"],
        ),
        (
            {"AccountId": "003000000000001AAA"},
            "FIELD_INTEGRITY_EXCEPTION",
            "Account ID: id value of incorrect type",
            ["AccountId"],
        ),
        (
            {"AccountId": "001000000000001AAA"},
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            ["AccountId"],
        ),
        ({"Amount": 1e30}, "NUMBER_OUTSIDE_VALID_RANGE", "Amount: value outside of valid range", ["Amount"]),
    ],
)
def test_invalid_opportunities_are_refused_with_the_platform_error(
    org: Org, body: dict[str, object], code: str, message: str, fields: list[str]
) -> None:
    found = error(org, "POST", "sobjects/Opportunity", 400, json={**OPPORTUNITY, **body})
    assert found["errorCode"] == code
    assert str(found["message"]).startswith(message)
    assert found["fields"] == fields
    assert org.query("SELECT COUNT() FROM Opportunity")["totalSize"] == 0


def test_required_fields_and_bad_json(org: Org) -> None:
    missing = error(org, "POST", "sobjects/Opportunity", 400, json={"Name": "x"})
    assert missing == {
        "message": "Required fields are missing: [StageName, CloseDate]",
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["StageName", "CloseDate"],
    }
    account = org.create("Account", Name="Acme")
    nulled = error(org, "PATCH", f"sobjects/Account/{account}", 400, json={"Name": None})
    assert nulled["errorCode"] == "REQUIRED_FIELD_MISSING"
    broken = error(
        org,
        "POST",
        "sobjects/Account",
        400,
        content=b'{"Name": ',
        headers={"Content-Type": "application/json"},
    )
    assert broken["errorCode"] == "JSON_PARSER_ERROR"


def test_not_found_unauthorised_and_wrong_method(org: Org) -> None:
    assert error(org, "GET", "sobjects/Account/001000000000000AAA", 404)["errorCode"] == "NOT_FOUND"
    malformed = error(org, "GET", "sobjects/Account/nope", 404)
    assert malformed["message"] == "Provided external ID field does not exist or is not accessible: nope"
    assert (
        error(org, "GET", "sobjects/Invoice__c/describe", 404)["message"]
        == "The requested resource does not exist"
    )
    assert error(org, "PUT", "sobjects/Account", 405)["errorCode"] == "METHOD_NOT_ALLOWED"
    assert org.client.get("/services/data/v49.0/limits").status_code == 404
    anonymous = org.client.get(f"{API}/limits", headers={"Authorization": "Bearer nonsense"})
    assert anonymous.status_code == 401
    assert anonymous.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID", "fields": []}
    ]


def test_upsert_created_then_updated_and_its_refusals(org: Org) -> None:
    created = org.call("PATCH", "sobjects/Account/Concord_Id__c/CUST-1", json={"Name": "Acme"})
    assert created.status_code == 201
    body = created.json()
    assert body["created"] is True and body["success"] is True and body["errors"] == []
    # External ids match case-insensitively.
    updated = org.call("PATCH", "sobjects/Account/Concord_Id__c/cust-1", json={"Name": "Acme Corp"})
    assert (updated.status_code, updated.json()) == (
        200,
        {"id": body["id"], "success": True, "errors": [], "created": False},
    )
    assert org.ok("GET", "sobjects/Account/Concord_Id__c/CUST-1")["Name"] == "Acme Corp"

    with_id = error(
        org, "PATCH", "sobjects/Account/Concord_Id__c/CUST-1", 400, json={"Id": body["id"], "Name": "x"}
    )
    assert with_id["errorCode"] == "INVALID_FIELD"
    with_key = error(
        org, "PATCH", "sobjects/Account/Concord_Id__c/CUST-1", 400, json={"Concord_Id__c": "CUST-1"}
    )
    assert with_key["errorCode"] == "INVALID_FIELD"
    not_external = error(org, "PATCH", "sobjects/Account/Name/Acme", 404, json={"Industry": "Retail"})
    assert not_external["message"] == "Provided external ID field does not exist or is not accessible: Name"
    assert (
        org.call(
            "PATCH", "sobjects/Account/Concord_Id__c/CUST-2?updateOnly=true", json={"Name": "x"}
        ).status_code
        == 404
    )

    for name in ("a", "b"):
        org.create("Opportunity", **{**OPPORTUNITY, "Name": name, "ERP_Contract_Id__c": "SO-9"})
    ambiguous = org.call("PATCH", "sobjects/Opportunity/ERP_Contract_Id__c/SO-9", json={"Name": "c"})
    assert ambiguous.status_code == 300
    assert all(url.startswith(f"{API}/sobjects/Opportunity/006") for url in ambiguous.json())
    duplicate = error(org, "POST", "sobjects/Account", 400, json={"Name": "Dup", "Concord_Id__c": "cust-1"})
    assert duplicate["errorCode"] == "DUPLICATE_VALUE"


def test_nested_external_id_reference_sets_the_lookup(org: Org) -> None:
    account = org.create("Account", Name="Acme", Concord_Id__c="CUST-7")
    opportunity = org.create("Opportunity", Account={"Concord_Id__c": "CUST-7"}, **OPPORTUNITY)
    assert org.ok("GET", f"sobjects/Opportunity/{opportunity}")["AccountId"] == account
    unknown = error(
        org, "POST", "sobjects/Opportunity", 400, json={"Account": {"Concord_Id__c": "NOPE"}, **OPPORTUNITY}
    )
    assert (
        unknown["message"]
        == "Foreign key external ID: NOPE not found for field Concord_Id__c in entity Account"
    )


def test_line_items_roll_up_and_deletes_cascade(org: Org) -> None:
    opportunity = org.create("Opportunity", Amount=1, **OPPORTUNITY)
    first = org.create(
        "OpportunityLineItem", OpportunityId=opportunity, Quantity=10, UnitPrice="150.25", Role__c="Architect"
    )
    org.create("OpportunityLineItem", OpportunityId=opportunity, Quantity=4, TotalPrice=1000)
    item = org.ok("GET", f"sobjects/OpportunityLineItem/{first}")
    assert item["TotalPrice"] == 1502.5
    assert org.ok("GET", f"sobjects/Opportunity/{opportunity}")["Amount"] == 2502.5
    both = error(
        org,
        "POST",
        "sobjects/OpportunityLineItem",
        400,
        json={"OpportunityId": opportunity, "Quantity": 1, "UnitPrice": 1, "TotalPrice": 1},
    )
    assert both["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"

    org.ok("DELETE", f"sobjects/OpportunityLineItem/{first}", 204)
    assert org.ok("GET", f"sobjects/Opportunity/{opportunity}")["Amount"] == 1000
    assert org.client.post(f"/__sandbox/salesforce/undelete/{first}").status_code == 200
    assert org.ok("GET", f"sobjects/Opportunity/{opportunity}")["Amount"] == 2502.5

    org.ok("DELETE", f"sobjects/Opportunity/{opportunity}", 204)
    assert org.query("SELECT COUNT() FROM OpportunityLineItem")["totalSize"] == 0
    gone = org.ok("GET", "queryAll", params={"q": "SELECT Id, IsDeleted FROM OpportunityLineItem"})
    assert [r["IsDeleted"] for r in gone["records"]] == [True, True]
    assert error(org, "GET", f"sobjects/Opportunity/{opportunity}", 404)["errorCode"] == "ENTITY_IS_DELETED"
    restored = org.client.post(f"/__sandbox/salesforce/undelete/{opportunity}")
    assert restored.status_code == 200
    assert org.ok("GET", f"sobjects/Opportunity/{opportunity}")["IsDeleted"] is False


def test_describe_reports_fields_picklists_and_external_ids(org: Org) -> None:
    described = org.ok("GET", "sobjects/Opportunity/describe")
    fields = {f["name"]: f for f in described["fields"]}
    assert described["keyPrefix"] == "006"
    stages = [v["value"] for v in fields["StageName"]["picklistValues"]]
    assert stages[0] == "Prospecting" and "Closed Won" in stages and fields["StageName"]["restrictedPicklist"]
    assert fields["Concord_Id__c"]["externalId"] and fields["Concord_Id__c"]["unique"]
    assert (fields["IsWon"]["updateable"], fields["Amount"]["type"], fields["AccountId"]["referenceTo"]) == (
        False,
        "currency",
        ["Account"],
    )
    assert {
        "childSObject": "OpportunityLineItem",
        "relationshipName": "OpportunityLineItems",
    }.items() <= next(
        c for c in described["childRelationships"] if c["childSObject"] == "OpportunityLineItem"
    ).items()
    names = [s["name"] for s in org.ok("GET", "sobjects")["sobjects"]]
    assert names == ["Account", "Contact", "Opportunity", "OpportunityLineItem", "Change_Order__c", "User"]
    versions = org.client.get("/services/data").json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions


def test_updated_and_deleted_replication_resources(org: Org) -> None:
    moment = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)
    org.admin("PUT", "clock", json={"now": moment.isoformat(), "frozen": True})
    kept = org.create("Account", Name="Kept")
    removed = org.create("Account", Name="Removed")
    org.ok("DELETE", f"sobjects/Account/{removed}", 204)
    window = {
        "start": (moment - timedelta(minutes=5)).isoformat(),
        "end": (moment + timedelta(hours=1)).isoformat(),
    }
    # Changes of the current, unfinished minute are not covered yet.
    current = org.ok("GET", "sobjects/Account/updated", params=window)
    assert current == {"ids": [], "latestDateCovered": "2026-03-02T12:00:00.000+0000"}
    org.admin("PUT", "clock", json={"advance_s": 120})
    assert org.ok("GET", "sobjects/Account/updated", params=window)["ids"] == [kept]
    deleted = org.ok("GET", "sobjects/Account/deleted", params=window)
    assert [d["id"] for d in deleted["deletedRecords"]] == [removed]
    assert deleted["latestDateCovered"] == "2026-03-02T12:02:00.000+0000"
    too_old = {**window, "start": (moment - timedelta(days=40)).isoformat()}
    assert (
        error(org, "GET", "sobjects/Account/updated", 400, params=too_old)["errorCode"]
        == "INVALID_REPLICATION_DATE"
    )
