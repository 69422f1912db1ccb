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

from dataclasses import dataclass
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
from concord.sandbox.kantata.specs import ResourceSpec

_ACTIONS = {
    "approve": ("approved", "approval", ("pending",)),
    "reject": ("rejected", "rejection", ("pending", "approved")),
    "cancel": ("cancelled", "cancellation", ("pending",)),
}


@dataclass(frozen=True)
class SubmittedItems:
    """What a kind of submission holds (time entries, expenses) and the words its validation errors use."""

    spec: ResourceSpec
    ids_field: str
    noun: str
    container: str
    plural: str


TIMESHEET_ITEMS = SubmittedItems(TIME_ENTRIES, "line_item_ids", "Time entry", "timesheet", "time entries")


def check_submission(
    service: KantataService, items: SubmittedItems, body: dict[str, Any], ctx: WriteContext
) -> tuple[list[Record], dict[str, Any]]:
    """The items a submission body names and the submission's own values, once they make a valid
    submission: a project that exists, items of that project not yet on an active submission, all of one
    user (time and expense submissions check alike).

    Raises:
        HTTPException: 422 with every problem found.
    """
    blank = [name for name in ("workspace_id", "title", items.ids_field) if is_blank(body.get(name))]
    if blank:
        raise validation_failed(
            [invalid(name, f"{name.replace('_', ' ').capitalize()} can't be blank") for name in blank]
        )
    workspace_id = str(body["workspace_id"])
    if ctx.reader.get("workspaces", workspace_id) is None:
        raise validation_failed([invalid("workspace_id", "Workspace must exist")])
    raw = body[items.ids_field]
    ids = raw if isinstance(raw, list) else str(raw).split(",")
    errors: list[ErrorItem] = []
    found: list[Record] = []
    for item_id in ids:
        item = service.repo.get(items.spec.collection, str(item_id).strip())
        if item is None or item.get("workspace_id") != workspace_id:
            errors.append(
                invalid(items.ids_field, f"{items.noun} {item_id} is not in project {workspace_id}")
            )
        elif item.get("active_submission_id"):
            message = f"{items.noun} {item_id} is already on a submitted {items.container}"
            errors.append(invalid(items.ids_field, message))
        else:
            found.append(item)
    users = {item.get("user_id") for item in found}
    user_id = str(body.get("user_id") or (users.pop() if len(users) == 1 else ctx.user_id))
    if any(item.get("user_id") != user_id for item in found):
        errors.append(invalid(items.ids_field, f"All {items.plural} must belong to the submitting user"))
    if errors:
        raise validation_failed(errors)
    values = {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "title": str(body["title"]),
        "comment": None if body.get("comment") is None else str(body["comment"]),
    }
    return found, values


def pending_fields(ctx: WriteContext, workspace_id: str, total: int) -> dict[str, Any]:
    """What a new submission shows before anyone resolves it: the project's currency, the line total in
    it, and no current resolution (time and expense submissions alike)."""
    workspace = ctx.reader.get("workspaces", workspace_id) or {}
    currency = str(workspace.get("currency") or "USD")
    return {
        "currency": currency,
        "currency_symbol": symbol(currency),
        "currency_base_unit": base_unit(currency),
        "line_item_total_in_cents": total,
        "line_item_total_formatted": f"{symbol(currency)}{from_subunits(total, currency)}",
        "current_resolution_description": None,
        "current_resolution_creator_id": None,
        "current_resolution_created_at_date": None,
    }


def resolved(submission: Record, status: str, description: str | None, ctx: WriteContext) -> Record:
    """The submission resolved to ``status`` by the acting user now; the resolver and moment are what
    its items show as their approver and approval time."""
    return {
        **submission,
        "status": status,
        "current_resolution_description": description,
        "current_resolution_creator_id": ctx.user_id,
        "current_resolution_created_at_date": ctx.now,
        "updated_at": ctx.now,
    }


def follow_resolution(
    service: KantataService, items: ResourceSpec, submission: Record, status: str, ctx: WriteContext
) -> None:
    """Bring a resolved submission's items in step: approved, or unlocked (no active submission)."""
    found = service.repo.find(items.collection, "recent_submission_id", submission["id"])
    if status == "approved":
        update_items(service, items, found, {"approved": True}, ctx)
    else:
        update_items(service, items, found, {"approved": False, "active_submission_id": None}, ctx)


def update_items(
    service: KantataService,
    spec: ResourceSpec,
    records: list[Record],
    changes: dict[str, Any],
    ctx: WriteContext,
) -> None:
    """Apply ``changes`` to submitted items (time entries, expenses), one ``updated`` event each."""
    pairs = []
    for record in records:
        after = {**record, **changes, "updated_at": ctx.now}
        pairs.append((record, service.repo.replace(spec.collection, after)))
    service.feed.record(spec, "updated", pairs, ctx)


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
        entries, values = check_submission(self.service, TIMESHEET_ITEMS, body, ctx)
        total = _line_total(entries)
        start, end = _week_bounds(entries)
        submission = {
            **values,
            "status": "pending",
            "type": "TimesheetSubmission",
            "start_date": start,
            "end_date": end,
            "_date": start,
            **pending_fields(ctx, values["workspace_id"], total),
            "resolution_description": None,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        with self.repo.transaction():
            saved = self.repo.insert_many(TIMESHEET_SUBMISSIONS.collection, [submission])[0]
            self.service.feed.record(TIMESHEET_SUBMISSIONS, "created", [(None, saved)], ctx)
            changes = {"active_submission_id": saved["id"], "recent_submission_id": saved["id"]}
            update_items(self.service, TIME_ENTRIES, entries, changes, ctx)
        return saved

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
        updated = {**resolved(submission, status, description, ctx), "resolution_description": description}
        saved = self.repo.replace(TIMESHEET_SUBMISSIONS.collection, updated)
        self.service.feed.record(TIMESHEET_SUBMISSIONS, "updated", [(submission, saved)], ctx)
        follow_resolution(self.service, TIME_ENTRIES, submission, status, ctx)
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
