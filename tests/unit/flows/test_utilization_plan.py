"""The utilization flow's decisions, pure: which weeks of a resource are written, with which figures, and
what a replay, an edited assignment or rejected time writes (figures hand-computed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from concord.domain.findings import FindingCategory
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import TimeEntryStatus
from concord.domain.utilization import COUNTED_STATUSES
from concord.domain.utilization_figures import ResourceWeekFigures
from concord.flows.utilization_plan import (
    Part,
    flow_key,
    iso_week_label,
    plan_planned_weeks,
    plan_worked_week,
    weeks_covered,
)
from unit.domain.rule_facts import SYSTEMS, assignment, entry, resource, usd
from unit.domain.samples import RESOURCE_ID

W23, W24, W25 = date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)


def _design(**changes: object):  # type: ignore[no-untyped-def]
    """20 h a week from Wednesday 3 June to Friday 19 June 2026, at the resource's cost rate (62.50 USD)."""
    fields = {
        "global_id": "01HZY8A0000000000000000001",
        "hours_per_week": Hours(20),
        "start_date": date(2026, 6, 3),
        "end_date": date(2026, 6, 19),
        "cost_rate": None,
    }
    return assignment(**(fields | changes))


def _planned(plan) -> dict[date, tuple[Decimal, Money | None]]:  # type: ignore[no-untyped-def]
    out = {}
    for week in plan.to_write:
        assert week.planned is not None and week.worked is None
        out[week.week_start] = (week.planned.assigned_hours, week.planned.forecast_cost)
    return out


def test_an_assignment_is_written_for_every_week_it_covers_prorated_by_working_days() -> None:
    plan = plan_planned_weeks(resource(), [_design()], {}, SYSTEMS)
    # Week 23 holds Wednesday to Friday: 3 of 5 working days of 20 h; 12 h x 62.50 = 750.00.
    assert _planned(plan) == {
        W23: (Decimal("12.00"), usd("750.00")),
        W24: (Decimal("20.00"), usd("1250.00")),
        W25: (Decimal("20.00"), usd("1250.00")),
    }
    assert {w.capacity_hours for w in plan.to_write} == {Decimal(40)}
    assert {w.resource_name for w in plan.to_write} == {"Ada Byron"}
    assert sorted(plan.written) == ["2026-06-01", "2026-06-08", "2026-06-15"]
    assert plan.findings == ()


def test_a_run_that_finds_nothing_new_writes_nothing() -> None:
    first = plan_planned_weeks(resource(), [_design()], {}, SYSTEMS)
    again = plan_planned_weeks(resource(), [_design()], first.written, SYSTEMS)
    assert again.to_write == () and again.written == first.written


def test_an_assignment_cut_short_takes_its_last_week_back_once_and_leaves_the_others() -> None:
    first = plan_planned_weeks(resource(), [_design()], {}, SYSTEMS)
    shorter = plan_planned_weeks(resource(), [_design(end_date=date(2026, 6, 12))], first.written, SYSTEMS)
    # Only week 25 changed: nothing assigned there any more, and no cost to forecast.
    assert _planned(shorter) == {W25: (Decimal("0.00"), None)}
    assert sorted(shorter.written) == ["2026-06-01", "2026-06-08"]
    again = plan_planned_weeks(resource(), [_design(end_date=date(2026, 6, 12))], shorter.written, SYSTEMS)
    assert again.to_write == () and again.written == shorter.written


def test_more_hours_on_an_assignment_rewrite_every_week_it_covers() -> None:
    first = plan_planned_weeks(resource(), [_design()], {}, SYSTEMS)
    more = plan_planned_weeks(resource(), [_design(hours_per_week=Hours(30))], first.written, SYSTEMS)
    assert _planned(more) == {
        W23: (Decimal("18.00"), usd("1125.00")),
        W24: (Decimal("30.00"), usd("1875.00")),
        W25: (Decimal("30.00"), usd("1875.00")),
    }


def test_a_capacity_change_rewrites_the_weeks_with_the_new_capacity() -> None:
    first = plan_planned_weeks(resource(), [_design()], {}, SYSTEMS)
    part_time = resource(capacity_hours_per_week=Hours(32))
    plan = plan_planned_weeks(part_time, [_design()], first.written, SYSTEMS)
    assert {w.capacity_hours for w in plan.to_write} == {Decimal(32)} and len(plan.to_write) == 3


def test_two_assignments_in_one_week_add_up_and_others_assignments_are_not_counted() -> None:
    other = _design(global_id=new_id(), hours_per_week=Hours(10), cost_rate=usd("80"))
    someone_else = _design(global_id=new_id(), resource_id=new_id())
    plan = plan_planned_weeks(resource(), [_design(), other, someone_else], {}, SYSTEMS)
    # Week 24: 20 h x 62.50 + 10 h x 80.00 = 1250.00 + 800.00.
    assert _planned(plan)[W24] == (Decimal("30.00"), usd("2050.00"))


