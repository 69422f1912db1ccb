"""Listings asked for again and again (the pages of one sync) are answered from an order kept between
requests: the answers are those a fresh sort gives, and a write between two requests shows at once."""

from __future__ import annotations

from typing import Any

from kantata_support import Kantata

from concord.sandbox.core.docstore import DocStore
from concord.sandbox.kantata.hooks import Record
from concord.sandbox.kantata.repository import KantataRepository


def _ids(body: dict[str, Any]) -> list[str]:
    return [ref["id"] for ref in body["results"]]


def _listing(kantata: Kantata, **params: Any) -> dict[str, Any]:
    return kantata.ok("GET", "time_entries.json", params={"per_page": 200, **params})


def test_repeated_listings_agree_and_see_writes_between_them(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    created = kantata.time_entries(workspace_id, 300)
    order = {"order": "updated_at:asc"}
    first, again = _listing(kantata, **order), _listing(kantata, **order)
    assert _ids(first) == _ids(again) == created[:200]
    assert first["meta"] == again["meta"]
    page_two = _listing(kantata, page=2, **order)
    assert _ids(page_two) == created[200:]

    kantata.admin("PUT", "clock", json={"advance_s": 5})
    kantata.ok("PUT", f"time_entries/{created[0]}.json", json={"time_entry": {"notes": "moved"}})
    after = _listing(kantata, page=2, **order)
    assert _ids(after) == [*created[201:], created[0]]  # the changed entry moved to the end
    assert after["time_entries"][created[0]]["notes"] == "moved"

    since = after["time_entries"][created[0]]["updated_at"]
    newest = _listing(kantata, updated_after=since[:19] + "Z", **order)
    assert _ids(newest) == [created[0]]
    descending = _listing(kantata, order="updated_at:desc")
    assert _ids(descending)[0] == created[0]
    assert _ids(_listing(kantata, order="updated_at:desc")) == _ids(descending)


def test_a_filtered_listing_keeps_the_order_of_the_whole(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    billable = kantata.time_entries(workspace_id, 120, billable=True)
    other = kantata.time_entries(workspace_id, 80, billable=False)
    for _ in range(2):  # the second answer comes from the kept order
        body = _listing(kantata, billable="true", order="created_at:asc")
        assert _ids(body) == billable
        assert body["meta"]["count"] == 120
    everything = _listing(kantata, order="created_at:asc")
    assert _ids(everything) == billable + other


def test_finds_answer_what_a_scan_answers_through_writes() -> None:
    repo = KantataRepository(DocStore(), ["external_references"])

    def scan(attribute: str, value: str | bool) -> list[Record]:
        return [r for r in repo.all("external_references") if r.get(attribute) == value]

    def agree() -> None:
        for attribute, value in (("subject_id", "1"), ("subject_id", "2"), ("locked", True), ("tags", "x")):
            assert repo.find("external_references", attribute, value) == scan(attribute, value)

    made = repo.insert_many(
        "external_references",
        [{"subject_id": str(n % 3), "locked": n % 2 == 0, "tags": ["x"]} for n in range(9)],
    )
    agree()
    repo.replace("external_references", {**made[0], "subject_id": "2"})  # moves to another value
    repo.replace("external_references", {**made[4], "locked": 1})  # equal to True, as == says
    repo.remove("external_references", made[5]["id"])
    repo.insert_many("external_references", [{"subject_id": "1", "locked": True}])
    agree()
    assert [r["id"] for r in repo.find("external_references", "subject_id", "2")] == [
        made[0]["id"],
        made[2]["id"],
        made[8]["id"],
    ]
    repo.forget()
    agree()


def test_time_filters_on_the_kept_order_keep_exactly_their_records(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    groups = []
    for minute in ("00", "05", "10"):
        kantata.admin("PUT", "clock", json={"now": f"2026-07-01T09:{minute}:00Z", "frozen": True})
        groups.append(kantata.time_entries(workspace_id, 30, billable=minute != "05"))
    first, middle, last = groups
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"updated_after": "2026-07-01T09:00:00Z"}, middle + last),
        ({"updated_after": "2026-07-01T08:59:59Z"}, first + middle + last),
        ({"updated_before": "2026-07-01T09:05:00Z"}, first),
        ({"updated_after": "2026-07-01T09:00:00Z", "updated_before": "2026-07-01T09:10:00Z"}, middle),
        ({"updated_after": "2026-07-01T09:00:00Z", "billable": "true"}, last),
        ({"updated_after": "2026-07-01T09:00:00Z", "created_before": "2026-07-01T09:10:00Z"}, middle),
        ({"updated_after": "2026-07-01T09:10:00Z"}, []),
    ]
    for _ in range(2):  # fresh, then from the kept order
        for params, expected in cases:
            body = _listing(kantata, order="updated_at:asc", **params)
            assert (_ids(body), body["meta"]["count"]) == (expected, len(expected)), params
