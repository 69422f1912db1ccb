"""Managers deciding timesheets in Kantata: most are approved within one to three working days (in bulk,
as the approval screen does), a few are rejected and go back to their consultant, a few approved ones are
reopened to correct an entry and submitted again, and on the last working day of a month everything
still pending is approved in one burst."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from concord.sandbox.simulator.apis import gather_all
from concord.sandbox.simulator.calendar import first_workday_of_week_in, next_workday
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.observe import parse_day, read_submissions
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.submissions import schedule, submit
from concord.sandbox.simulator.world import Entry, Timesheet

CORRECTION_WINDOW_DAYS = 10
_REJECTIONS = (
    "Please split the hours by task",
    "Hours on the wrong project",
    "Missing notes for client-billable time",
    "More than the agreed hours for this week",
)
_CORRECTIONS = ("Hours corrected", "Moved time to the right day", "Client asked for a correction")


def _sheet_key(ctx: SimContext, first: Entry, record: dict[str, Any]) -> str:
    world = ctx.world
    return (
        f"{world.consultant_key(first.user_id)}|{world.project_key(first.workspace_id)}|{record.get('title')}"
    )


def _correction_day(ctx: SimContext, sheet: Timesheet, approved_on: date) -> date | None:
    """The day an approved timesheet will be reopened for a correction, decided once at approval."""
    dice = ctx.dice("correction?", sheet.key)
    if not dice.chance(ctx.behaviour.edit_after_approval):
        return None
    return next_workday(approved_on, dice.between(*ctx.behaviour.correction_days))


async def adopt_open_timesheets(ctx: SimContext) -> None:
    """Track the timesheets the firm already has: pending ones get a decision day, recent approved ones
    may be reopened for a correction."""
    world = ctx.world
    yesterday = ctx.start - timedelta(days=1)
    for record, entries in await read_submissions(ctx, "pending"):
        if not entries:
            continue
        first = entries[0]
        key = _sheet_key(ctx, first, record)
        submitted = min(parse_day(record.get("created_at")) or yesterday, yesterday)
        decide_on, reject = schedule(ctx, key, submitted)
        sheet = Timesheet(
            str(record["id"]),
            key,
            first.user_id,
            first.workspace_id,
            entries,
            submitted,
            max(decide_on, ctx.start),
            reject,
        )
        world.pending.append(sheet)
    for record, entries in await read_submissions(ctx, "approved"):
        if not entries:
            continue
        first = entries[0]
        key = _sheet_key(ctx, first, record)
        sheet = Timesheet(
            str(record["id"]),
            key,
            first.user_id,
            first.workspace_id,
            entries,
            yesterday,
            yesterday,
            False,
            status="approved",
            resolved_on=yesterday,
        )
        sheet.correct_on = _correction_day(ctx, sheet, yesterday)
        world.approved.append(sheet)
    world.pending.sort(key=lambda s: s.key)
    world.approved.sort(key=lambda s: s.key)


async def _resolve(
    ctx: SimContext,
    day: date,
    sheets: list[Timesheet],
    reject: bool,
    report: DayReport,
    *,
    late: bool = False,
) -> None:
    if not sheets:
        return
    world = ctx.world
    action = "reject" if reject else "approve"
    reason = ctx.dice(day, "rejection-reason").pick(_REJECTIONS) if reject else "Approved"
    resolved = set(await ctx.kantata.resolve(action, [s.submission_id for s in sheets], reason))
    for sheet in sheets:
        world.pending.remove(sheet)
        if sheet.submission_id not in resolved:
            continue
        sheet.resolved_on = day
        if reject:
            sheet.status = "rejected"
            world.desk(sheet.user_id).to_fix.append(sheet)
            report.add(Activity.TIMESHEETS_REJECTED)
            report.add(Activity.ENTRIES_REJECTED, len(sheet.entries))
        else:
            sheet.status = "approved"
            sheet.correct_on = _correction_day(ctx, sheet, day)
            world.approved.append(sheet)
            report.add(Activity.TIMESHEETS_APPROVED)
            report.add(Activity.ENTRIES_APPROVED, len(sheet.entries))
            if late:
                report.add(Activity.TIMESHEETS_APPROVED_LATE)


async def _correct(ctx: SimContext, day: date, sheet: Timesheet, report: DayReport) -> None:
    """Reopen an approved timesheet (the manager rejects it), edit one entry, submit it again."""
    dice = ctx.dice(day, "correction", sheet.key)
    reason = dice.pick(_CORRECTIONS)
    if not await ctx.kantata.resolve("reject", [sheet.submission_id], f"Reopened: {reason}"):
        return
    ctx.world.approved.remove(sheet)
    sheet.status = "rejected"
    report.add(Activity.TIMESHEETS_REOPENED)
    entry = dice.pick(sorted(sheet.entries, key=lambda e: (e.key, e.entry_id)))
    minutes = max(15, entry.minutes + dice.pick((-60, -30, -15, 15, 30, 60)))
    changes = {"time_in_minutes": minutes, "notes": f"{entry.notes} ({reason.lower()})".strip()}
    if await ctx.kantata.update("time_entries", "time_entry", entry.entry_id, changes) is not None:
        entry.minutes, entry.notes = minutes, str(changes["notes"])
        report.add(Activity.ENTRIES_EDITED_AFTER_APPROVAL)
    await submit(
        ctx,
        day,
        sheet.entries,
        key=f"{sheet.key}|corrected",
        report=report,
        title_suffix=" (corrected)",
        approve=True,
    )


async def _corrections(ctx: SimContext, day: date, report: DayReport) -> None:
    world = ctx.world
    horizon = day - timedelta(days=CORRECTION_WINDOW_DAYS)
    world.approved = [s for s in world.approved if s.resolved_on is not None and s.resolved_on >= horizon]
    recent = sorted(
        (s for s in world.approved if s.resolved_on != day), key=lambda s: (s.key, s.submission_id)
    )
    chosen = [s for s in recent if s.correct_on is not None and s.correct_on <= day]
    if not chosen and recent and first_workday_of_week_in(day, ctx.start):
        # Every week brings at least one correction after approval.
        chosen = [ctx.dice(day, "correct-floor").pick(recent)]
    await gather_all(chosen, lambda sheet: _correct(ctx, day, sheet, report))


async def run_approvals(ctx: SimContext, day: date, report: DayReport) -> None:
    """The managers' morning: decide the timesheets due today, then reopen a few for corrections."""
    due = sorted((s for s in ctx.world.pending if s.decide_on <= day), key=lambda s: (s.key, s.submission_id))
    await _resolve(ctx, day, [s for s in due if not s.reject], False, report)
    await _resolve(ctx, day, [s for s in due if s.reject], True, report)
    await _corrections(ctx, day, report)


async def run_month_end(ctx: SimContext, day: date, report: DayReport) -> None:
    """The last working day of the month: every pending timesheet not bound for rejection is approved."""
    late = sorted((s for s in ctx.world.pending if not s.reject), key=lambda s: (s.key, s.submission_id))
    await _resolve(ctx, day, late, False, report, late=True)
