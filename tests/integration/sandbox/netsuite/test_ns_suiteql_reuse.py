"""SuiteQL pages read from rows kept between queries: a keyset-paged incremental poll gets exactly what
fresh reads give, and a write between two pages shows in the next one."""

from __future__ import annotations

from typing import Any

from ns_support import NetSuiteClient

STAMP = "TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS')"


def _rows(ns: NetSuiteClient, q: str, **paging: int) -> list[dict[str, Any]]:
    response = ns.suiteql(q, **paging)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _page_after(ns: NetSuiteClient, stamp: str, after_id: int | None) -> list[dict[str, Any]]:
    bound = f"TO_TIMESTAMP('{stamp}', 'YYYY-MM-DD HH24:MI:SS')"
    where = f"lastmodifieddate >= {bound}"
    if after_id is not None:
        where += f" AND (lastmodifieddate > {bound} OR id > {after_id})"
    q = f"SELECT id, {STAMP} AS stamp, companyname FROM customer WHERE {where} ORDER BY lastmodifieddate, id"
    return _rows(ns, q, limit=3)


def _history(ns: NetSuiteClient) -> list[str]:
    subsidiary = ns.create("subsidiary", {"name": "Keyset Inc"})
    ids = []
    for minute, count in ((0, 4), (3, 1), (6, 5)):
        ns.set_clock(f"2026-05-04T10:{minute:02d}:00Z")
        for n in range(count):
            body = {"companyName": f"Customer {minute}-{n}", "subsidiary": {"id": subsidiary}}
            ids.append(ns.create("customer", body))
    return ids


def test_a_keyset_poll_reads_every_row_once_in_order(ns: NetSuiteClient) -> None:
    ids = _history(ns)
    seen: list[str] = []
    stamp, after = "2026-05-04 10:00:00", None
    for _ in range(10):
        page = _page_after(ns, stamp, after)
        if not page:
            break
        seen += [row["id"] for row in page]
        stamp, after = page[-1]["stamp"], int(page[-1]["id"])
    assert seen == ids
    # The same query asked again (from kept rows) and a narrower one agree with the whole result.
    everything = (
        "SELECT id FROM customer WHERE lastmodifieddate >= TO_DATE('2026-05-04', 'YYYY-MM-DD') ORDER BY id"
    )
    assert [r["id"] for r in _rows(ns, everything)] == ids
    assert [r["id"] for r in _rows(ns, everything)] == ids
    later = _page_after(ns, "2026-05-04 10:03:00", None)
    assert [r["id"] for r in later] == ids[4:7]


def test_a_write_between_two_pages_shows_in_the_next(ns: NetSuiteClient) -> None:
    ids = _history(ns)
    first = _page_after(ns, "2026-05-04 10:00:00", None)
    assert [r["id"] for r in first] == ids[:3]
    ns.set_clock("2026-05-04T10:09:00Z")
    assert ns.http.patch(f"/record/v1/customer/{ids[0]}", json={"companyName": "Renamed"}).status_code == 204
    rest: list[dict[str, Any]] = []
    stamp, after = first[-1]["stamp"], int(first[-1]["id"])
    for _ in range(10):
        page = _page_after(ns, stamp, after)
        if not page:
            break
        rest += page
        stamp, after = page[-1]["stamp"], int(page[-1]["id"])
    assert [r["id"] for r in rest] == [*ids[3:], ids[0]]
    assert rest[-1]["companyname"] == "Renamed" and rest[-1]["stamp"] == "2026-05-04 10:09:00"


def test_ordering_keeps_sql_rules_for_nulls_and_mixed_numbers(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Order Inc"})
    with_phone = ns.create(
        "customer", {"companyName": "B", "phone": "555-2", "subsidiary": {"id": subsidiary}}
    )
    without = ns.create("customer", {"companyName": "A", "subsidiary": {"id": subsidiary}})
    other = ns.create("customer", {"companyName": "C", "phone": "555-1", "subsidiary": {"id": subsidiary}})
    ascending = _rows(ns, "SELECT id FROM customer ORDER BY phone, id")
    descending = _rows(ns, "SELECT id FROM customer ORDER BY companyname DESC")
    assert [r["id"] for r in ascending] == [other, with_phone, without]  # NULLs last
    assert [r["id"] for r in descending] == [other, with_phone, without]
    # An integer column against a decimal literal compares by value.
    q = f"SELECT id FROM customer WHERE id > {int(with_phone)}.5 ORDER BY id"
    assert [r["id"] for r in _rows(ns, q)] == [i for i in (without, other) if int(i) > int(with_phone)]
