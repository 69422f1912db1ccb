"""simple-salesforce, a real Salesforce client, against the emulator: logins, CRUD, upsert, paging,
collections and composite, and the same exception types the real service produces."""

from __future__ import annotations

from typing import Any

import pytest
from sf_support import CLIENT_ID, CLIENT_SECRET, VERSION, Org, loopback_session
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from concord.sandbox.salesforce import DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN, DEFAULT_USERNAME


def direct(org: Org) -> Salesforce:
    """A client given the session id and instance URL from the OAuth token endpoint."""
    token = org.client.headers["Authorization"].split(" ", 1)[1]
    return Salesforce(
        instance_url=org.server.base_url,
        session_id=token,
        version=VERSION,
        session=loopback_session(org.server.base_url),
    )


def test_soap_login_with_security_token_then_query(org: Org) -> None:
    sf = Salesforce(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        security_token=DEFAULT_SECURITY_TOKEN,
        version=VERSION,
        session=loopback_session(org.server.base_url),
    )
    result = sf.query("SELECT Id, Username FROM User WHERE Username = 'integration@concord.sandbox'")
    assert result["totalSize"] == 1
    assert result["records"][0]["Username"] == DEFAULT_USERNAME


def test_oauth_password_login_and_bad_password(org: Org) -> None:
    session = loopback_session(org.server.base_url)
    sf = Salesforce(
        username=DEFAULT_USERNAME,
        password=DEFAULT_PASSWORD,
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        version=VERSION,
        session=session,
    )
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0
    with pytest.raises(SalesforceAuthenticationFailed) as failed:
        Salesforce(username=DEFAULT_USERNAME, password="wrong", security_token="", session=session)
    assert failed.value.code == "INVALID_LOGIN"


def test_crud_and_upsert_by_external_id(org: Org) -> None:
    sf = direct(org)
    created = sf.Account.create({"Name": "Acme Consulting", "BillingCountry": "DE"})
    assert created["success"] is True and created["id"].startswith("001")
    account_id = created["id"]

    assert sf.Account.update(account_id, {"Industry": "Consulting"}) == 204
    record = sf.Account.get(account_id)
    assert (record["Name"], record["Industry"], record["IsDeleted"]) == (
        "Acme Consulting",
        "Consulting",
        False,
    )

    # Upsert by the Concord external id: created, then updated.
    first = sf.Opportunity.upsert(
        "Concord_Id__c/OPP-1",
        {
            "Name": "Acme - Phase 2",
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
            "AccountId": account_id,
        },
        raw_response=True,
    )
    assert first.status_code == 201 and first.json()["created"] is True
    assert sf.Opportunity.upsert("Concord_Id__c/OPP-1", {"StageName": "Closed Won"}) == 200
    opportunity = sf.Opportunity.get_by_custom_id("Concord_Id__c", "OPP-1")
    assert (opportunity["StageName"], opportunity["IsWon"], opportunity["Probability"]) == (
        "Closed Won",
        True,
        100,
    )

    assert sf.Opportunity.delete(opportunity["Id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Opportunity.get(opportunity["Id"])
    deleted = sf.query_all("SELECT Id, IsDeleted FROM Opportunity", include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in deleted["records"]] == [(opportunity["Id"], True)]


def test_query_all_follows_next_records_url(org: Org) -> None:
    org.seed("Account", [{"Name": f"Customer {n:04d}"} for n in range(450)])
    sf = direct(org)
    first = sf.query(
        "SELECT Id, Name FROM Account ORDER BY Name", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    assert first["nextRecordsUrl"].startswith(f"/services/data/v{VERSION}/query/01g")
    everything = sf.query_all(
        "SELECT Id, Name FROM Account ORDER BY Name", headers={"Sforce-Query-Options": "batchSize=200"}
    )
    names = [r["Name"] for r in everything["records"]]
    assert names == [f"Customer {n:04d}" for n in range(450)]


def test_collections_and_composite_through_restful(org: Org) -> None:
    sf = direct(org)
    records: list[dict[str, Any]] = [
        {"attributes": {"type": "Account"}, "Name": f"Bulk {n}", "Concord_Id__c": f"ACC-{n}"}
        for n in range(3)
    ]
    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": records})
    assert [r["success"] for r in results] == [True, True, True]

    composite = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "PATCH",
                    "url": f"/services/data/v{VERSION}/sobjects/Account/Concord_Id__c/ACC-9",
                    "referenceId": "acct",
                    "body": {"Name": "Globex"},
                },
                {
                    "method": "POST",
                    "url": f"/services/data/v{VERSION}/sobjects/Opportunity",
                    "referenceId": "opp",
                    "body": {
                        "Name": "Globex rollout",
                        "StageName": "Qualification",
                        "CloseDate": "2026-10-01",
                        "AccountId": "@{acct.id}",
                    },
                },
            ],
        },
    )
    statuses = [(r["referenceId"], r["httpStatusCode"]) for r in composite["compositeResponse"]]
    assert statuses == [("acct", 201), ("opp", 201)]
    query = sf.query("SELECT Account.Concord_Id__c FROM Opportunity WHERE Name = 'Globex rollout'")
    assert query["records"][0]["Account"]["Concord_Id__c"] == "ACC-9"


def test_errors_map_to_the_real_exception_types(org: Org) -> None:
    sf = direct(org)
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.Account.create({"Name": "x", "No_Such_Field__c": 1})
    assert malformed.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get("001000000000000AAA")
    with pytest.raises(SalesforceMalformedRequest) as bad_query:
        sf.query("SELECT Id FROM Account WHERE")
    assert bad_query.value.content[0]["errorCode"] == "MALFORMED_QUERY"

    sf.Opportunity.create(
        {"Name": "a", "StageName": "Prospecting", "CloseDate": "2026-01-01", "ERP_Contract_Id__c": "C-7"}
    )
    sf.Opportunity.create(
        {"Name": "b", "StageName": "Prospecting", "CloseDate": "2026-01-01", "ERP_Contract_Id__c": "C-7"}
    )
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Opportunity.upsert("ERP_Contract_Id__c/C-7", {"Name": "c"})

    org.admin(
        "PUT", "profile", json={"mode": "realistic", "daily_call_limit": 1, "latency_ms": 0, "jitter_ms": 0}
    )
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Account")
    assert refused.value.content[0] == {
        "message": "TotalRequests Limit exceeded.",
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
        "fields": [],
    }
