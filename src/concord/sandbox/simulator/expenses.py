"""Consultants' expenses in Kantata: filed at the end of the day (category, amount in the project's
currency, billable or not, reimbursable, with a receipt reference; in bulk), submitted as one expense
report per project on the day they submit their timesheets, and corrected and submitted again when
their manager rejects a report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from concord.sandbox.simulator.apis import gather_all
from concord.sandbox.simulator.calendar import week_start
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.expense_reports import submit_report
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.timesheets import submission_day
from concord.sandbox.simulator.world import Expense, ExpenseReport, Project

BILLABLE_SHARE = 0.8


@dataclass(frozen=True)
class Category:
    """An expense category and its usual amount range (in currency units)."""

    name: str
    weight: int
    low: int
    high: int
    vendor: str


CATEGORIES = (
    Category("Travel", 30, 80, 900, "Rail and air"),
    Category("Lodging", 20, 90, 400, "Hotel"),
    Category("Meals", 30, 12, 120, "Restaurant"),
    Category("Mileage", 10, 15, 180, "Own car"),
    Category("Software", 5, 20, 300, "Subscription"),
    Category("Other", 5, 10, 200, "Sundry"),
)
_FIXES = ("receipt attached", "client meeting named", "within policy after all: partner sign-off")


def _expense(
    ctx: SimContext, day: date, consultant_key: str, user_id: str, project: Project
) -> dict[str, Any]:
    dice = ctx.dice(day, "expense-details", consultant_key)
    category = dice.weighted(CATEGORIES, [c.weight for c in CATEGORIES])
    units = dice.between(category.low, category.high)
    cents = dice.between(0, 99) if project.base_unit == 100 else 0
    receipt = dice.between(100_000, 999_999)
    return {
        "workspace_id": project.workspace_id,
        "user_id": user_id,
        "date": day.isoformat(),
        "category": category.name,
        "amount_in_cents": units * project.base_unit + cents,
        "billable": dice.chance(BILLABLE_SHARE),
        "reimbursable": True,
        "receipt_id": receipt,
        "notes": f"{category.vendor}, receipt RCPT-{day:%Y%m%d}-{receipt}",
    }


async def _file(ctx: SimContext, day: date, report: DayReport) -> None:
    """Some consultants on projects file one expense each; it waits on their desk to be submitted."""
    world = ctx.world
    planned: list[tuple[str, Project, dict[str, Any]]] = []
    teams = world.memberships()
    for consultant in world.sorted_consultants():
        projects = [p for p in teams.get(consultant.user_id, []) if p.workable_on(day)]
        dice = ctx.dice(day, "expense", consultant.key)
        if projects and dice.chance(ctx.behaviour.expense):
            project = dice.pick(projects)
            body = _expense(ctx, day, consultant.key, consultant.user_id, project)
            planned.append((f"{consultant.key}|{project.key}|{day}", project, body))
    created = await ctx.kantata.create("expenses", "expense", [body for _, _, body in planned])
    for (key, project, body), record in zip(planned, created, strict=True):
        if record is None:
            continue
        user_id = str(body["user_id"])
        expense = Expense(str(record["id"]), key, user_id, project.workspace_id, day, str(body["notes"]))
        world.desk(user_id).expenses.setdefault(project.workspace_id, []).append(expense)
        report.add(Activity.EXPENSES_FILED)
        report.add_expense(project.currency, Decimal(int(body["amount_in_cents"])) / project.base_unit)


async def _fix(ctx: SimContext, day: date, sheet: ExpenseReport, report: DayReport) -> None:
    """Complete the notes of a rejected report's expenses and submit it again."""
    fix = ctx.dice(day, "expense-fix", sheet.key).pick(_FIXES)

    async def amend(expense: Expense) -> None:
        notes = f"{expense.notes} ({fix})"
        changes = {"notes": notes}
        if await ctx.kantata.update("expenses", "expense", expense.expense_id, changes) is not None:
            expense.notes = notes
            report.add(Activity.EXPENSES_EDITED)

    await gather_all(sheet.expenses, amend)
    await submit_report(
        ctx, day, sheet.expenses, key=f"{sheet.key}|resubmitted", report=report, title_suffix=" (resubmitted)"
    )


async def _submit(ctx: SimContext, day: date, report: DayReport) -> None:
    """On their submission day consultants submit every expense on their desk, one report per project
    (a late submitter's Monday: the expenses of the weeks before)."""
    world = ctx.world
    batches: list[tuple[str, list[Expense]]] = []
    for consultant in world.sorted_consultants():
        desk = world.desk(consultant.user_id)
        everything = submission_day(ctx, consultant, day)
        monday = week_start(day)
        for workspace_id in sorted(desk.expenses, key=world.project_key):
            filed = desk.expenses[workspace_id]
            due = filed if everything else [e for e in filed if day.weekday() == 0 and e.day < monday]
            if not due:
                continue
            desk.expenses[workspace_id] = [e for e in filed if e not in due]
            key = f"{consultant.key}|{world.project_key(workspace_id)}|{day}|expenses"
            batches.append((key, sorted(due, key=lambda e: (e.key, e.expense_id))))
        desk.expenses = {w: expenses for w, expenses in desk.expenses.items() if expenses}
    await gather_all(batches, lambda batch: submit_report(ctx, day, batch[1], key=batch[0], report=report))


async def run_expenses(ctx: SimContext, day: date, report: DayReport) -> None:
    """The consultants' expenses at the end of a working day: rejected reports corrected and submitted
    again, the day's expenses filed, the week's submitted."""
    world = ctx.world
    fixes: list[ExpenseReport] = []
    for consultant in world.sorted_consultants():
        desk = world.desk(consultant.user_id)
        fixes += sorted(desk.reports_to_fix, key=lambda s: (s.key, s.submission_id))
        desk.reports_to_fix.clear()
    await gather_all(fixes, lambda sheet: _fix(ctx, day, sheet, report))
    await _file(ctx, day, report)
    await _submit(ctx, day, report)
