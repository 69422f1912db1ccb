"""Writes through the client: single-record CRUD with exact money, upsert by external id (twice = one
record), sObject Collections upsert of 1,000 records with per-record results, and Composite."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sf_client_support import Emulator, run

from concord.connectors.http import classify
from concord.connectors.salesforce import CompositeSubrequest, SalesforceClient, UpsertResult
from concord.engine.errors import Rejected

COLLECTIONS_PATH = "/services/data/v60.0/composite/sobjects/Account/Concord_Id__c"


def test_crud_keeps_money_exact(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            record_id = await client.create(
                "Account", {"Name": "Acme", "AnnualRevenue": Decimal("1234567.89")}
            )
            read = await client.get("Account", record_id, ["Name", "AnnualRevenue"])
            assert read["AnnualRevenue"] == Decimal("1234567.89") and isinstance(
                read["AnnualRevenue"], Decimal
            )
            await client.update("Account", record_id, {"AnnualRevenue": Decimal("0.10")})
            assert (await client.get("Account", record_id))["AnnualRevenue"] == Decimal("0.10")
            await client.delete("Account", record_id)
            with pytest.raises(Rejected) as missing:
                await client.get("Account", record_id)
            assert "ENTITY_IS_DELETED" in missing.value.reason

    run(scenario())


def test_upsert_twice_is_one_record(emulator: Emulator) -> None:
    async def scenario() -> tuple[UpsertResult, UpsertResult, list[dict[str, object]]]:
        async with SalesforceClient(emulator.spec()) as client:
            first = await client.upsert("Account", "Concord_Id__c", "G-1001", {"Name": "Acme"})
            second = await client.upsert(
                "Account", "Concord_Id__c", "G-1001", {"Name": "Acme GmbH", "Concord_Id__c": "G-1001"}
            )
            rows = [
                r async for r in client.query("SELECT Id, Name FROM Account WHERE Concord_Id__c = 'G-1001'")
            ]
            assert await client.get_by_external_id("Account", "Concord_Id__c", "G-404") is None
            return first, second, rows

    first, second, rows = run(scenario())
    assert first.created and not second.created and first.id == second.id
    assert [(row["Id"], row["Name"]) for row in rows] == [(first.id, "Acme GmbH")]


def test_an_ambiguous_external_id_is_rejected(emulator: Emulator) -> None:
    emulator.seed(
        "Account",
        [{"Name": "One", "ERP_Customer_Id__c": "C-7"}, {"Name": "Two", "ERP_Customer_Id__c": "C-7"}],
    )

    async def scenario() -> Rejected:
        async with SalesforceClient(emulator.spec()) as client:
            with pytest.raises(Rejected) as refused:
                await client.upsert("Account", "ERP_Customer_Id__c", "C-7", {"Name": "Three"})
            return refused.value

    assert "several records" in run(scenario()).reason


def test_collections_upsert_of_1000_records_reports_the_bad_one_alone(emulator: Emulator) -> None:
    records: list[dict[str, object]] = [
        {"Concord_Id__c": f"G-{n:04d}", "Name": f"Client {n}", "AnnualRevenue": Decimal(f"{n}.50")}
        for n in range(1_000)
    ]
    del records[437]["Name"]  # Name is required on create

    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            results = await client.collections_upsert("Account", "Concord_Id__c", records)
            assert [r.index for r in results] == list(range(1_000))
            failed = [r for r in results if not r.success]
            assert [r.index for r in failed] == [437]
            assert failed[0].failure is not None and not classify(failed[0].failure).transient
            reason = str(failed[0].failure)
            assert "REQUIRED_FIELD_MISSING" in reason and "Name" in reason
            assert all(r.created for r in results if r.success)

            again = await client.collections_upsert("Account", "Concord_Id__c", records[:250])
            assert [r.id for r in again if r.success] == [r.id for r in results[:250] if r.success]
            assert not any(r.created for r in again if r.success)
            count = [r async for r in client.query("SELECT Id FROM Account")]
            assert len(count) == 999

    run(scenario())
    assert emulator.count(path=COLLECTIONS_PATH) == 5 + 2  # chunks of at most 200


def test_composite_chains_subrequests_and_classifies_failures(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            results = await client.composite(
                [
                    CompositeSubrequest(
                        "PATCH", "sobjects/Account/Concord_Id__c/G-9", "acct", {"Name": "Acme"}
                    ),
                    CompositeSubrequest(
                        "POST",
                        "sobjects/Opportunity",
                        "opp",
                        {
                            "Name": "Acme - Phase 2",
                            "StageName": "Prospecting",
                            "CloseDate": "2026-12-31",
                            "Amount": Decimal("120000.00"),
                            "AccountId": "@{acct.id}",
                        },
                    ),
                    CompositeSubrequest("POST", "sobjects/Opportunity", "bad", {"Name": "No stage"}),
                ]
            )
            assert [(r.reference_id, r.status) for r in results] == [
                ("acct", 201),
                ("opp", 201),
                ("bad", 400),
            ]
            assert results[0].failure is None and results[1].failure is None
            assert isinstance(results[2].failure, Rejected)
            opportunity = await client.get("Opportunity", results[1].body["id"], ["AccountId", "Amount"])
            assert opportunity["AccountId"] == results[0].body["id"]
            assert opportunity["Amount"] == Decimal("120000.00")

    run(scenario())
