"""Record reads and writes over the REST Record API: ids from ``Location``, external ids, upserts that
converge, exact money, list paging, and refusals in the platform's words."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ns_client_support import RECORDS, NetSuite, customers, run

from concord.connectors.http import classify
from concord.connectors.netsuite import ExternalId, NetSuiteClient
from concord.engine.errors import CannotEncode, Rejected


def test_create_read_update_and_delete(netsuite: NetSuite) -> None:
    ids = netsuite.basics()

    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            body = {"companyName": "Globex", "subsidiary": {"id": ids["subsidiary"]}, "externalId": "CRM-42"}
            record_id = await client.create("customer", body)
            by_id = await client.get("customer", record_id, fields=["companyName", "externalId"])
            by_eid = await client.get("customer", ExternalId("CRM-42"))
            assert by_id["companyName"] == by_eid["companyName"] == "Globex" and by_eid["id"] == record_id
            await client.update("customer", "eid:CRM-42", {"email": "ap@globex.example"})
            assert (await client.get("customer", record_id))["email"] == "ap@globex.example"

            item = await client.create("serviceItem", {"itemId": "Architect", "rate": Decimal("187.35")})
            assert (await client.get("serviceItem", item))["rate"] == Decimal("187.35")

            await client.delete("customer", record_id)
            assert await client.find("customer", record_id) is None
            with pytest.raises(Rejected) as missing:
                await client.get("customer", record_id)
            assert "NONEXISTENT_ID: The record instance does not exist" in missing.value.reason

    run(scenario())


def test_upsert_by_external_id_twice_is_one_record(netsuite: NetSuite) -> None:
    ids = netsuite.basics()
    body = {"companyName": "Initech", "subsidiary": {"id": ids["subsidiary"]}}

    async def scenario() -> tuple[str, str]:
        async with NetSuiteClient(netsuite.spec()) as client:
            first = await client.upsert_by_external_id("customer", "01J9ZCONCORDGLOBALID0001", body)
            second = await client.upsert_by_external_id(
                "customer", ExternalId("01J9ZCONCORDGLOBALID0001"), {**body, "companyName": "Initech GmbH"}
            )
            return first, second

    first, second = run(scenario())
    matching = [r for r in netsuite.records("customer") if r.get("externalId") == "01J9ZCONCORDGLOBALID0001"]
    assert first == second and [r["id"] for r in matching] == [first]
    assert matching[0]["companyName"] == "Initech GmbH"
    assert netsuite.count(method="PUT", path=f"{RECORDS}/customer/eid:01J9ZCONCORDGLOBALID0001") == 2


def test_requests_that_cannot_be_expressed_are_refused_before_or_by_the_platform(netsuite: NetSuite) -> None:
    ids = netsuite.basics()

    async def scenario() -> list[CannotEncode]:
        refused = []
        async with NetSuiteClient(netsuite.spec()) as client:
            for attempt in (
                lambda: client.upsert_by_external_id(
                    "customer", "A-1", {"externalId": "B-2", "companyName": "X"}
                ),
                lambda: client.get("customer", "not-an-id"),
                lambda: client.get("customer", "eid:a/b"),
                lambda: client.update("customer", ids["customer"], {"companyNmae": "Typo Ltd"}),
            ):
                with pytest.raises(CannotEncode) as error:
                    await attempt()
                refused.append(error.value)
        return refused

    refused = run(scenario())
    assert all(classify(e).category == "mapping" and not classify(e).transient for e in refused)
    assert (
        "Invalid field name companyNmae" in refused[-1].reason
        and "(fields: companyNmae)" in refused[-1].reason
    )
    assert netsuite.count(method="PATCH") == 1 and netsuite.count(method="GET") == 0  # the rest never left


def test_list_pages_follow_the_next_links(netsuite: NetSuite) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Paging Ltd"}])[0]
    seeded = netsuite.seed("customer", customers(subsidiary, 23))

    async def scenario() -> tuple[list[str], list[int | None]]:
        async with NetSuiteClient(netsuite.spec()) as client:
            totals = [page.total async for page in client.list_pages("customer", page_size=4)]
            ids = [
                record_id
                async for record_id in client.list_ids("customer", q='companyName START_WITH "Client"')
            ]
            return ids, totals

    ids, totals = run(scenario())
    assert totals == [23] * 6 and ids == seeded
    assert netsuite.count(method="GET", path=f"{RECORDS}/customer") == 7
