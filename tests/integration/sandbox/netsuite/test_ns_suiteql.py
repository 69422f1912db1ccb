"""SuiteQL: incremental queries on lastmodifieddate, paging, value formats and errors."""

from __future__ import annotations

from typing import Any

import pytest
from ns_support import NetSuiteClient, error_detail


def _rows(ns: NetSuiteClient, q: str, **paging: int) -> list[dict[str, Any]]:
    response = ns.suiteql(q, **paging)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_lastmodifieddate_filter_returns_only_changes_since_the_cursor(ns: NetSuiteClient) -> None:
    ns.set_clock("2026-04-01T08:00:00Z")
    ids = ns.seed_basics()
    older = ns.create("customer", {"companyName": "Old Co", "subsidiary": {"id": ids["subsidiary"]}})
    ns.set_clock("2026-04-01T09:30:00Z")
    newer = ns.create("customer", {"companyName": "New Co", "subsidiary": {"id": ids["subsidiary"]}})
    ns.set_clock("2026-04-01T09:45:10Z")
    assert ns.http.patch(f"/record/v1/customer/{older}", json={"phone": "555"}).status_code == 204

    rows = _rows(
        ns,
        "SELECT id, companyname, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified "
        "FROM customer WHERE lastmodifieddate >= TO_DATE('2026-04-01 09:00:00', 'YYYY-MM-DD HH24:MI:SS') "
        "ORDER BY lastmodifieddate, id",
    )

    assert [(r["id"], r["modified"]) for r in rows] == [
        (newer, "2026-04-01 09:30:00"),
        (older, "2026-04-01 09:45:10"),
    ]
    assert all(set(r) == {"links", "id", "companyname", "modified"} and r["links"] == [] for r in rows)


def test_to_timestamp_and_greater_than_exclude_the_cursor_second(ns: NetSuiteClient) -> None:
    ns.set_clock("2026-04-02T10:00:00Z")
    ids = ns.seed_basics()
    ns.set_clock("2026-04-02T10:00:01Z")
    ns.create("customer", {"companyName": "Later", "subsidiary": {"id": ids["subsidiary"]}})
    rows = _rows(
        ns,
        "SELECT companyname FROM customer "
        "WHERE lastmodifieddate > TO_TIMESTAMP('2026-04-02 10:00:00', 'YYYY-MM-DD HH24:MI:SS')",
    )
    assert rows == [{"links": [], "companyname": "Later"}]


