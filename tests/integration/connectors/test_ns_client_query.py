"""SuiteQL through the client: every ``limit``/``offset`` page by the next links, with ``Prefer: transient``,
NetSuite's page size of 1000 by default, and queries it cannot run refused in its words."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from ns_client_support import SUITEQL, NetSuite, customers, run

from concord.connectors.netsuite import NetSuiteClient
from concord.engine.errors import CannotEncode


def offsets(netsuite: NetSuite) -> list[tuple[str, str]]:
    """(limit, offset) of every SuiteQL call, in order."""
    calls = netsuite.requests(path=SUITEQL)["requests"]
    queries = [parse_qs(call["query"]) for call in calls]
    return [(q["limit"][0], q["offset"][0]) for q in queries]


def test_a_query_pages_through_every_page(netsuite: NetSuite) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Paging Inc"}])[0]
    seeded = netsuite.seed("customer", customers(subsidiary, 110))

    async def scenario() -> list[dict[str, object]]:
        async with NetSuiteClient(netsuite.spec(query_page_size=20)) as client:
            sql = "SELECT id, companyname FROM customer ORDER BY id"
            return [row async for row in client.query(sql)]

    rows = run(scenario())
    assert [row["id"] for row in rows] == seeded
    assert rows[0] == {"id": seeded[0], "companyname": "Client 0000"}  # no empty "links"
    assert offsets(netsuite) == [("20", str(n)) for n in range(0, 120, 20)]
    logged = netsuite.requests(path=SUITEQL)["requests"]
    assert all(call["status"] == 200 and call["method"] == "POST" for call in logged)


def test_pages_hold_netsuites_maximum_of_1000_rows_by_default(netsuite: NetSuite) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Bulk Inc"}])[0]
    netsuite.seed("customer", customers(subsidiary, 1005))

    async def scenario() -> list[int]:
        async with NetSuiteClient(netsuite.spec()) as client:
            return [
                len(page.items) async for page in client.query_pages("SELECT id FROM customer ORDER BY id")
            ]

    assert run(scenario()) == [1000, 5]
    assert offsets(netsuite) == [("1000", "0"), ("1000", "1000")]


def test_a_query_netsuite_cannot_run_is_refused_in_its_words(netsuite: NetSuite) -> None:
    async def scenario() -> CannotEncode:
        async with NetSuiteClient(netsuite.spec()) as client:
            with pytest.raises(CannotEncode) as refused:
                [row async for row in client.query("SELECT id FROM nosuchtable")]
            return refused.value

    error = run(scenario())
    assert error.reason.startswith(
        "NetSuite cannot take the request as sent: INVALID_PARAMETER: Invalid search"
    )
    assert "Record 'nosuchtable' was not found." in error.reason
