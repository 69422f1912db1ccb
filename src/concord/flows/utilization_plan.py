"""What the utilization flow decides, as pure functions: the weeks of one resource to write, from its
assignments (the planned part) or from its time of one week (the worked part), and what is wrong with them.

The weeks are computed by the domain (``concord.domain.utilization.weekly_utilization``). Only what changed
since the last write is written: the instance keeps a content hash per week it wrote, so a replay or a run
that found nothing new writes nothing. A week written before that now has nothing assigned (an assignment
moved or taken back) or nothing worked (its time rejected) is written once more, to take its figures back;
after that it is forgotten, so the instance keeps only the weeks that hold something.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems
from concord.domain.messages import content_hash
from concord.domain.objects import Assignment, Resource, TimeEntry, TimeEntryStatus
from concord.domain.periods import iso_week_start
from concord.domain.utilization import ResourceWeek, weekly_utilization
from concord.domain.utilization_figures import ResourceWeekFigures

__all__ = [
    "Part",
    "WeekPlan",
    "flow_key",
    "iso_week_label",
    "plan_planned_weeks",
    "plan_worked_week",
    "weeks_covered",
]


class Part(StrEnum):
    """Which figures of a resource's weeks an instance computes."""

    PLANNED = "planned"
    """From the resource's assignments: assigned hours and forecast cost, for every week they cover."""
    WORKED = "worked"
    """From the resource's time entries of one ISO week: hours worked and billable."""


def iso_week_label(monday: date) -> str:
    """``2026-W23``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def flow_key(part: Part, resource_id: str, work_date: date | None = None) -> str:
    """The instance a record belongs to: its resource's assignments, or its resource's time of one week."""
    if part is Part.PLANNED:
        return f"{resource_id}|{part.value}"
    assert work_date is not None, "time is keyed to its week"
    return f"{resource_id}|{part.value}|{iso_week_label(iso_week_start(work_date))}"


def weeks_covered(assignment: Assignment) -> list[date]:
    """The Mondays of the ISO weeks the assignment runs in."""
    mondays, monday = [], iso_week_start(assignment.start_date)
    while monday <= assignment.end_date:
        mondays.append(monday)
        monday += timedelta(weeks=1)
    return mondays


@dataclass(frozen=True, slots=True)
class WeekPlan:
    """The weeks to write, what the instance holds as written afterwards, and what is wrong."""

    to_write: tuple[ResourceWeekFigures, ...] = ()
    written: dict[str, str] = field(default_factory=dict)
    """Week (its Monday, ISO) → content hash of its figures, for the weeks that hold something."""
    findings: tuple[Finding, ...] = ()


def _plan(
    figures: Iterable[ResourceWeekFigures], written_before: Mapping[str, str], findings: Sequence[Finding]
) -> WeekPlan:
    to_write: list[ResourceWeekFigures] = []
    written: dict[str, str] = {}
    for week in figures:
        monday = week.week_start.isoformat()
        digest = content_hash(week.model_dump(mode="json"))
        empty = (week.planned is not None and week.planned.assigned_hours == 0) or (
            week.worked is not None and week.worked.worked_hours == 0
        )
        if written_before.get(monday) != digest and (not empty or monday in written_before):
            to_write.append(week)
        if not empty:
            written[monday] = digest
    return WeekPlan(tuple(to_write), written, tuple(findings))


def plan_planned_weeks(
    resource: Resource,
    assignments: Sequence[Assignment],
    written_before: Mapping[str, str],
    systems: Systems,
) -> WeekPlan:
    """Assigned hours and forecast cost of every week ``assignments`` cover and every week written before.

    Assignments of other resources are not counted.
    """
    mine = [a for a in assignments if a.resource_id == resource.global_id]
    mondays = {monday for a in mine for monday in weeks_covered(a)}
    mondays |= {date.fromisoformat(monday) for monday in written_before}
    if not mondays:
        return WeekPlan()
    rows = weekly_utilization([resource], mine, [], first_day=min(mondays), last_day=max(mondays))
    weeks = [row for row in rows if row.week_start in mondays]
    figures = [ResourceWeekFigures.planned_of(week, resource.name) for week in weeks]
    return _plan(figures, written_before, _cost_findings(resource, weeks, systems))


def plan_worked_week(
    resource: Resource,
    monday: date,
    entries: Sequence[TimeEntry],
    written_before: Mapping[str, str],
    counted_statuses: Collection[TimeEntryStatus],
) -> WeekPlan:
    """Hours worked and billable in the week of ``monday``; entries of other resources or weeks (an entry
    moved since it was gathered) are not counted."""
    mine = [
        e for e in entries if e.resource_id == resource.global_id and iso_week_start(e.work_date) == monday
    ]
    (week,) = weekly_utilization(
        [resource], [], mine, first_day=monday, last_day=monday, counted_statuses=counted_statuses
    )
    return _plan([ResourceWeekFigures.worked_of(week, resource.name)], written_before, ())


def _cost_findings(resource: Resource, weeks: Sequence[ResourceWeek], systems: Systems) -> list[Finding]:
    """One finding about the resource when a week's forecast cost is not known in full."""
    missing = sorted({a for w in weeks for a in w.assignments_without_cost_rate})
    mixed = [w for w in weeks if len(w.forecast_cost) > 1]
    subject = RecordRef.of(resource, f"'{resource.name}'")
    findings = []
    if missing:
        count = "1 assignment carries" if len(missing) == 1 else f"{len(missing)} assignments carry"
        findings.append(
            Finding(
                FindingCategory.VALIDATION,
                "utilization.cost_rate_missing",
                f"The forecast labour cost of {resource.name} is unknown: {count} no cost rate in "
                f"{systems.psa_name}, and {systems.erp_name} holds none for "
                f"{resource.name}. Set the cost rate in {systems.erp_name}; the cost is worked out again "
                "when this exception is retried or their assignments next change.",
                subject,
            )
        )
    if mixed:
        weeks_named = ", ".join(iso_week_label(w.week_start) for w in mixed[:3])
        currencies = ", ".join(sorted({m.currency for w in mixed for m in w.forecast_cost}))
        findings.append(
            Finding(
                FindingCategory.CONFLICT,
                "utilization.cost_currencies",
                f"The forecast labour cost of {resource.name} in {weeks_named} is in several currencies "
                f"({currencies}), so no one figure is kept for those weeks. Give their assignments cost "
                "rates in one currency.",
                subject,
            )
        )
    return findings
