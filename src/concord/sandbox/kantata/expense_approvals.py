"""Expense approval the Kantata way: expense report submissions and their resolutions.

``POST /expense_report_submissions.json {"expense_report_submission": {"workspace_id", "title",
"expense_ids", "user_id"?, "comment"?}}`` submits expenses of one project and one person (status
``pending``); ``PUT /expense_report_submissions/{id}/approve|reject|cancel.json {"resolution":
{"description"}}`` resolves one.

An expense shows its approval as a time entry does (``concord.sandbox.kantata.approvals``): ``approved``,
its ``active_submission`` (pending or approved; the expense is locked) and its ``recent_submission`` (the
latest, whatever its status), the approver and the moment being the submission's
``current_resolution_creator_id`` / ``current_resolution_created_at_date``. [U] Kantata's expense report
submissions are documented (approve, reject, cancel); that expenses name them exactly as time entries name
timesheet submissions is this emulator's reconstruction.

Every change to an expense's approval state is an ``expense:updated`` event; the submission itself emits
``expense_report:created`` / ``expense_report:updated``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from concord.sandbox.kantata.approvals import (
    SubmittedItems,
    check_submission,
    follow_resolution,
    pending_fields,
    resolved,
    update_items,
)
from concord.sandbox.kantata.approvals_spec import EXPENSE_REPORT_SUBMISSIONS
from concord.sandbox.kantata.catalog import EXPENSES
from concord.sandbox.kantata.errors import invalid, not_found, validation_failed
from concord.sandbox.kantata.hooks import Record, WriteContext
from concord.sandbox.kantata.routes_special import add_submission_routes
from concord.sandbox.kantata.service import KantataService

__all__ = ["ExpenseApprovalService", "create_expense_approval_router"]

SPEC = EXPENSE_REPORT_SUBMISSIONS
_ITEMS = SubmittedItems(EXPENSES, "expense_ids", "Expense", "report", "expenses")

_ACTIONS = {
    "approve": ("approved", ("pending",)),
    "reject": ("rejected", ("pending", "approved")),
    "cancel": ("cancelled", ("pending",)),
}


class ExpenseApprovalService:
    """Submits, approves, rejects and cancels expense reports, keeping their expenses in step."""

    def __init__(self, service: KantataService) -> None:
        self.service = service
        self.repo = service.repo

    def submit(self, body: dict[str, Any], ctx: WriteContext) -> Record:
        """Create a pending submission for the given expenses (all of one project and one user)."""
        expenses, values = check_submission(self.service, _ITEMS, body, ctx)
        total = sum(int(expense.get("amount_in_cents") or 0) for expense in expenses)
        submission = {
            **values,
            "status": "pending",
            "type": "ExpenseReportSubmission",
            **pending_fields(ctx, values["workspace_id"], total),
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        with self.repo.transaction():
            saved = self.repo.insert_many(SPEC.collection, [submission])[0]
            self.service.feed.record(SPEC, "created", [(None, saved)], ctx)
            changes = {"active_submission_id": saved["id"], "recent_submission_id": saved["id"]}
            update_items(self.service, EXPENSES, expenses, changes, ctx)
        return saved

    def resolve(self, action: str, submission_id: str, description: str | None, ctx: WriteContext) -> Record:
        """Approve, reject or cancel one submission; returns it as it is now."""
        status, allowed = _ACTIONS[action]
        submission = self.repo.get(SPEC.collection, submission_id)
        if submission is None:
            raise not_found(f"ExpenseReportSubmission {submission_id} could not be found.")
        if submission["status"] not in allowed:
            message = f"Submission {submission_id} is {submission['status']} and cannot be {status}"
            raise validation_failed([invalid("status", message)])
        with self.repo.transaction():
            saved = self.repo.replace(SPEC.collection, resolved(submission, status, description, ctx))
            self.service.feed.record(SPEC, "updated", [(submission, saved)], ctx)
            follow_resolution(self.service, EXPENSES, submission, status, ctx)
        return saved


def create_expense_approval_router(service: KantataService) -> APIRouter:
    """Expense report submissions: list, show, submit, and approve, reject or cancel one."""
    router = APIRouter(tags=["kantata"])
    approvals = ExpenseApprovalService(service)
    add_submission_routes(router, service, SPEC, approvals.submit, approvals.resolve, _ACTIONS)
    return router
