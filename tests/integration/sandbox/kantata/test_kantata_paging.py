"""Paging (page/per_page, limit/offset), ordering, filters and incremental ``updated_after`` sync."""

from __future__ import annotations

from typing import Any

from kantata_support import Kantata


def _ids(body: dict[str, Any]) -> list[str]:
    return [ref["id"] for ref in body["results"]]


def test_paging_walks_every_record_once_across_more_than_five_pages(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    created = kantata.time_entries(workspace_id, 1050)
    seen: list[str] = []
    page = 1
    while True:
        body = kantata.ok(
            "GET", "time_entries.json", params={"per_page": 200, "page": page, "order": "created_at:asc"}
        )
        assert body["meta"] == {"count": 1050, "page_count": 6, "page_number": page, "page_size": 200}
        seen += _ids(body)
        if page >= body["meta"]["page_count"]:
            break
        page += 1
    assert page == 6
    assert seen == created  # same order, nothing twice, nothing missing
    beyond = kantata.ok("GET", "time_entries.json", params={"per_page": 200, "page": 7})
    assert (beyond["results"], beyond["count"]) == ([], 1050)


def test_per_page_is_clamped_and_limit_offset_take_precedence(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    created = kantata.time_entries(workspace_id, 250)
    clamped = kantata.ok("GET", "time_entries.json", params={"per_page": 500, "order": "created_at:asc"})
    assert (len(clamped["results"]), clamped["meta"]["page_size"], clamped["meta"]["page_count"]) == (
        200,
        200,
        2,
    )
    window = kantata.ok(
        "GET", "time_entries.json", params={"limit": 5, "offset": 10, "page": 3, "order": "created_at:asc"}
    )
    assert _ids(window) == created[10:15]
    only_limit = kantata.ok("GET", "time_entries.json", params={"limit": 5, "order": "created_at:asc"})
    assert len(only_limit["results"]) == 20  # limit without offset is ignored (Brainstem)
    default = kantata.ok("GET", "time_entries.json", params={"order": "bogus:asc"})
    assert default["meta"]["page_size"] == 20  # unknown order falls back to date_performed:desc


def test_filters_and_ordering(kantata: Kantata) -> None:
    first = kantata.workspace("First")
    second = kantata.workspace("Second")
    kantata.time_entries(first, 28, billable=True)
    kantata.time_entries(second, 5, billable=False)
    by_project = kantata.ok("GET", "time_entries.json", params={"workspace_id": second})
    assert by_project["count"] == 5
    both = kantata.ok("GET", "time_entries.json", params={"workspace_ids": f"{first},{second}"})
    assert both["count"] == 33
    week = kantata.ok(
        "GET",
        "time_entries.json",
        params={
            "date_performed_between": "2026-06-01:2026-06-07",
            "order": "date_performed:asc",
            "per_page": 200,
        },
    )
    dates = [week["time_entries"][rid]["date_performed"] for rid in _ids(week)]
    assert dates == sorted(dates) and set(dates) <= {f"2026-06-0{d}" for d in range(1, 8)}
    assert week["count"] == 7 + 5
    assert kantata.ok("GET", "time_entries.json", params={"billable": "false"})["count"] == 5
    assert kantata.ok("GET", "time_entries.json", params={"with_user_ids": "1"})["count"] == 33
    bad = kantata.get("time_entries.json", date_performed_between="2026-06-07:2026-06-01")
    assert bad.status_code == 400 and bad.json()["errors"][0]["type"] == "system"


def _freeze_clock(kantata: Kantata, at: str) -> None:
    assert kantata.admin("PUT", "clock", json={"now": at, "frozen": True}).status_code == 200


def _touch(kantata: Kantata, entry_id: str, notes: str) -> None:
    kantata.ok("PUT", f"time_entries/{entry_id}.json", json={"time_entry": {"notes": notes}})


def test_offset_paging_shifts_when_a_record_changes_between_page_fetches(kantata: Kantata) -> None:
    _freeze_clock(kantata, "2026-06-10T09:00:00Z")
    workspace_id = kantata.workspace()
    ids = kantata.time_entries(workspace_id, 30)
    query = {"updated_after": "2026-06-10T08:00:00Z", "order": "updated_at:asc", "per_page": 10}
    page_one = _ids(kantata.ok("GET", "time_entries.json", params={**query, "page": 1}))
    assert page_one == ids[:10]
    kantata.admin("PUT", "clock", json={"advance_s": 1})
    _touch(kantata, ids[2], "moved to the end")  # a change between two page fetches
    page_two = _ids(kantata.ok("GET", "time_entries.json", params={**query, "page": 2}))
    # The changed record now sorts last, so everything after it moved up one place: a naive
    # offset walk skips ids[10], as it would against the real platform.
    assert page_two == ids[11:21]


def test_stable_order_walk_then_updated_after_catches_changes_made_meanwhile(kantata: Kantata) -> None:
    _freeze_clock(kantata, "2026-06-10T09:00:00Z")
    workspace_id = kantata.workspace()
    ids = kantata.time_entries(workspace_id, 30)
    kantata.admin("PUT", "clock", json={"advance_s": 1})
    pass_started = "2026-06-10T09:00:00.500Z"  # the client's next cursor, taken before it starts walking
    walk = {"updated_after": "2026-06-10T08:00:00Z", "order": "created_at:asc", "per_page": 10}
    first = kantata.ok("GET", "time_entries.json", params={**walk, "page": 1})
    _touch(kantata, ids[2], "changed after its page was read")
    _touch(kantata, ids[25], "changed before its page was read")
    rest = [kantata.ok("GET", "time_entries.json", params={**walk, "page": page}) for page in (2, 3)]
    seen = _ids(first) + [rid for body in rest for rid in _ids(body)]
    assert seen == ids  # a stable order does not shift when records change mid-walk
    assert first["time_entries"][ids[2]]["notes"] is None
    assert rest[1]["time_entries"][ids[25]]["notes"] == "changed before its page was read"
    incremental = kantata.ok(
        "GET", "time_entries.json", params={"updated_after": pass_started, "order": "updated_at:asc"}
    )
    assert _ids(incremental) == [ids[2], ids[25]]
    assert incremental["time_entries"][ids[2]]["notes"] == "changed after its page was read"
    assert (
        kantata.ok("GET", "time_entries.json", params={"updated_after": "2026-06-10T09:00:01Z"})["count"] == 0
    )
