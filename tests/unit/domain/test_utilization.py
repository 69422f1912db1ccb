"""Forecast labour cost and utilization per resource per ISO week."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import Assignment, Resource, TimeEntry, TimeEntryStatus
from concord.domain.utilization import ResourceWeek, utilization_ratio, weekly_utilization

from .rule_facts import assignment, entry, resource
from .samples import RESOURCE_ID, usd

WEEK_11 = date(2026, 3, 9)  # Monday of ISO week 11 of 2026


def one_week(
    *,
    resources: list[Resource] | None = None,
    assignments: Sequence[Assignment] = (),
    entries: Sequence[TimeEntry] = (),
    **options: Any,
) -> ResourceWeek:
    """The row of ISO week 11 of 2026 for the standard resource."""
    [row] = weekly_utilization(
        resources or [resource()],
        assignments,
        entries,
        first_day=WEEK_11,
        last_day=date(2026, 3, 15),
        **options,
    )
    return row


class TestWeeks:
    def test_one_row_per_resource_and_iso_week(self) -> None:
        other = resource(global_id=new_id(), employee_id="E-2")
        rows = weekly_utilization(
            [resource(), other], [], [], first_day=date(2026, 3, 12), last_day=date(2026, 3, 23)
        )
        assert len(rows) == 6  # weeks 11, 12, 13 for two people
        assert {(r.iso_year, r.iso_week) for r in rows} == {(2026, 11), (2026, 12), (2026, 13)}
        assert rows[0].week_start.weekday() == 0

    def test_the_iso_year_can_differ_from_the_calendar_year(self) -> None:
        [row] = weekly_utilization(
            [resource()], [], [], first_day=date(2027, 1, 1), last_day=date(2027, 1, 1)
        )
        assert (row.iso_year, row.iso_week, row.week_start) == (2026, 53, date(2026, 12, 28))

    def test_a_range_that_ends_before_it_starts_is_refused(self) -> None:
        with pytest.raises(ValueError, match="ends on"):
            weekly_utilization([], [], [], first_day=date(2026, 3, 9), last_day=date(2026, 3, 8))


class TestAssignedAndForecast:
    def test_a_full_week_assignment(self) -> None:
        row = one_week(assignments=[assignment(hours_per_week=Hours(32))])
        assert row.capacity == Hours(40)
        assert row.assigned_hours == Hours(32)
        assert row.assigned_utilization == Decimal("0.8000")
        assert row.forecast_cost == (usd("2000.00"),)  # 32 h x 62.50

    def test_partial_weeks_are_prorated_by_working_days(self) -> None:
        starts_wednesday = assignment(hours_per_week=Hours(40), start_date=date(2026, 3, 11))
        row = one_week(assignments=[starts_wednesday])
        assert row.assigned_hours == Hours(24)
        weekend_only = assignment(start_date=date(2026, 3, 14), end_date=date(2026, 3, 15))
        assert one_week(assignments=[weekend_only]).assigned_hours == Hours(0)

    def test_cost_rates_come_from_the_assignment_else_the_resource(self) -> None:
        row = one_week(
            assignments=[
                assignment(hours_per_week=Hours(10), cost_rate=None),
                assignment(hours_per_week=Hours(10), cost_rate=Money("50", "EUR")),
            ]
        )
        assert row.forecast_cost == (Money("500.00", "EUR"), usd("625.00"))

    def test_missing_cost_rates_are_named_not_hidden(self) -> None:
        bare = assignment(cost_rate=None)
        row = one_week(resources=[resource(cost_rate=None)], assignments=[bare])
        assert row.forecast_cost == ()
        assert row.assignments_without_cost_rate == (bare.global_id,)

    def test_other_peoples_assignments_do_not_count(self) -> None:
        assert one_week(assignments=[assignment(resource_id=new_id())]).assigned_hours == Hours(0)


class TestWorked:
    def test_worked_and_billable_hours_and_actual_cost(self) -> None:
        entries = [
            entry(hours=Hours(8)),
            entry(hours=Hours(4), billable=False, work_date=date(2026, 3, 13)),
            entry(hours=Hours(2), status=TimeEntryStatus.SUBMITTED, approver_id=None, approved_at=None),
            entry(hours=Hours(5), status=TimeEntryStatus.REJECTED, approved_at=None),
            entry(hours=Hours(6), work_date=date(2026, 3, 16)),
        ]
        row = one_week(entries=entries)
        assert row.worked_hours == Hours(14)
        assert row.billable_hours == Hours(10)
        assert row.worked_utilization == Decimal("0.3500")
        assert row.billable_utilization == Decimal("0.2500")
        assert row.actual_cost == (usd("875.00"),)

    def test_which_statuses_count_is_configurable(self) -> None:
        entries = [
            entry(hours=Hours(2), status=TimeEntryStatus.SUBMITTED, approver_id=None, approved_at=None)
        ]
        row = one_week(entries=entries, counted_statuses={TimeEntryStatus.APPROVED})
        assert row.worked_hours == Hours(0)


class TestCapacity:
    def test_zero_capacity_has_no_utilization_rather_than_a_crash(self) -> None:
        row = one_week(
            assignments=[assignment()],
            entries=[entry()],
            capacity_overrides={(RESOURCE_ID, WEEK_11): Hours(0)},
        )
        assert row.capacity == Hours(0)
        assert row.assigned_utilization is None
        assert row.worked_utilization is None
        assert row.billable_utilization is None
        assert row.assigned_hours == Hours(40)  # still reported

    def test_a_holiday_week_override(self) -> None:
        row = one_week(assignments=[assignment()], capacity_overrides={(RESOURCE_ID, WEEK_11): Hours(32)})
        assert row.assigned_utilization == Decimal("1.2500")  # over-allocated: shown, not capped

    @given(
        hours=st.decimals(min_value=Decimal(0), max_value=Decimal(200), places=2),
        capacity=st.decimals(min_value=Decimal(0), max_value=Decimal(168), places=2),
    )
    def test_ratio_is_four_places_or_none(self, hours: Decimal, capacity: Decimal) -> None:
        ratio = utilization_ratio(hours, capacity)
        if capacity == 0:
            assert ratio is None
        else:
            assert ratio is not None and ratio.as_tuple().exponent == -4
            assert abs(ratio - hours / capacity) <= Decimal("0.00005")
