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

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from concord.sandbox.kantata.approvals_spec import EXPENSE_REPORT_SUBMISSIONS
from concord.sandbox.kantata.catalog import EXPENSES
from concord.sandbox.kantata.errors import ErrorItem, bad_request, invalid, not_found, validation_failed
from concord.sandbox.kantata.fields import is_blank
from concord.sandbox.kantata.hooks import Record, WriteContext
from concord.sandbox.kantata.http import json_response, read_body
from concord.sandbox.kantata.money import base_unit, from_subunits, symbol
from concord.sandbox.kantata.oauth import CurrentUser
from concord.sandbox.kantata.routes_crud import API, _add
from concord.sandbox.kantata.service import KantataService

__all__ = ["ExpenseApprovalService", "create_expense_approval_router"]

SPEC = EXPENSE_REPORT_SUBMISSIONS

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
        expenses, values = self._check_submission(body, ctx)
        workspace = ctx.reader.get("workspaces", values["workspace_id"]) or {}
        currency = str(workspace.get("currency") or "USD")
        total = sum(int(expense.get("amount_in_cents") or 0) for expense in expenses)
        submission = {
            **values,
            "status": "pending",
            "type": "ExpenseReportSubmission",
            "currency": currency,
            "currency_symbol": symbol(currency),
            "currency_base_unit": base_unit(currency),
            "line_item_total_in_cents": total,
            "line_item_total_formatted": f"{symbol(currency)}{from_subunits(total, currency)}",
            "current_resolution_description": None,
            "current_resolution_creator_id": None,
            "current_resolution_created_at_date": None,
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        with self.repo.transaction():
            saved = self.repo.insert_many(SPEC.collection, [submission])[0]
            self.service.feed.record(SPEC, "created", [(None, saved)], ctx)
            changes = {"active_submission_id": saved["id"], "recent_submission_id": saved["id"]}
            self._update_expenses(expenses, changes, ctx)
        return saved

    def _check_submission(
        self, body: dict[str, Any], ctx: WriteContext
    ) -> tuple[list[Record], dict[str, Any]]:
        blank = [name for name in ("workspace_id", "title", "expense_ids") if is_blank(body.get(name))]
        if blank:
            raise validation_failed(
                [invalid(name, f"{name.replace('_', ' ').capitalize()} can't be blank") for name in blank]
            )
        workspace_id = str(body["workspace_id"])
        if ctx.reader.get("workspaces", workspace_id) is None:
            raise validation_failed([invalid("workspace_id", "Workspace must exist")])
        raw = body["expense_ids"]
        ids = raw if isinstance(raw, list) else str(raw).split(",")
        errors: list[ErrorItem] = []
        expenses: list[Record] = []
        for expense_id in ids:
            expense = self.repo.get(EXPENSES.collection, str(expense_id).strip())
            if expense is None or expense.get("workspace_id") != workspace_id:
                errors.append(
                    invalid("expense_ids", f"Expense {expense_id} is not in project {workspace_id}")
                )
            elif expense.get("active_submission_id"):
                errors.append(
                    invalid("expense_ids", f"Expense {expense_id} is already on a submitted report")
                )
            else:
                expenses.append(expense)
        users = {expense.get("user_id") for expense in expenses}
        user_id = str(body.get("user_id") or (users.pop() if len(users) == 1 else ctx.user_id))
        if any(expense.get("user_id") != user_id for expense in expenses):
            errors.append(invalid("expense_ids", "All expenses must belong to the submitting user"))
        if errors:
            raise validation_failed(errors)
        values = {
            "workspace_id": workspace_id,
            "user_id": user_id,
            "title": str(body["title"]),
            "comment": None if body.get("comment") is None else str(body["comment"]),
        }
        return expenses, values

    def resolve(self, action: str, submission_id: str, description: str | None, ctx: WriteContext) -> Record:
        """Approve, reject or cancel one submission; returns it as it is now."""
        status, allowed = _ACTIONS[action]
        submission = self.repo.get(SPEC.collection, submission_id)
        if submission is None:
            raise not_found(f"ExpenseReportSubmission {submission_id} could not be found.")
        if submission["status"] not in allowed:
            message = f"Submission {submission_id} is {submission['status']} and cannot be {status}"
            raise validation_failed([invalid("status", message)])
        updated = {
            **submission,
            "status": status,
            "current_resolution_description": description,
            "current_resolution_creator_id": ctx.user_id,
            "current_resolution_created_at_date": ctx.now,
            "updated_at": ctx.now,
        }
        with self.repo.transaction():
            saved = self.repo.replace(SPEC.collection, updated)
            self.service.feed.record(SPEC, "updated", [(submission, saved)], ctx)
            expenses = self.repo.find(EXPENSES.collection, "recent_submission_id", submission["id"])
            if status == "approved":
                self._update_expenses(expenses, {"approved": True}, ctx)
            else:
                self._update_expenses(expenses, {"approved": False, "active_submission_id": None}, ctx)
        return saved

    def _update_expenses(self, expenses: list[Record], changes: dict[str, Any], ctx: WriteContext) -> None:
        pairs = []
        for expense in expenses:
            after = {**expense, **changes, "updated_at": ctx.now}
            pairs.append((expense, self.repo.replace(EXPENSES.collection, after)))
        self.service.feed.record(EXPENSES, "updated", pairs, ctx)


def create_expense_approval_router(service: KantataService) -> APIRouter:
    """Expense report submissions: list, show, submit, and approve, reject or cancel one."""
    router = APIRouter(tags=["kantata"])
    approvals = ExpenseApprovalService(service)
    base = f"{API}/{SPEC.collection}"

    async def index(request: Request, user: CurrentUser) -> Response:
        return json_response(await run_in_threadpool(service.reads.index, SPEC, dict(request.query_params)))

    async def show(record_id: str, request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        return json_response(await run_in_threadpool(service.reads.show, SPEC, record_id, params))

    async def submit(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        body = (await read_body(request)).get(SPEC.singular)
        if not isinstance(body, dict):
            raise bad_request(f"param is missing or the value is empty: {SPEC.singular}")

        def work() -> dict[str, Any]:
            with service.writing():
                saved = approvals.submit(body, service.context(user))
            return service.reads.envelope(SPEC, [saved], params)

        return json_response(await run_in_threadpool(work))

    def single(action: str) -> Any:
        async def resolve_one(record_id: str, request: Request, user: CurrentUser) -> Response:
            params = dict(request.query_params)
            resolution = (await read_body(request)).get("resolution") or {}
            description = resolution.get("description") if isinstance(resolution, dict) else None

            def work() -> dict[str, Any]:
                with service.writing():
                    saved = approvals.resolve(action, record_id, description, service.context(user))
                return service.reads.envelope(SPEC, [saved], params)

            return json_response(await run_in_threadpool(work))

        return resolve_one

    _add(router, "GET", base, index)
    _add(router, "POST", base, submit)
    _add(router, "GET", f"{base}/{{record_id}}", show)
    for action in _ACTIONS:
        _add(router, "PUT", f"{base}/{{record_id}}/{action}", single(action))
    return router
