"""SOQL through the client: every page of a large result via ``nextRecordsUrl``, ``queryAll`` with deleted
rows, and a refused query classified as a mapping problem."""

from __future__ import annotations

import pytest
from sf_client_support import Emulator, run

from concord.connectors.salesforce import SalesforceClient
from concord.engine.errors import CannotEncode

QUERY_PATH = "/services/data/v60.0/query"


def test_query_follows_next_records_url_through_every_page(emulator: Emulator) -> None:
    seeded = emulator.seed("Account", [{"Name": f"Client {n:04d}"} for n in range(1_100)])

    async def scenario() -> tuple[list[int], list[str]]:
        async with SalesforceClient(emulator.spec()) as client:
            soql = "SELECT Id, Name FROM Account ORDER BY Name"
            sizes = [len(page.items) async for page in client.query_pages(soql, batch_size=200)]
            names = [row["Name"] async for row in client.query(soql, batch_size=200)]
            return sizes, names

    sizes, names = run(scenario())
    assert sizes == [200, 200, 200, 200, 200, 100]
    assert names == [f"Client {n:04d}" for n in range(1_100)]
    assert len(seeded) == 1_100
    # Each pass: the query, then five nextRecordsUrl follow-ups (the log filter is a path prefix).
    assert emulator.count(path=f"{QUERY_PATH}/01g*") == 10
    assert emulator.count(path=QUERY_PATH) == 12


def test_query_all_includes_deleted_rows(emulator: Emulator) -> None:
    async def scenario() -> tuple[set[str], set[str], str]:
        async with SalesforceClient(emulator.spec()) as client:
            kept = await client.create("Account", {"Name": "Kept"})
            gone = await client.create("Account", {"Name": "Gone"})
            await client.delete("Account", gone)
            soql = "SELECT Id, IsDeleted FROM Account"
            live = {row["Id"] async for row in client.query(soql)}
            every = {row["Id"] async for row in client.query_all(soql)}
            assert kept in live
            return live, every, gone

    live, every, gone = run(scenario())
    assert gone not in live and every == live | {gone}


def test_a_malformed_query_is_a_mapping_problem(emulator: Emulator) -> None:
    async def scenario() -> CannotEncode:
        async with SalesforceClient(emulator.spec()) as client:
            with pytest.raises(CannotEncode) as refused:
                async for _ in client.query("SELECT Id FORM Account"):
                    pass
            return refused.value

    error = run(scenario())
    assert "MALFORMED_QUERY" in error.reason and "FORM" in error.reason
