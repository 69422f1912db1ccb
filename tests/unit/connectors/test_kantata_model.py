"""The Kantata connector's pure parts: the spec's validation, the envelope and its joins, approval states,
the change cursor and the stamp-keyed scan (against an in-memory list that changes while it is read)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from concord.connectors.kantata import (
    KantataSpec,
    StampCursor,
    TimeEntryStatus,
    approval_of,
    decode_envelope,
)
from concord.connectors.kantata.cursor import Row, Watermark, query_stamp, scan
from concord.connectors.kantata.references import ExternalRef
from concord.engine.errors import CannotEncode, TransientError

AUTH = {"kind": "client_credentials", "client_id": "app", "client_secret": "hush-7781"}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_spec_defaults_to_the_real_platform_and_hides_its_secrets() -> None:
    spec = KantataSpec(auth=AUTH)
    assert spec.api_root == "https://api.mavenlink.com/api/v1"
    assert spec.oauth_token_url == "https://api.mavenlink.com/oauth/token"
    assert spec.rate.max_concurrency <= 10 and spec.rate.requests_per_second == 9.0
    assert "hush-7781" not in repr(spec) and "hush-7781" not in str(spec.model_dump())
    trimmed = KantataSpec(base_url="http://127.0.0.1:8123/api/v1/", auth=AUTH)
    assert trimmed.base_url == "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"base_url": "api.mavenlink.com"}, "is not an http(s) URL"),
        ({"per_page": 500}, "less than or equal to 200"),
        ({"bulk_size": 0}, "greater than or equal to 1"),
        ({"auth": {"kind": "password", "user": "x"}}, "does not match any of the expected tags"),
        ({"auth": {"kind": "refresh_token", "client_id": "app", "client_secret": "x"}}, "refresh_token"),
    ],
)
def test_a_bad_spec_is_refused_with_a_reason(options: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        KantataSpec(**{"auth": AUTH, **options})


def envelope_body() -> dict[str, Any]:
    return {
        "count": 2,
        "meta": {"count": 2, "page_count": 1, "page_number": 1, "page_size": 20},
        "results": [{"key": "time_entries", "id": "12"}, {"key": "time_entries", "id": "11"}],
        "time_entries": {
            "11": {"id": "11", "workspace_id": "5", "story_id": None, "external_reference_ids": []},
            "12": {"id": "12", "workspace_id": "5", "story_id": "9", "external_reference_ids": ["3"]},
        },
        "workspaces": {"5": {"id": "5", "title": "Acme"}},
        "stories": {"9": {"id": "9", "title": "Design"}},
        "external_references": {"3": {"id": "3", "service_model_ref": "TE-1"}},
    }


def test_the_envelope_keeps_the_results_order_and_joins_side_loads() -> None:
    envelope = decode_envelope(envelope_body(), "time_entries")
    assert envelope.ids == ["12", "11"] and envelope.count == 2 and envelope.page_count == 1
    first, second = envelope.joined(["workspace", "story", "external_references"])
    assert first["workspace"]["title"] == "Acme" and first["story"]["title"] == "Design"
    assert first["external_references"] == [{"id": "3", "service_model_ref": "TE-1"}]
    assert second["story"] is None and second["external_references"] == []
    assert "workspace" not in envelope.records[0]  # the decoded records themselves are untouched


def test_a_polymorphic_subject_is_joined_from_its_reference() -> None:
    body = {
        "results": [{"key": "subscribed_events", "id": "1"}],
        "subscribed_events": {"1": {"id": "1", "subject_ref": {"key": "stories", "id": "9"}}},
        "stories": {"9": {"id": "9", "title": "Design"}},
    }
    [event] = decode_envelope(body, "subscribed_events").joined(["subject"])
    assert event["subject"] == {"id": "9", "title": "Design"}


@pytest.mark.parametrize(
    "body",
    [
        {"errors": []},
        {"results": [{"key": "time_entries", "id": "1"}], "time_entries": {}},
        {"results": ["1"]},
    ],
)
def test_a_spoiled_envelope_is_transient(body: dict[str, Any]) -> None:
    with pytest.raises(TransientError):
        decode_envelope(body, "time_entries")


def submission(sid: str, status: str, **more: Any) -> dict[str, Any]:
    return {"id": sid, "status": status, **more}


@pytest.mark.parametrize(
    ("entry", "status"),
    [
        ({"active_submission": None, "recent_submission": None}, TimeEntryStatus.DRAFT),
        (
            {"active_submission": submission("1", "pending"), "recent_submission": None},
            TimeEntryStatus.SUBMITTED,
        ),
        (
            {"approved": True, "active_submission": submission("1", "approved"), "recent_submission": None},
            TimeEntryStatus.APPROVED,
        ),
        (
            {"active_submission": None, "recent_submission": submission("1", "rejected")},
            TimeEntryStatus.REJECTED,
        ),
        (
            {"active_submission": None, "recent_submission": submission("1", "cancelled")},
            TimeEntryStatus.DRAFT,
        ),
        (
            {
                "active_submission": None,
                "recent_submission": None,
                "workspace": {"require_time_approvals": False},
            },
            TimeEntryStatus.APPROVED,
        ),
        (
            {
                "active_submission": None,
                "recent_submission": submission("1", "rejected"),
                "workspace": {"require_time_approvals": False},
            },
            TimeEntryStatus.REJECTED,
        ),
    ],
)
def test_approval_states_follow_the_submissions(entry: dict[str, Any], status: TimeEntryStatus) -> None:
    assert approval_of(entry).status is status


def test_approval_needs_the_submissions_included() -> None:
    with pytest.raises(ValueError, match="include=active_submission,recent_submission"):
        approval_of({"id": "1", "approved": False})


def test_an_external_reference_must_be_usable_in_a_filter_list() -> None:
    with pytest.raises(CannotEncode, match="no comma"):
        ExternalRef("TimeEntry", "TE-1,TE-2")
    assert ExternalRef("TimeEntry", "TE-1").body("concord") == {
        "service_name": "concord",
        "service_model": "TimeEntry",
        "service_model_ref": "TE-1",
        "status": "successful",
    }


def test_the_cursor_round_trips_and_refuses_foreign_text() -> None:
    cursor = StampCursor(T0, {"7": (1_772_442_000_000, "ab12")}, T0 - timedelta(days=1))
    assert StampCursor.decode(cursor.encode()) == cursor
    assert StampCursor.decode(None) == StampCursor() == StampCursor.decode("")
    with pytest.raises(ValueError, match="not a Kantata change cursor"):
        StampCursor.decode('{"v": 9}')
    with pytest.raises(ValueError, match="aware"):
        StampCursor.starting_at(datetime(2026, 1, 1))


def test_the_filter_stamp_means_at_or_after() -> None:
    stamp = int(T0.timestamp() * 1000)
    assert query_stamp(stamp) == "2026-03-02T08:59:59.999Z"


def test_the_watermark_skips_delivered_versions_and_forgets_below_the_window() -> None:
    mark = Watermark(StampCursor(), timedelta(seconds=10))
    assert mark.lower_bound() is None
    mark.deliver("1", 50_000, "a")
    assert not mark.is_new("1", 50_000, "a") and mark.is_new("1", 50_000, "b")
    assert mark.is_new("2", 45_000, "a") and not mark.is_new("3", 39_999, "a")
    assert mark.lower_bound() == 40_000
    mark.deliver("4", 70_000, "a")
    assert mark.cursor().seen == {"4": (70_000, "a")}


class ShiftingList:
    """An in-memory Kantata list: (stamp, id) order, ``after`` inclusive, page numbers; it can move rows."""

    def __init__(self, rows: list[tuple[int, int]], per_page: int) -> None:
        self.rows = {rid: stamp for stamp, rid in rows}
        self.per_page = per_page
        self.fetches = 0

    def move(self, rid: int, stamp: int) -> None:
        self.rows[rid] = stamp

    async def fetch(self, after: int | None, page: int) -> tuple[list[Row], bool]:
        self.fetches += 1
        ordered = sorted((stamp, rid) for rid, stamp in self.rows.items() if after is None or stamp >= after)
        window = ordered[(page - 1) * self.per_page : page * self.per_page]
        rows = [{"id": rid, "stamp": stamp} for stamp, rid in window]
        return rows, page * self.per_page >= len(ordered)


def test_the_scan_survives_rows_moving_out_of_a_group_it_pages_by_number() -> None:
    table = ShiftingList([(100, n) for n in range(25)] + [(200, n) for n in range(25, 30)], per_page=10)
    delivered: list[tuple[int, int]] = []

    async def scenario() -> None:
        seen: set[tuple[int, int]] = set()

        def judge(row: Row) -> tuple[int, int] | None:
            key = (row["id"], row["stamp"])
            return None if key in seen else key

        async for item in scan(table.fetch, None, lambda row: int(row["stamp"]), judge, sweep=True):
            seen.add(item)
            delivered.append(item)
            if len(delivered) == 12:  # inside page 2 of the group stamped 100
                for rid in range(3):
                    table.move(rid, 300)  # three rows already read move to the end

    asyncio.run(scenario())
    assert sorted(delivered) == sorted(
        {(n, 100) for n in range(25)} | {(n, 200) for n in range(25, 30)} | {(n, 300) for n in range(3)}
    )
    assert len(delivered) == len(set(delivered)) == 33


def test_the_sweep_runs_before_newer_rows_raise_the_high_water_mark() -> None:
    """Sparse stamps: the rows after the group lie far beyond the overlap window, so the group must be
    swept before they are handed out, or its shifted rows would count as older than the window."""
    table = ShiftingList([(100, n) for n in range(25)] + [(900_000, n) for n in range(25, 30)], per_page=10)
    mark = Watermark(StampCursor(), timedelta(milliseconds=10))
    delivered: list[int] = []

    async def scenario() -> None:
        def judge(row: Row) -> Row | None:
            return row if mark.is_new(str(row["id"]), int(row["stamp"]), "") else None

        async for row in scan(table.fetch, None, lambda row: int(row["stamp"]), judge, sweep=True):
            mark.deliver(str(row["id"]), int(row["stamp"]), "")
            delivered.append(int(row["id"]))
            if len(delivered) == 12:
                for rid in range(3):
                    table.move(rid, 950_000)

    asyncio.run(scenario())
    assert sorted(delivered) == sorted([*range(30), 0, 1, 2])
