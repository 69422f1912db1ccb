"""Expense report submissions: submitting locks expenses, approval marks them approved with the approver on
the submission, rejection unlocks them again, and both show up in the events feed."""

from __future__ import annotations

from typing import Any

from kantata_support import API, Kantata


def _expense(kantata: Kantata, workspace_id: str, cents: int) -> str:
    fields = {
        "workspace_id": workspace_id,
        "date": "2026-06-03",
        "category": "Travel",
        "amount_in_cents": cents,
    }
    return str(kantata.create("expenses", "expense", **fields)["id"])


def _submit(kantata: Kantata, workspace_id: str, expense_ids: list[str]) -> dict[str, Any]:
    report = {"workspace_id": workspace_id, "title": "Client trip", "expense_ids": expense_ids}
    body = kantata.ok("POST", "expense_report_submissions.json", json={"expense_report_submission": report})
    return body["expense_report_submissions"][body["results"][0]["id"]]  # type: ignore[no-any-return]


def _resolve(kantata: Kantata, submission_id: str, action: str) -> dict[str, Any]:
    body = kantata.ok(
        "PUT",
        f"expense_report_submissions/{submission_id}/{action}.json",
        json={"resolution": {"description": "Checked"}},
    )
    return body["expense_report_submissions"][submission_id]  # type: ignore[no-any-return]


def _expenses(kantata: Kantata) -> dict[str, Any]:
    params = {"include": "active_submission,recent_submission"}
    return kantata.ok("GET", "expenses.json", params=params)


def test_a_submitted_report_locks_its_expenses_and_its_approval_marks_them_approved(kantata: Kantata) -> None:
    workspace_id = kantata.workspace(currency="EUR")
    ids = [_expense(kantata, workspace_id, 18950), _expense(kantata, workspace_id, 4520)]
    submission = _submit(kantata, workspace_id, ids)
    assert (submission["status"], submission["line_item_total_in_cents"]) == ("pending", 23470)
    assert submission["line_item_total_formatted"] == "€234.70"
    locked = kantata.client.put(f"{API}/expenses/{ids[0]}.json", json={"expense": {"notes": "x"}})
    again = kantata.client.post(
        f"{API}/expense_report_submissions.json",
        json={
            "expense_report_submission": {"workspace_id": workspace_id, "title": "Twice", "expense_ids": ids}
        },
    )
    assert (locked.status_code, again.status_code) == (422, 422)

    approved = _resolve(kantata, submission["id"], "approve")
    assert (approved["status"], approved["current_resolution_creator_id"]) == ("approved", "1")
    shown = _expenses(kantata)
    assert all(
        e["approved"] and e["active_submission_id"] == submission["id"] for e in shown["expenses"].values()
    )
    assert list(shown["expense_report_submissions"]) == [submission["id"]]
    cancel = kantata.client.put(f"{API}/expense_report_submissions/{submission['id']}/cancel.json", json={})
    assert cancel.status_code == 422  # an approved report is rejected, not cancelled


def test_a_rejected_report_unlocks_its_expenses_and_stays_their_recent_submission(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    expense_id = _expense(kantata, workspace_id, 1200)
    submission = _submit(kantata, workspace_id, [expense_id])
    _resolve(kantata, submission["id"], "approve")
    rejected = _resolve(kantata, submission["id"], "reject")
    assert rejected["status"] == "rejected"
    (expense,) = _expenses(kantata)["expenses"].values()
    assert (expense["approved"], expense["active_submission_id"], expense["recent_submission_id"]) == (
        False,
        None,
        submission["id"],
    )
    edited = kantata.ok("PUT", f"expenses/{expense_id}.json", json={"expense": {"amount_in_cents": 1500}})
    assert edited["expenses"][expense_id]["amount_in_cents"] == 1500
    events = kantata.ok("GET", "subscribed_events.json", params={"event_types": "expense_report:updated"})
    assert events["count"] >= 1


def test_a_report_needs_expenses_of_its_project(kantata: Kantata) -> None:
    here, elsewhere = kantata.workspace(), kantata.workspace(title="Other")
    stray = _expense(kantata, elsewhere, 100)
    answer = kantata.client.post(
        f"{API}/expense_report_submissions.json",
        json={"expense_report_submission": {"workspace_id": here, "title": "Trip", "expense_ids": [stray]}},
    )
    assert answer.status_code == 422 and f"Expense {stray} is not in project {here}" in answer.text
