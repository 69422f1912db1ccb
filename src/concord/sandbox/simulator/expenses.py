"""Consultants filing expenses in Kantata: category, amount in the project's currency, billable or not,
reimbursable, with a receipt reference; filed in bulk at the end of the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.world import Project

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


async def run_expenses(ctx: SimContext, day: date, report: DayReport) -> None:
    """Some consultants on projects file one expense each."""
    world = ctx.world
    planned: list[tuple[Project, dict[str, Any]]] = []
    teams = world.memberships()
    for consultant in world.sorted_consultants():
        projects = [p for p in teams.get(consultant.user_id, []) if p.workable_on(day)]
        dice = ctx.dice(day, "expense", consultant.key)
        if projects and dice.chance(ctx.behaviour.expense):
            project = dice.pick(projects)
            planned.append((project, _expense(ctx, day, consultant.key, consultant.user_id, project)))
    created = await ctx.kantata.create("expenses", "expense", [body for _, body in planned])
    for (project, body), record in zip(planned, created, strict=True):
        if record is not None:
            report.add(Activity.EXPENSES_FILED)
            report.add_expense(project.currency, Decimal(int(body["amount_in_cents"])) / project.base_unit)
