"""Expense reports in Kantata and the managers' decisions on them, as for timesheets: a consultant submits
the expenses of one project as one report (with their timesheets), its manager decides it one to a few
working days later, most are approved, a few rejected and sent back to their consultant, and on the last
working day of a month every pending report not bound for rejection is approved in one burst.

Reports are decided with the integration's Kantata token, which acts as the account administrator; the
administrator holds no delivery role, so is no consultant and files no expenses: nobody approves their
own expenses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from concord.sandbox.simulator.apis import gather_all
from concord.sandbox.simulator.calendar import next_workday
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.observe import parse_day
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.world import Expense, ExpenseReport

TITLE_LENGTH = 255
DRAFT_LOOKBACK_DAYS = 42
_REJECTIONS = (
    "Receipt missing or unreadable",
    "Not reimbursable under the travel policy",
    "Over the per-diem limit",
    "Please name the client meeting it was for",
)

Record = dict[str, Any]


def schedule(ctx: SimContext, key: str, submitted_on: date) -> tuple[date, bool]:
    """When the expense report called ``key`` is decided and whether it is rejected."""
    dice = ctx.dice("expense-report-decision", key)
    delays = ctx.behaviour.expense_approval_delay
    delay = dice.weighted([days for days, _ in delays], [weight for _, weight in delays])
    return next_workday(submitted_on, delay), dice.chance(ctx.behaviour.expense_rejected)


def _title(ctx: SimContext, user_id: str, workspace_id: str, day: date, suffix: str) -> str:
    """``<consultant> - <project> - expenses to <day>`` (plus ``suffix``)."""
    consultant = ctx.world.consultants.get(user_id)
    project = ctx.world.projects.get(workspace_id)
    who = consultant.name if consultant else f"User {user_id}"
    what = project.title if project else f"Project {workspace_id}"
    return f"{who} - {what} - expenses to {day}{suffix}"[:TITLE_LENGTH]


async def submit_report(
    ctx: SimContext,
    day: date,
    expenses: Sequence[Expense],
    *,
    key: str,
    report: DayReport,
    title_suffix: str = "",
) -> ExpenseReport | None:
    """Submit ``expenses`` (all of one consultant and project) as an expense report; track it as pending.

    Returns:
        The report, or ``None`` when Kantata refused it (the reason is in the day's report).
    """
    first = expenses[0]
    body = {
        "workspace_id": first.workspace_id,
        "user_id": first.user_id,
        "title": _title(ctx, first.user_id, first.workspace_id, day, title_suffix),
        "expense_ids": [expense.expense_id for expense in expenses],
    }
    record = await ctx.kantata.submit_expenses(body)
    if record is None:
        return None
    decide_on, reject = schedule(ctx, key, day)
    sheet = ExpenseReport(
        submission_id=str(record["id"]),
        key=key,
        user_id=first.user_id,
        workspace_id=first.workspace_id,
        expenses=list(expenses),
        submitted_on=day,
        decide_on=decide_on,
        reject=reject,
    )
    ctx.world.pending_reports.append(sheet)
    report.add(Activity.EXPENSE_REPORTS_SUBMITTED)
    report.add(Activity.EXPENSES_SUBMITTED, len(expenses))
    return sheet


def expense_from(ctx: SimContext, record: Record) -> Expense:
    """A Kantata expense as the simulator tracks it (keyed by its content)."""
    world = ctx.world
    user_id, workspace_id = str(record.get("user_id")), str(record.get("workspace_id"))
    day = parse_day(record.get("date")) or ctx.start
    notes = str(record.get("notes") or "")
    content = f"{record.get('category')}|{record.get('amount_in_cents')}|{notes}"
    key = f"{world.consultant_key(user_id)}|{world.project_key(workspace_id)}|{day}|{content}"
    return Expense(str(record["id"]), key, user_id, workspace_id, day, notes)


async def adopt_open_expenses(ctx: SimContext) -> None:
    """Track what the firm already has: pending expense reports get a decision day, and expenses of the
    last weeks on no pending or approved report (never submitted, or rejected) go back on their
    consultant's desk."""
    world = ctx.world
    yesterday = ctx.start - timedelta(days=1)
    params = {"statuses": "pending", "include": "expenses"}
    records, included = await ctx.kantata.index("expense_report_submissions", params)
    known = included.get("expenses", {})
    for record in records:
        ids = [str(i) for i in record.get("expense_ids", [])]
        expenses = sorted((expense_from(ctx, known[i]) for i in ids if i in known), key=lambda e: e.key)
        if not expenses:
            continue
        first = expenses[0]
        who, what = world.consultant_key(first.user_id), world.project_key(first.workspace_id)
        key = f"{who}|{what}|{record.get('title')}"
        submitted = min(parse_day(record.get("created_at")) or yesterday, yesterday)
        decide_on, reject = schedule(ctx, key, submitted)
        world.pending_reports.append(
            ExpenseReport(
                str(record["id"]),
                key,
                first.user_id,
                first.workspace_id,
                expenses,
                submitted,
                max(decide_on, ctx.start),
                reject,
            )
        )
    world.pending_reports.sort(key=lambda s: (s.key, s.submission_id))
    window = f"{ctx.start - timedelta(days=DRAFT_LOOKBACK_DAYS)}:{yesterday}"
    # Kantata renders an expense's active_submission_id only when the submission is included.
    params = {"date_between": window, "include": "active_submission"}
    filed, _ = await ctx.kantata.index("expenses", params)
    for record in filed:
        expense = expense_from(ctx, record)
        if record.get("active_submission_id") or expense.user_id not in world.consultants:
            continue
        if expense.workspace_id in world.projects:
            world.desk(expense.user_id).expenses.setdefault(expense.workspace_id, []).append(expense)
    for desk in world.desks.values():
        for expenses in desk.expenses.values():
            expenses.sort(key=lambda e: e.key)


async def _decide(
    ctx: SimContext, day: date, sheet: ExpenseReport, reject: bool, report: DayReport, late: bool
) -> None:
    reason = ctx.dice(day, "expense-rejection", sheet.key).pick(_REJECTIONS) if reject else "Approved"
    action = "reject" if reject else "approve"
    resolved = await ctx.kantata.resolve_expenses(action, sheet.submission_id, reason)
    ctx.world.pending_reports.remove(sheet)
    if resolved is None:
        return
    sheet.resolved_on = day
    if reject:
        sheet.status = "rejected"
        ctx.world.desk(sheet.user_id).reports_to_fix.append(sheet)
        report.add(Activity.EXPENSE_REPORTS_REJECTED)
        report.add(Activity.EXPENSES_REJECTED, len(sheet.expenses))
    else:
        sheet.status = "approved"
        report.add(Activity.EXPENSE_REPORTS_APPROVED)
        report.add(Activity.EXPENSES_APPROVED, len(sheet.expenses))
        if late:
            report.add(Activity.EXPENSE_REPORTS_APPROVED_LATE)


async def _decide_all(
    ctx: SimContext, day: date, sheets: list[ExpenseReport], report: DayReport, *, late: bool = False
) -> None:
    # Kantata resolves expense reports one at a time: they go out concurrently, decided from the dice.
    await gather_all(sheets, lambda sheet: _decide(ctx, day, sheet, sheet.reject, report, late))


async def run_expense_approvals(ctx: SimContext, day: date, report: DayReport) -> None:
    """The managers' morning: decide the expense reports due today."""
    pending = ctx.world.pending_reports
    due = sorted((s for s in pending if s.decide_on <= day), key=lambda s: (s.key, s.submission_id))
    await _decide_all(ctx, day, due, report)


async def run_expense_month_end(ctx: SimContext, day: date, report: DayReport) -> None:
    """The last working day of the month: every pending expense report not bound for rejection is
    approved."""
    pending = ctx.world.pending_reports
    late = sorted((s for s in pending if not s.reject), key=lambda s: (s.key, s.submission_id))
    await _decide_all(ctx, day, late, report, late=True)