def test_without_any_cost_rate_the_cost_is_unknown_and_one_finding_says_why() -> None:
    plan = plan_planned_weeks(resource(cost_rate=None), [_design()], {}, SYSTEMS)
    assert _planned(plan)[W24] == (Decimal("20.00"), None)
    (finding,) = plan.findings
    assert finding.category is FindingCategory.VALIDATION and finding.rule == "utilization.cost_rate_missing"
    assert "1 assignment carries no cost rate in Kantata" in finding.message
    assert "NetSuite holds none for Ada Byron" in finding.message
    assert finding.subject.global_id == RESOURCE_ID


def test_costs_in_two_currencies_keep_no_one_figure_and_say_so() -> None:
    euro = _design(global_id=new_id(), hours_per_week=Hours(10), cost_rate=Money("70", "EUR"))
    plan = plan_planned_weeks(resource(), [_design(), euro], {}, SYSTEMS)
    assert _planned(plan)[W24] == (Decimal("30.00"), None)
    (finding,) = plan.findings
    assert finding.rule == "utilization.cost_currencies" and "(EUR, USD)" in finding.message


def _time(day: date, hours: str, status: TimeEntryStatus, *, billable: bool = True, **other: object):  # type: ignore[no-untyped-def]
    if status is not TimeEntryStatus.APPROVED:
        other |= {"approved_at": None}
    return entry(work_date=day, hours=Hours(hours), status=status, billable=billable, **other)


def test_the_worked_week_counts_approved_and_submitted_time_of_the_resource_in_that_week_only() -> None:
    entries = [
        _time(date(2026, 6, 8), "7.5", TimeEntryStatus.APPROVED),
        _time(date(2026, 6, 9), "8", TimeEntryStatus.SUBMITTED, billable=False),
        _time(date(2026, 6, 10), "4", TimeEntryStatus.DRAFT),
        _time(date(2026, 6, 11), "6", TimeEntryStatus.REJECTED),
        _time(date(2026, 6, 15), "5", TimeEntryStatus.APPROVED),  # moved into week 25 since
        _time(date(2026, 6, 12), "3", TimeEntryStatus.APPROVED, resource_id=new_id()),
    ]
    plan = plan_worked_week(resource(), W24, entries, {}, COUNTED_STATUSES)
    (week,) = plan.to_write
    assert week.worked is not None and week.planned is None
    assert (week.worked.worked_hours, week.worked.billable_hours) == (Decimal("15.50"), Decimal("7.50"))
    assert week.week_start == W24 and list(plan.written) == ["2026-06-08"]
    only_approved = plan_worked_week(resource(), W24, entries, {}, {TimeEntryStatus.APPROVED})
    assert only_approved.to_write[0].worked.worked_hours == Decimal("7.50")  # type: ignore[union-attr]


def test_time_rejected_after_it_was_written_takes_the_week_back_once() -> None:
    approved = [_time(date(2026, 6, 8), "7.5", TimeEntryStatus.APPROVED)]
    first = plan_worked_week(resource(), W24, approved, {}, COUNTED_STATUSES)
    rejected = [_time(date(2026, 6, 8), "7.5", TimeEntryStatus.REJECTED)]
    back = plan_worked_week(resource(), W24, rejected, first.written, COUNTED_STATUSES)
    (week,) = back.to_write
    assert week.worked is not None and week.worked.worked_hours == 0 and back.written == {}
    assert plan_worked_week(resource(), W24, rejected, back.written, COUNTED_STATUSES).to_write == ()
    # Time never counted in a week writes nothing at all.
    assert plan_worked_week(resource(), W24, rejected, {}, COUNTED_STATUSES).to_write == ()


def test_instances_are_keyed_per_resource_for_assignments_and_per_resource_and_week_for_time() -> None:
    assert flow_key(Part.PLANNED, RESOURCE_ID) == f"{RESOURCE_ID}|planned"
    assert flow_key(Part.WORKED, RESOURCE_ID, date(2026, 6, 10)) == f"{RESOURCE_ID}|worked|2026-W24"
    assert iso_week_label(date(2026, 12, 28)) == "2026-W53" and iso_week_label(date(2027, 1, 4)) == "2027-W01"
    assert weeks_covered(_design()) == [W23, W24, W25]


def test_figures_refuse_a_week_not_starting_on_monday_an_empty_write_and_more_billable_than_worked() -> None:
    base = {"resource_id": RESOURCE_ID, "capacity_hours": "40", "planned": {"assigned_hours": "8"}}
    assert ResourceWeekFigures.model_validate(base | {"week_start": "2026-06-08"}).week_start == W24
    with pytest.raises(ValidationError, match="starts on a Monday"):
        ResourceWeekFigures.model_validate(base | {"week_start": "2026-06-09"})
    with pytest.raises(ValidationError, match="planned figures, worked figures or both"):
        ResourceWeekFigures.model_validate(base | {"week_start": "2026-06-08", "planned": None})
    worked = {"worked_hours": "4", "billable_hours": "5"}
    with pytest.raises(ValidationError, match="cannot be more than the hours worked"):
        ResourceWeekFigures.model_validate(base | {"week_start": "2026-06-08", "worked": worked})
