"""Consultants' evening in Kantata: fix rejected timesheets and submit them again, log the day's time
(6 to 9 hours split over their projects' tasks; some forget a day and catch up later; now and then an
entry goes in twice), and submit the week's timesheets on Friday (some on the next Monday, everyone on
the last working day of the month).

Time entries go in through the bulk create (100 a call), as a real time-capture integration sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from concord.sandbox.simulator.apis import gather_all
from concord.sandbox.simulator.calendar import is_month_end, week_start
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.dice import Dice
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.submissions import submit
from concord.sandbox.simulator.world import Consultant, Entry, Project, Timesheet

QUARTER = 15
MIN_QUARTERS = 2
FRIDAY = 4
_WORK = (
    "Workshop preparation",
    "Client workshop",
    "Design review",
    "Configuration",
    "Testing",
    "Status reporting",
    "Documentation",
    "Data analysis",
    "Stakeholder interviews",
    "Solution design",
)


@dataclass(frozen=True)
class _Planned:
    """An entry to create: its natural key and its body."""

    key: str
    body: dict[str, Any]
    late: bool
    duplicate: bool


def _split(dice: Dice, quarters: int, parts: int) -> list[int]:
    """``quarters`` cut into ``parts`` pieces of at least ``MIN_QUARTERS`` each (fewer parts if short)."""
    parts = max(1, min(parts, quarters // MIN_QUARTERS))
    spare = quarters - parts * MIN_QUARTERS
    cuts = sorted(dice.between(0, spare) for _ in range(parts - 1))
    edges = [0, *cuts, spare]
    return [MIN_QUARTERS + edges[i + 1] - edges[i] for i in range(parts)]


def _day_entries(
    ctx: SimContext, consultant: Consultant, projects: list[Project], day: date, late: bool
) -> list[_Planned]:
    """One consultant's entries for ``day`` on ``projects``."""
    behaviour = ctx.behaviour
    dice = ctx.dice(day, "log", consultant.key)
    low, high = behaviour.day_minutes
    quarters = dice.between(low, high, QUARTER) // QUARTER
    count = max(len(projects), dice.between(*behaviour.entries_per_day))
    planned: list[_Planned] = []
    for index, pieces in enumerate(_split(dice, quarters, count)):
        project = projects[index % len(projects)]
        stories = project.open_stories()
        mine = [s for s in stories if (s.story_id, consultant.user_id) in project.assigned]
        story = dice.pick(mine or stories) if stories else None
        work = dice.pick(_WORK)
        body: dict[str, Any] = {
            "workspace_id": project.workspace_id,
            "user_id": consultant.user_id,
            "date_performed": day.isoformat(),
            "time_in_minutes": pieces * QUARTER,
            "notes": f"{work} - {story.title}" if story else work,
        }
        if story is not None:
            body["story_id"] = story.story_id
        if consultant.role_id:
            body["role_id"] = consultant.role_id
        key = f"{consultant.key}|{project.key}|{day}|{index}"
        planned.append(_Planned(key, body, late, duplicate=False))
    if planned and dice.chance(behaviour.duplicate_entry):
        original = dice.pick(planned)
        planned.append(_Planned(f"{original.key}|again", dict(original.body), late, duplicate=True))
    return planned


def submission_day(ctx: SimContext, consultant: Consultant, day: date) -> bool:
    """Whether this consultant submits today (Friday unless late this week; everyone at month-end): their
    timesheets, and their expense reports with them."""
    if is_month_end(day):
        return True
    if day.weekday() != FRIDAY:
        return False
    return not ctx.dice("late-submitter", week_start(day), consultant.key).chance(
        ctx.behaviour.late_submitter
    )


