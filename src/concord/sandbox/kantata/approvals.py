"""Time approval the Kantata way: timesheet submissions and their resolutions.

``POST /timesheet_submissions.json {"timesheet_submission": {"workspace_id", "title", "line_item_ids",
"user_id"?, "comment"?}}`` submits time entries of one project (status ``pending``); ``PUT
/timesheet_submissions/{id}/approve|reject|cancel.json {"resolution": {"description"}}`` resolves one;
``POST /timesheet_approvals|timesheet_rejections|timesheet_cancellations.json {"resolution":
{"submission_ids", "description"}}`` resolves many and answers ``{"resolutions": [...]}``.

What a time entry shows (and what Concord's draft/submitted/approved/rejected maps from):

- draft: no ``active_submission`` (never submitted, or the last submission was cancelled);
- submitted: ``active_submission`` pending, ``approved`` false, entry locked;
- approved: ``approved`` true, ``active_submission`` approved, entry locked; the approver and time are the
  submission's ``current_resolution_creator_id`` / ``current_resolution_created_at_date``;
- rejected: ``recent_submission`` rejected, no active submission, editable again.

Every change to an entry's approval state is a ``time_entry:updated`` event; the submission itself emits
``timesheet:created`` / ``timesheet:updated``. Cancelling needs a pending submission; an approved one is
rejected instead.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from concord.sandbox.kantata.approvals_spec import TIMESHEET_SUBMISSIONS
from concord.sandbox.kantata.catalog import TIME_ENTRIES
from concord.sandbox.kantata.errors import ErrorItem, invalid, not_found, validation_failed
from concord.sandbox.kantata.fields import is_blank
from concord.sandbox.kantata.hooks import Record, WriteContext
from concord.sandbox.kantata.money import base_unit, from_subunits, symbol
from concord.sandbox.kantata.rules_projects import ACCOUNT_ID
from concord.sandbox.kantata.service import RESOLUTIONS, KantataService

_ACTIONS = {
    "approve": ("approved", "approval", ("pending",)),
    "reject": ("rejected", "rejection", ("pending", "approved")),
    "cancel": ("cancelled", "cancellation", ("pending",)),
}


def _line_total(entries: list[Record]) -> int:
    """Sum of minutes times the hourly rate, each line rounded half-up to the subunit."""
    total = 0
    for entry in entries:
        amount = Decimal(int(entry.get("rate_in_cents") or 0)) * Decimal(int(entry["time_in_minutes"])) / 60
        total += int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return total


def _week_bounds(entries: list[Record]) -> tuple[str, str]:
    days = sorted(date.fromisoformat(str(entry["date_performed"])) for entry in entries)
    start = days[0] - timedelta(days=days[0].weekday())
    end = days[-1] + timedelta(days=6 - days[-1].weekday())
    return start.isoformat(), end.isoformat()


class ApprovalService:
    """Submits, approves, rejects and cancels timesheets, keeping time entries in step."""

    def __init__(self, service: KantataService) -> None:
        self.service = service
        self.repo = service.repo

    def submit(self, body: dict[str, Any], ctx: WriteContext) -> Record:
        """Create a pending submission for the given time entries (all of one project and one user)."""
        entries, values, errors = self._check_submission(body, ctx)
        if errors:
            raise validation_failed(errors)
        workspace = ctx.reader.get("workspaces", values["workspace_id"]) or {}
        currency = str(workspace.get("currency") or "USD")
        total = _line_total(entries)
        start, end = _week_bounds(entries)
        submission = {
            **values,
            "status": "pending",
            "type": "TimesheetSubmission",
            "start_date": start,
            "end_date": end,
            "_date": start,
            "currency": currency,
            "currency_symbol": symbol(currency),
            "currency_base_unit": base_unit(currency),
            "line_item_total_in_cents": total,
            "line_item_total_formatted": f"{symbol(currency)}{from_subunits(total, currency)}",
            "current_resolution_description": None,
            "current_resolution_creator_id": None,
            "current_resolution_created_at_date": None,
            "resolution_description": None,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        with self.repo.transaction():
            saved = self.repo.insert_many(TIMESHEET_SUBMISSIONS.collection, [submission])[0]
            self.service.feed.record(TIMESHEET_SUBMISSIONS, "created", [(None, saved)], ctx)
            self._update_entries(
                entries, {"active_submission_id": saved["id"], "recent_submission_id": saved["id"]}, ctx
            )
        return saved

    def _check_submission(
        self, body: dict[str, Any], ctx: WriteContext
    ) -> tuple[list[Record], dict[str, Any], list[ErrorItem]]:
        errors: list[ErrorItem] = []
        for name in ("workspace_id", "title", "line_item_ids"):
            if is_blank(body.get(name)):
                errors.append(invalid(name, f"{name.replace('_', ' ').capitalize()} can't be blank"))
        if errors:
            return [], {}, errors
        workspace_id = str(body["workspace_id"])
        if ctx.reader.get("workspaces", workspace_id) is None:
            return [], {}, [invalid("workspace_id", "Workspace must exist")]
        ids = (
            body["line_item_ids"]
            if isinstance(body["line_item_ids"], list)
            else str(body["line_item_ids"]).split(",")
        )
        entries: list[Record] = []
        for raw in ids:
            entry = self.repo.get(TIME_ENTRIES.collection, str(raw).strip())
            if entry is None or entry.get("workspace_id") != workspace_id:
                errors.append(invalid("line_item_ids", f"Time entry {raw} is not in project {workspace_id}"))
            elif entry.get("active_submission_id"):
                errors.append(
                    invalid("line_item_ids", f"Time entry {raw} is already on a submitted timesheet")
                )
            else:
                entries.append(entry)
        users = {entry.get("user_id") for entry in entries}
        user_id = str(body.get("user_id") or (users.pop() if len(users) == 1 else ctx.user_id))
        if any(entry.get("user_id") != user_id for entry in entries):
            errors.append(invalid("line_item_ids", "All time entries must belong to the submitting user"))
        values = {
            "workspace_id": workspace_id,
            "user_id": user_id,
            "title": str(body["title"]),
            "comment": None if body.get("comment") is None else str(body["comment"]),
        }
        return entries, values, errors

    def resolve(
        self, action: str, submission_ids: list[str], description: str | None, ctx: WriteContext
    ) -> list[Record]:
        """Approve, reject or cancel submissions (all or none); returns the resolutions."""
        status, resolution_type, allowed = _ACTIONS[action]
        submissions: list[Record] = []
        errors: list[ErrorItem] = []
        for sid in submission_ids:
            submission = self.repo.get(TIMESHEET_SUBMISSIONS.collection, str(sid))
            if submission is None:
                raise not_found(f"TimesheetSubmission {sid} could not be found.")
            if submission["status"] not in allowed:
                errors.append(
                    invalid("status", f"Submission {sid} is {submission['status']} and cannot be {status}")
                )
            submissions.append(submission)
        if errors:
            raise validation_failed(errors)
        resolutions: list[Record] = []
        with self.repo.transaction():
            for submission in submissions:
                resolutions.append(self._resolve_one(submission, status, resolution_type, description, ctx))
        return resolutions

    def _resolve_one(
        self,
        submission: Record,
        status: str,
        resolution_type: str,
        description: str | None,
        ctx: WriteContext,
    ) -> Record:
        updated = {
            **submission,
            "status": status,
            "current_resolution_description": description,
            "resolution_description": description,
            "current_resolution_creator_id": ctx.user_id,
            "current_resolution_created_at_date": ctx.now,
            "updated_at": ctx.now,
        }
        saved = self.repo.replace(TIMESHEET_SUBMISSIONS.collection, updated)
        self.service.feed.record(TIMESHEET_SUBMISSIONS, "updated", [(submission, saved)], ctx)
        entries = self.repo.find(TIME_ENTRIES.collection, "recent_submission_id", submission["id"])
        if status == "approved":
            self._update_entries(entries, {"approved": True}, ctx)
        else:
            self._update_entries(entries, {"approved": False, "active_submission_id": None}, ctx)
        resolution = {
            "type": resolution_type,
            "description": description,
            "target_type": "TimesheetSubmission",
            "target_id": int(submission["id"]),
            "user_id": int(ctx.user_id),
            "account_id": ACCOUNT_ID,
            "current": True,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        stored = self.repo.insert_many(RESOLUTIONS, [resolution])[0]
        return {**stored, "id": int(stored["id"])}

    def _update_entries(self, entries: list[Record], changes: dict[str, Any], ctx: WriteContext) -> None:
        pairs = []
        for entry in entries:
            after = {**entry, **changes, "updated_at": ctx.now}
            pairs.append((entry, self.repo.replace(TIME_ENTRIES.collection, after)))
        self.service.feed.record(TIME_ENTRIES, "updated", pairs, ctx)
