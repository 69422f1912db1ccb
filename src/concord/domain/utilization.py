"""Forecast labour cost and utilization per resource per ISO week (domain.md §3.2).

For each resource and each ISO week in a range:

- capacity: the resource's weekly capacity, or an override for that week (leave, holidays), maybe zero;
- assigned hours: each assignment's hours per week, prorated by the working days (Monday to Friday) of
  the week it covers, rounded per assignment and week;
- forecast labour cost: assigned hours times cost rate (the assignment's, else the resource's), rounded per
  assignment and week, summed per currency;
- worked and billable hours: from time entries (approved and submitted by default; never draft or
  rejected), and their actual cost;
- utilization: assigned, worked and billable hours / capacity, to four decimals; None when the capacity
  is zero, because a ratio of nothing is not 0 % and not 100 %.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from concord.domain.hours import Hours
from concord.domain.money import Money, line_amount
from concord.domain.objects import Assignment, Resource, TimeEntry, TimeEntryStatus
from concord.domain.periods import iso_week_start, working_days

__all__ = ["COUNTED_STATUSES", "ResourceWeek", "utilization_ratio", "weekly_utilization"]

COUNTED_STATUSES: frozenset[TimeEntryStatus] = frozenset(
    {TimeEntryStatus.APPROVED, TimeEntryStatus.SUBMITTED}
)
"""Time entry statuses counted as worked by default."""

_RATIO_PLACES = Decimal("0.0001")
_WEEK_DAYS = 5


@dataclass(frozen=True, slots=True)
class ResourceWeek:
    """One resource in one ISO week."""

    resource_id: str
    iso_year: int
    iso_week: int
    week_start: date
    """The Monday."""
    capacity: Hours
    assigned_hours: Hours
    worked_hours: Hours
    billable_hours: Hours
    forecast_cost: tuple[Money, ...] = field(default=())
    """Assigned hours times cost rate, one total per currency (usually one); empty without cost rates."""
    actual_cost: tuple[Money, ...] = field(default=())
    """Worked hours times the entries' cost rates, one total per currency."""
    assignments_without_cost_rate: tuple[str, ...] = ()
    """Global ids of assignments in the week with no cost rate anywhere: their cost is missing."""

    @property
    def assigned_utilization(self) -> Decimal | None:
        """Assigned hours divided by capacity; None when capacity is zero."""
        return utilization_ratio(self.assigned_hours, self.capacity)

    @property
    def worked_utilization(self) -> Decimal | None:
        """Worked hours divided by capacity; None when capacity is zero."""
        return utilization_ratio(self.worked_hours, self.capacity)

    @property
    def billable_utilization(self) -> Decimal | None:
        """Billable hours divided by capacity; None when capacity is zero."""
        return utilization_ratio(self.billable_hours, self.capacity)


def utilization_ratio(hours: Decimal, capacity: Decimal) -> Decimal | None:
    """hours / capacity, rounded half-up to four decimals (0.8125 is 81.25 %); None for zero capacity."""
    if capacity <= 0:
        return None
    return (hours / capacity).quantize(_RATIO_PLACES, rounding=ROUND_HALF_UP)


def _assigned_hours(assignment: Assignment, monday: date) -> Hours:
    start = max(assignment.start_date, monday)
    end = min(assignment.end_date, monday + timedelta(days=_WEEK_DAYS - 1))
    days = working_days(start, end)
    if days == _WEEK_DAYS:
        return assignment.hours_per_week
    return Hours(assignment.hours_per_week * days / _WEEK_DAYS)


def _by_currency(amounts: Iterable[Money]) -> tuple[Money, ...]:
    totals: dict[str, list[Money]] = {}
    for amount in amounts:
        totals.setdefault(amount.currency, []).append(amount)
    return tuple(Money.sum(lines, currency) for currency, lines in sorted(totals.items()))


def _week(
    resource: Resource,
    monday: date,
    capacity: Hours,
    assignments: list[Assignment],
    entries: list[TimeEntry],
) -> ResourceWeek:
    costs, missing, assigned = [], [], Decimal(0)
    for assignment in assignments:
        hours = _assigned_hours(assignment, monday)
        if hours == 0:
            continue
        assigned += hours
        rate = assignment.cost_rate or resource.cost_rate
        if rate is None:
            missing.append(assignment.global_id)
        else:
            costs.append(line_amount(hours, rate))
    worked = sum((e.hours for e in entries), Decimal(0))
    billable = sum((e.hours for e in entries if e.billable), Decimal(0))
    actual = [cost for e in entries if (cost := e.cost_amount()) is not None]
    iso_year, iso_week, _ = monday.isocalendar()
    return ResourceWeek(
        resource_id=resource.global_id,
        iso_year=iso_year,
        iso_week=iso_week,
        week_start=monday,
        capacity=capacity,
        assigned_hours=Hours(assigned),
        worked_hours=Hours(worked),
        billable_hours=Hours(billable),
        forecast_cost=_by_currency(costs),
        actual_cost=_by_currency(actual),
        assignments_without_cost_rate=tuple(missing),
    )


def weekly_utilization(
    resources: Iterable[Resource],
    assignments: Iterable[Assignment],
    entries: Iterable[TimeEntry],
    *,
    first_day: date,
    last_day: date,
    capacity_overrides: Mapping[tuple[str, date], Hours] | None = None,
    counted_statuses: Collection[TimeEntryStatus] = COUNTED_STATUSES,
) -> list[ResourceWeek]:
    """One row per resource and ISO week touching [first_day, last_day], sorted by resource then week.

    Args:
        resources: the people to report on; assignments and entries of anyone else are not counted.
        assignments: their assignments (any project).
        entries: their time entries (any status; `counted_statuses` decides what counts as worked).
        first_day: a day in the first week reported.
        last_day: a day in the last week reported.
        capacity_overrides: (resource global id, Monday) → that week's capacity (leave, holidays).
        counted_statuses: which time entry statuses count as worked.

    Raises:
        ValueError: when last_day is before first_day.
    """
    if last_day < first_day:
        raise ValueError(f"The range ends on {last_day} before it starts on {first_day}.")
    overrides = capacity_overrides or {}
    mondays = []
    monday = iso_week_start(first_day)
    while monday <= last_day:
        mondays.append(monday)
        monday += timedelta(weeks=1)
    people = sorted({r.global_id: r for r in resources}.values(), key=lambda r: r.global_id)
    staffed: dict[str, list[Assignment]] = {}
    for assignment in assignments:
        staffed.setdefault(assignment.resource_id, []).append(assignment)
    worked: dict[tuple[str, date], list[TimeEntry]] = {}
    for entry in entries:
        if entry.status in counted_statuses:
            worked.setdefault((entry.resource_id, iso_week_start(entry.work_date)), []).append(entry)
    rows = []
    for person in people:
        for monday in mondays:
            sunday = monday + timedelta(days=6)
            running = [
                a
                for a in staffed.get(person.global_id, [])
                if a.start_date <= sunday and a.end_date >= monday
            ]
            capacity = overrides.get((person.global_id, monday), person.capacity_hours_per_week)
            rows.append(_week(person, monday, capacity, running, worked.get((person.global_id, monday), [])))
    return rows