def _plan_logging(ctx: SimContext, day: date, report: DayReport) -> list[_Planned]:
    world = ctx.world
    planned: list[_Planned] = []
    teams = world.memberships()
    for consultant in world.sorted_consultants():
        projects = teams.get(consultant.user_id, [])
        today = [p for p in projects if p.workable_on(day)]
        desk = world.desk(consultant.user_id)
        dice = ctx.dice(day, "diligence", consultant.key)
        submitting = submission_day(ctx, consultant, day)
        for missed in list(desk.missed):
            that_day = [p for p in projects if p.workable_on(missed)]
            if submitting or dice.chance(ctx.behaviour.catch_up):
                desk.missed.remove(missed)
                if that_day:
                    planned += _day_entries(ctx, consultant, that_day, missed, late=True)
        if not today:
            continue
        if not submitting and dice.chance(ctx.behaviour.forget_day):
            desk.missed.append(day)
            report.add(Activity.DAYS_FORGOTTEN)
            continue
        planned += _day_entries(ctx, consultant, today, day, late=False)
    return planned


async def _log(ctx: SimContext, day: date, report: DayReport) -> None:
    planned = _plan_logging(ctx, day, report)
    created = await ctx.kantata.create("time_entries", "time_entry", [p.body for p in planned])
    for item, record in zip(planned, created, strict=True):
        if record is None:
            continue
        entry = Entry(
            entry_id=str(record["id"]),
            key=item.key,
            user_id=str(item.body["user_id"]),
            workspace_id=str(item.body["workspace_id"]),
            day=date.fromisoformat(item.body["date_performed"]),
            minutes=int(item.body["time_in_minutes"]),
            notes=str(item.body["notes"]),
        )
        ctx.world.desk(entry.user_id).drafts.setdefault(entry.workspace_id, []).append(entry)
        report.add(Activity.ENTRIES_LOGGED)
        report.add(Activity.ENTRIES_LATE, int(item.late))
        report.add(Activity.ENTRIES_DUPLICATED, int(item.duplicate))
        report.add_hours(Decimal(entry.minutes) / 60)


async def _fix(ctx: SimContext, day: date, sheet: Timesheet, report: DayReport) -> None:
    """Correct one entry of a rejected timesheet and submit it again."""
    dice = ctx.dice(day, "fix", sheet.key)
    entry = dice.pick(sorted(sheet.entries, key=lambda e: (e.key, e.entry_id)))
    notes = f"{entry.notes} (split by task)" if dice.chance(0.5) else f"{entry.notes} (notes added)"
    if await ctx.kantata.update("time_entries", "time_entry", entry.entry_id, {"notes": notes}) is not None:
        entry.notes = notes
        report.add(Activity.ENTRIES_EDITED)
    await submit(
        ctx, day, sheet.entries, key=f"{sheet.key}|resubmitted", report=report, title_suffix=" (resubmitted)"
    )


async def _submit_week(ctx: SimContext, day: date, report: DayReport) -> None:
    world = ctx.world
    batches: list[tuple[str, list[Entry], bool]] = []
    for consultant in world.sorted_consultants():
        desk = world.desk(consultant.user_id)
        everything = submission_day(ctx, consultant, day)
        monday = week_start(day)
        for workspace_id in sorted(desk.drafts, key=world.project_key):
            drafts = desk.drafts[workspace_id]
            due = drafts if everything else [e for e in drafts if day.weekday() == 0 and e.day < monday]
            if not due:
                continue
            desk.drafts[workspace_id] = [e for e in drafts if e not in due]
            key = f"{consultant.key}|{world.project_key(workspace_id)}|{day}"
            double = ctx.dice(day, "double-submit", key).chance(ctx.behaviour.double_submit)
            batches.append((key, sorted(due, key=lambda e: (e.key, e.entry_id)), double))
        desk.drafts = {w: entries for w, entries in desk.drafts.items() if entries}
    await gather_all(
        batches, lambda batch: submit(ctx, day, batch[1], key=batch[0], report=report, double=batch[2])
    )


async def run_evening(ctx: SimContext, day: date, report: DayReport) -> None:
    """The consultants' end of a working day."""
    fixes = [sheet for c in ctx.world.sorted_consultants() for sheet in ctx.world.desk(c.user_id).to_fix]
    for consultant in ctx.world.sorted_consultants():
        ctx.world.desk(consultant.user_id).to_fix.clear()
    await gather_all(fixes, lambda sheet: _fix(ctx, day, sheet, report))
    await _log(ctx, day, report)
    await _submit_week(ctx, day, report)