def test_paging_over_more_than_five_pages_follows_next_links(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Paging Inc"})
    for n in range(23):
        ns.create("customer", {"companyName": f"Customer {n:02d}", "subsidiary": {"id": subsidiary}})

    query = "SELECT id, companyname FROM customer ORDER BY id"
    response = ns.suiteql(query, limit=4, offset=0)
    seen: list[str] = []
    offsets: list[int] = []
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["totalResults"] == 23 and page["count"] == len(page["items"]) <= 4
        offsets.append(page["offset"])
        seen.extend(item["id"] for item in page["items"])
        links = {link["rel"]: link["href"] for link in page["links"]}
        if not page["hasMore"]:
            assert "next" not in links
            break
        response = ns.http.post(links["next"], json={"q": query}, headers={"Prefer": "transient"})

    assert offsets == [0, 4, 8, 12, 16, 20]
    assert len(seen) == 23 and seen == sorted(seen, key=int)


def test_transactions_have_type_codes_string_values_and_no_null_columns(ns: NetSuiteClient) -> None:
    ns.set_clock("2026-02-05T15:07:00Z")
    ids = ns.seed_basics()
    invoice = ns.create(
        "invoice",
        {
            "entity": {"id": ids["customer"]},
            "tranDate": "2026-02-05",
            "item": {"items": [{"item": {"id": ids["item"]}, "quantity": 2}]},
        },
    )
    ns.create(
        "journalEntry",
        {
            "subsidiary": {"id": ids["subsidiary"]},
            "memo": "Accrual",
            "line": {"items": [{"account": {"id": "1"}, "debit": 5}, {"account": {"id": "2"}, "credit": 5}]},
        },
    )

    rows = _rows(
        ns,
        "SELECT id, tranid, type, trandate, foreigntotal, memo, posting, lastmodifieddate FROM transaction "
        "WHERE type IN ('CustInvc', 'SalesOrd') AND memo IS NULL",
    )

    assert rows == [
        {
            "links": [],
            "id": invoice,
            "tranid": f"INV{invoice}",
            "type": "CustInvc",
            "trandate": "2/5/2026",
            "foreigntotal": "300.00",
            "posting": "T",
            "lastmodifieddate": "2/5/2026 3:07 pm",
        }
    ]
    journals = _rows(ns, "SELECT memo FROM transaction WHERE type = 'Journal' OR memo = 'nothing'")
    assert journals == [{"links": [], "memo": "Accrual"}]


def test_select_star_booleans_and_count(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    inactive = ns.create(
        "customer", {"companyName": "Inactive", "subsidiary": {"id": ids["subsidiary"]}, "isInactive": True}
    )
    everything = _rows(ns, "SELECT * FROM customer WHERE isinactive = 'F'")
    counted = _rows(ns, "SELECT COUNT(*) AS n, MAX(id) AS highest FROM customer")
    assert len(everything) == 1 and everything[0]["companyname"] == "Acme Consulting"
    assert everything[0]["subsidiary"] == ids["subsidiary"] and everything[0]["isinactive"] == "F"
    assert counted == [{"links": [], "n": "2", "highest": inactive}]


def test_time_and_lines_and_deleted_records_tables(ns: NetSuiteClient) -> None:
    ns.set_clock("2026-02-10T12:00:00Z")
    ids = ns.seed_basics()
    time_bill = ns.create(
        "timeBill",
        {
            "employee": {"id": ids["employee"]},
            "customer": {"id": ids["job"]},
            "hours": 1.25,
            "tranDate": "2026-02-09",
        },
    )
    order = ns.create(
        "salesOrder",
        {
            "entity": {"id": ids["customer"]},
            "item": {"items": [{"item": {"id": ids["item"]}, "quantity": 4}]},
        },
    )
    ns.set_clock("2026-02-10T13:00:00Z")
    assert ns.http.delete(f"/record/v1/customer/{ids['customer']}").status_code == 204

    hours = _rows(ns, f"SELECT hours, isbillable, employee FROM timebill WHERE id = {time_bill}")
    lines = _rows(
        ns,
        "SELECT transaction, linesequencenumber, quantity, netamount FROM transactionline "
        f"WHERE transaction = {order}",
    )
    deleted = _rows(
        ns,
        "SELECT recordid, type, deleteddate FROM deletedrecord "
        "WHERE deleteddate >= TO_DATE('2026-02-10', 'YYYY-MM-DD')",
    )

    assert hours == [{"links": [], "hours": "1.25", "isbillable": "F", "employee": ids["employee"]}]
    assert lines == [
        {"links": [], "transaction": order, "linesequencenumber": "1", "quantity": "4", "netamount": "600.00"}
    ]
    assert deleted == [
        {"links": [], "recordid": ids["customer"], "type": "customer", "deleteddate": "2/10/2026 1:00 pm"}
    ]


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("SELECT id FROM nosuchtable", "Record 'nosuchtable' was not found."),
        ("SELECT nosuchcolumn FROM customer", "Unknown identifier 'nosuchcolumn'"),
        ("SELECT id FROM customer WHERE", "Syntax error"),
        ("SELECT c.id FROM customer c JOIN job j ON j.parent = c.id", "not supported"),
        (
            "SELECT id FROM customer WHERE lastmodifieddate > TO_DATE('yesterday', 'YYYY-MM-DD')",
            "does not match",
        ),
        ("DELETE FROM customer", "Syntax error"),
    ],
)
def test_bad_queries_are_answered_400_invalid_search_query(ns: NetSuiteClient, q: str, fragment: str) -> None:
    ns.create(
        "customer", {"companyName": "Row", "subsidiary": {"id": ns.create("subsidiary", {"name": "S"})}}
    )
    response = ns.suiteql(q)
    assert response.status_code == 400
    detail = error_detail(response)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert detail["detail"].startswith("Invalid search query. Detailed unprocessed description follows.")
    assert fragment in detail["detail"]


def test_limit_above_1000_and_missing_prefer_are_refused(ns: NetSuiteClient) -> None:
    too_big = ns.suiteql("SELECT id FROM customer", limit=1001)
    no_prefer = ns.http.post("/query/v1/suiteql", json={"q": "SELECT id FROM customer"})
    assert too_big.status_code == 400 and error_detail(too_big)["o:errorQueryParam"] == "limit"
    assert no_prefer.status_code == 400 and error_detail(no_prefer)["o:errorHeader"] == "Prefer"
