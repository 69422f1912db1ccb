"""Submitting a timesheet in Kantata (one consultant's entries on one project) and deciding, at
submission, when its manager will decide on it and whether it will be rejected."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from concord.sandbox.simulator.calendar import next_workday, week_start
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.world import Entry, Timesheet

TITLE_LENGTH = 255


def schedule(ctx: SimContext, key: str, submitted_on: date, *, approve: bool = False) -> tuple[date, bool]:
    """When the timesheet called ``key`` is decided and whether it is rejected (never when ``approve``)."""
    dice = ctx.dice("timesheet-decision", key)
    delays = ctx.behaviour.approval_delay
    delay = dice.weighted([days for days, _ in delays], [weight for _, weight in delays])
    rejected = dice.chance(ctx.behaviour.rejected)
    return next_workday(submitted_on, delay), rejected and not approve


def title_for(
    ctx: SimContext, user_id: str, workspace_id: str, entries: Sequence[Entry], suffix: str = ""
) -> str:
    """``<consultant> - <project> - week of <Monday>`` (plus ``suffix``)."""
    consultant = ctx.world.consultants.get(user_id)
    project = ctx.world.projects.get(workspace_id)
    first = min((entry.day for entry in entries), default=ctx.start)
    who = consultant.name if consultant else f"User {user_id}"
    what = project.title if project else f"Project {workspace_id}"
    return f"{who} - {what} - week of {week_start(first)}{suffix}"[:TITLE_LENGTH]


async def submit(
    ctx: SimContext,
    day: date,
    entries: Sequence[Entry],
    *,
    key: str,
    report: DayReport,
    title_suffix: str = "",
    approve: bool = False,
    double: bool = False,
) -> Timesheet | None:
    """Submit ``entries`` (all of one consultant and project) as a timesheet; track it as pending.

    Args:
        ctx: The simulation.
        day: Today.
        entries: What to submit.
        key: The timesheet's natural key (its decisions are drawn from it).
        report: Today's report.
        title_suffix: Added to the title (e.g. " (corrected)").
        approve: It will be approved whatever the dice say (a corrected timesheet).
        double: The consultant clicks Submit twice; the second submission should be refused.

    Returns:
        The timesheet, or ``None`` when Kantata refused it (the reason is in the report).
    """
    first = entries[0]
    body = {
        "workspace_id": first.workspace_id,
        "user_id": first.user_id,
        "title": title_for(ctx, first.user_id, first.workspace_id, entries, title_suffix),
        "line_item_ids": [entry.entry_id for entry in entries],
    }
    record = await ctx.kantata.submit(body)
    if record is None:
        return None
    decide_on, reject = schedule(ctx, key, day, approve=approve)
    sheet = Timesheet(
        submission_id=str(record["id"]),
        key=key,
        user_id=first.user_id,
        workspace_id=first.workspace_id,
        entries=list(entries),
        submitted_on=day,
        decide_on=decide_on,
        reject=reject,
    )
    ctx.world.pending.append(sheet)
    report.add(Activity.TIMESHEETS_SUBMITTED)
    if double:
        again = await ctx.kantata.client.send(
            "POST", "/api/v1/timesheet_submissions.json", body={"timesheet_submission": body}
        )
        if again.status_code == 422:
            report.add(Activity.DUPLICATE_SUBMISSIONS_REFUSED)
        else:
            report.error(f"kantata answered a repeated timesheet submission with {again.status_code}")
    return sheet
