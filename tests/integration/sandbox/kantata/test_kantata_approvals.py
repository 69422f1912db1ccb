"""Timesheet submissions and approval, and how they show up on time entries and in the events feed."""

from __future__ import annotations

from typing import Any

from kantata_support import API, Kantata


def _submit(kantata: Kantata, workspace_id: str, entry_ids: list[str]) -> dict[str, Any]:
    body = kantata.ok(
        "POST",
        "timesheet_submissions.json",
        json={
            "timesheet_submission": {
                "workspace_id": workspace_id,
                "title": "Week 23",
                "line_item_ids": entry_ids,
            }
        },
    )
    return body["timesheet_submissions"][body["results"][0]["id"]]  # type: ignore[no-any-return]


def test_submit_locks_entries_and_approval_marks_them_approved(kantata: Kantata) -> None:
    workspace_id = kantata.workspace(require_time_approvals=True)
    entry_ids = kantata.time_entries(workspace_id, 3, rate_in_cents=15000)
    submission = _submit(kantata, workspace_id, entry_ids)
    assert submission["status"] == "pending"
    assert (submission["start_date"], submission["end_date"]) == ("2026-06-01", "2026-06-07")
    expected_total = sum(15000 * (30 + n) // 60 for n in range(3))
    assert submission["line_item_total_in_cents"] == expected_total

    entries = kantata.ok("GET", "time_entries.json", params={"include": "active_submission"})
    assert {entry["active_submission_id"] for entry in entries["time_entries"].values()} == {submission["id"]}
    assert list(entries["timesheet_submissions"]) == [submission["id"]]
    locked = kantata.client.put(
        f"{API}/time_entries/{entry_ids[0]}.json", json={"time_entry": {"notes": "x"}}
    )
    gone = kantata.client.delete(f"{API}/time_entries/{entry_ids[0]}.json")
    assert (locked.status_code, gone.status_code) == (422, 422)
    assert kantata.ok("GET", "time_entries.json", params={"approved": "true"})["count"] == 0

    approved = kantata.ok(
        "PUT",
        f"timesheet_submissions/{submission['id']}/approve.json",
        json={"resolution": {"description": "OK"}},
    )["timesheet_submissions"][submission["id"]]
    assert approved["status"] == "approved"
    assert approved["current_resolution_creator_id"] == "1"
    assert (
        approved["current_resolution_created_at_date"] and approved["current_resolution_description"] == "OK"
    )
    after = kantata.ok("GET", "time_entries.json", params={"approved": "true"})
    assert after["count"] == 3 and all(entry["approved"] for entry in after["time_entries"].values())
    again = kantata.client.put(f"{API}/timesheet_submissions/{submission['id']}/cancel.json", json={})
    assert again.status_code == 422  # an approved timesheet is rejected, not cancelled


def test_rejection_unlocks_entries_and_keeps_the_recent_submission(kantata: Kantata) -> None:
    workspace_id = kantata.workspace(require_time_approvals=True)
    entry_ids = kantata.time_entries(workspace_id, 2)
    submission = _submit(kantata, workspace_id, entry_ids)
    resolved = kantata.ok(
        "POST",
        "timesheet_rejections.json",
        json={"resolution": {"submission_ids": [int(submission["id"])], "description": "Wrong project"}},
    )
    [resolution] = resolved["resolutions"]
    assert (resolution["type"], resolution["target_id"], resolution["target_type"]) == (
        "rejection",
        int(submission["id"]),
        "TimesheetSubmission",
    )
    entries = kantata.ok(
        "GET", "time_entries.json", params={"include": "recent_submission,active_submission"}
    )
    for entry in entries["time_entries"].values():
        assert (entry["approved"], entry["active_submission_id"], entry["recent_submission_id"]) == (
            False,
            None,
            submission["id"],
        )
    assert kantata.ok(
        "PUT", f"time_entries/{entry_ids[0]}.json", json={"time_entry": {"time_in_minutes": 45}}
    )
    resubmitted = _submit(kantata, workspace_id, entry_ids)
    assert resubmitted["id"] != submission["id"]


def test_approval_state_changes_show_up_in_the_subscribed_events_feed(kantata: Kantata) -> None:
    kantata.admin("PUT", "clock", json={"now": "2026-06-08T10:00:00Z", "frozen": True})
    workspace_id = kantata.workspace(require_time_approvals=True)
    entry_ids = kantata.time_entries(workspace_id, 2)
    kantata.admin("PUT", "clock", json={"advance_s": 60})
    cursor = "2026-06-08T10:00:30Z"
    submission = _submit(kantata, workspace_id, entry_ids)
    kantata.admin("PUT", "clock", json={"advance_s": 60})
    kantata.ok(
        "POST", "timesheet_approvals.json", json={"resolution": {"submission_ids": [submission["id"]]}}
    )

    feed = kantata.ok(
        "GET",
        "subscribed_events.json",
        params={
            "created_after": cursor,
            "event_types": "time_entry:updated",
            "order": "created_at:asc",
            "optional_fields": "payload_changes,current_payload",
            "include": "subject",
        },
    )
    events = [feed["subscribed_events"][ref["id"]] for ref in feed["results"]]
    assert len(events) == 4  # two entries submitted, then the same two approved
    submitted, approved = events[:2], events[2:]
    assert {e["subject_id"] for e in submitted} == {e["subject_id"] for e in approved} == set(entry_ids)
    assert all(e["payload_changes"]["active_submission_id"]["to"] == submission["id"] for e in submitted)
    assert all(e["payload_changes"] == {"approved": {"from": False, "to": True}} for e in approved)
    assert all(e["current_payload"]["approved"] is True for e in approved)
    assert all(e["subject_type"] == "TimeEntry" and e["user_id"] == "1" for e in events)
    assert {ref["id"] for ref in feed["time_entries"].values()} == set(entry_ids)
    assert events[2]["subject_ref"] == {"key": "time_entries", "id": events[2]["subject_id"]}

    sheets = kantata.ok(
        "GET", "subscribed_events.json", params={"event_types": "timesheet:created,timesheet:updated"}
    )
    assert sheets["count"] == 2
    latest = kantata.ok(
        "GET",
        "subscribed_events.json",
        params={"subject_type": "TimeEntry", "subject_id": entry_ids[0], "most_recent": "true"},
    )
    last_change = next(e["id"] for e in approved if e["subject_id"] == entry_ids[0])
    assert [ref["id"] for ref in latest["results"]] == [last_change]


def test_feed_pages_with_created_after_and_keeps_nine_days(kantata: Kantata) -> None:
    kantata.admin("PUT", "clock", json={"now": "2026-06-01T00:00:00Z", "frozen": True})
    workspace_id = kantata.workspace()
    kantata.time_entries(workspace_id, 45)
    kantata.admin("PUT", "clock", json={"advance_s": 5 * 86400})
    deleted = kantata.client.delete(f"{API}/time_entries.json", params={"ids": "1,2"})
    assert deleted.status_code == 204
    everything = kantata.ok(
        "GET", "subscribed_events.json", params={"per_page": 20, "order": "created_at:asc"}
    )
    total = everything["count"]
    assert total == 2 + 45 + 2  # project, participation, 45 entries, 2 deletions
    seen: list[str] = []
    for page in range(1, everything["meta"]["page_count"] + 1):
        body = kantata.ok(
            "GET", "subscribed_events.json", params={"per_page": 20, "page": page, "order": "created_at:asc"}
        )
        seen += [ref["id"] for ref in body["results"]]
    assert len(seen) == len(set(seen)) == total
    recent = kantata.ok("GET", "subscribed_events.json", params={"created_after": "2026-06-03T00:00:00Z"})
    assert [recent["subscribed_events"][ref["id"]]["event_type"] for ref in recent["results"]] == [
        "time_entry:deleted",
        "time_entry:deleted",
    ]
    kantata.admin("PUT", "clock", json={"advance_s": 5 * 86400})  # now day 11: the first day is gone
    kept = kantata.ok("GET", "subscribed_events.json")
    assert kept["count"] == 2
