"""Finance closing the books in NetSuite: on the third working day of a month (after the month-end burst
of approvals), every open monthly accounting period that ended before this month is closed, then every
quarter or year whose periods are all closed. Closing is a ``PATCH`` of the ``accountingPeriod`` record
(``closed: true``), which the emulator accepts as the period close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from concord.sandbox.simulator.context import SimContext, record_failure
from concord.sandbox.simulator.http import ApiError
from concord.sandbox.simulator.report import Activity, DayReport

PERIODS_QUERY = (
    "SELECT id, periodname, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate, "
    "TO_CHAR(enddate, 'YYYY-MM-DD') AS enddate, closed, isyear, isquarter, isadjust, isinactive, parent "
    "FROM accountingperiod"
)


@dataclass
class _Period:
    period_id: str
    name: str
    start: date
    end: date
    summary: bool
    closed: bool
    parent: str | None


def _periods(rows: list[dict[str, str]]) -> list[_Period]:
    periods = []
    for row in rows:
        if row.get("isinactive") == "T":
            continue
        try:
            start, end = date.fromisoformat(row["startdate"]), date.fromisoformat(row["enddate"])
        except (KeyError, ValueError):
            continue
        summary = row.get("isyear") == "T" or row.get("isquarter") == "T"
        periods.append(
            _Period(
                row["id"],
                row.get("periodname", row["id"]),
                start,
                end,
                summary,
                row.get("closed") == "T",
                row.get("parent"),
            )
        )
    return sorted(periods, key=lambda p: (p.end, p.summary, p.name))


def _to_close(periods: list[_Period], month_start: date) -> list[_Period]:
    """Open periods ended before ``month_start``: months first, then quarters and years whose periods
    would all be closed."""
    closing = [p for p in periods if not p.summary and not p.closed and p.end < month_start]
    closed = {p.period_id for p in periods if p.closed} | {p.period_id for p in closing}
    for period in periods:  # in end-date order, so quarters come before their year
        if not period.summary or period.closed or period.end >= month_start:
            continue
        children = [p for p in periods if p.parent == period.period_id]
        if all(child.period_id in closed for child in children):
            closing.append(period)
            closed.add(period.period_id)
    return closing


async def run_close(ctx: SimContext, day: date, report: DayReport) -> None:
    """Close the previous periods (called on the closing day of the month)."""
    try:
        periods = _periods(await ctx.netsuite.suiteql(PERIODS_QUERY))
        for period in _to_close(periods, day.replace(day=1)):
            # One at a time, in order: a quarter closes after its months.
            await ctx.netsuite.update("accountingPeriod", period.period_id, {"closed": True})
            report.add(Activity.PERIODS_CLOSED)
    except ApiError as error:
        record_failure(report, error)
