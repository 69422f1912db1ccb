"""Accounting calendars, billing periods, ISO weeks, and deterministic keys and ids."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.ids import id_time, is_global_id
from concord.domain.keys import stable_id, stable_key
from concord.domain.objects import BillingFrequency
from concord.domain.periods import (
    AccountingCalendar,
    AccountingPeriod,
    Period,
    add_months,
    iso_week_start,
    periods_between,
    working_days,
)

from .rule_facts import calendar


class TestAccountingCalendar:
    def test_finds_the_period_of_a_day(self) -> None:
        cal = calendar()
        period = cal.period_of(date(2026, 2, 28))
        assert period is not None and period.name == "Feb 2026"
        assert cal.period_of(date(2027, 1, 1)) is None

    def test_posting_date_is_the_day_or_the_start_of_the_next_open_period(self) -> None:
        cal = calendar(closed_through=2)
        assert cal.posting_date_from(date(2026, 3, 5)) == date(2026, 3, 5)
        assert cal.posting_date_from(date(2026, 1, 15)) == date(2026, 3, 1)
        assert calendar(closed_through=12).posting_date_from(date(2026, 1, 15)) is None

    def test_overlapping_periods_are_refused(self) -> None:
        with pytest.raises(ValueError, match="overlap"):
            AccountingCalendar(
                [
                    AccountingPeriod("A", date(2026, 1, 1), date(2026, 1, 31)),
                    AccountingPeriod("B", date(2026, 1, 31), date(2026, 2, 28)),
                ]
            )
        with pytest.raises(ValueError, match="before it starts"):
            AccountingPeriod("C", date(2026, 2, 1), date(2026, 1, 1))


class TestPeriods:
    def test_months_never_drift_from_the_start_day(self) -> None:
        assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert add_months(date(2026, 1, 31), 2) == date(2026, 3, 31)
        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert add_months(date(2026, 11, 15), -12) == date(2025, 11, 15)

    def test_monthly_periods_from_a_month_end(self) -> None:
        periods = list(periods_between(date(2026, 1, 31), date(2026, 4, 29), BillingFrequency.MONTHLY))
        assert periods == [
            Period(date(2026, 1, 31), date(2026, 2, 27)),
            Period(date(2026, 2, 28), date(2026, 3, 30)),
            Period(date(2026, 3, 31), date(2026, 4, 29)),
        ]

    def test_the_last_period_is_cut_at_the_end(self) -> None:
        periods = list(periods_between(date(2026, 1, 1), date(2026, 8, 15), BillingFrequency.QUARTERLY))
        assert periods[-1] == Period(date(2026, 7, 1), date(2026, 8, 15))
        weekly = list(periods_between(date(2026, 1, 5), date(2026, 1, 18), BillingFrequency.WEEKLY))
        assert weekly == [
            Period(date(2026, 1, 5), date(2026, 1, 11)),
            Period(date(2026, 1, 12), date(2026, 1, 18)),
        ]

    def test_an_open_end_never_stops(self) -> None:
        endless = periods_between(date(2026, 1, 1), None, BillingFrequency.ANNUALLY)
        assert [p.start.year for p in itertools.islice(endless, 3)] == [2026, 2027, 2028]

    @given(
        start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
        days=st.integers(min_value=0, max_value=1200),
        frequency=st.sampled_from(list(BillingFrequency)),
    )
    def test_periods_tile_the_range_without_gap_or_overlap(
        self, start: date, days: int, frequency: BillingFrequency
    ) -> None:
        end = start + timedelta(days=days)
        periods = list(periods_between(start, end, frequency))
        assert periods[0].start == start and periods[-1].end == end
        for before, after in itertools.pairwise(periods):
            assert after.start == before.end + timedelta(days=1)

    def test_iso_weeks_and_working_days(self) -> None:
        assert iso_week_start(date(2026, 3, 12)) == date(2026, 3, 9)
        assert iso_week_start(date(2026, 3, 9)) == date(2026, 3, 9)
        assert working_days(date(2026, 3, 9), date(2026, 3, 15)) == 5
        assert working_days(date(2026, 3, 11), date(2026, 3, 22)) == 8
        assert working_days(date(2026, 3, 14), date(2026, 3, 15)) == 0
        assert working_days(date(2026, 3, 15), date(2026, 3, 14)) == 0


class TestKeys:
    def test_keys_are_stable_and_kept_apart_by_namespace_and_parts(self) -> None:
        assert stable_key("invoice", "C1", "2026-03") == stable_key("invoice", "C1", "2026-03")
        assert stable_key("invoice", "C1", "2026-03") != stable_key("revenue", "C1", "2026-03")
        assert stable_key("invoice", "C1", "2026-03") != stable_key("invoice", "C12", "026-03")
        assert stable_key("tp", "x").startswith("tp-") and len(stable_key("tp", "x")) == 35

    def test_stable_ids_are_global_ids_that_sort_by_business_date(self) -> None:
        march = stable_id("invoice", "C1", on=date(2026, 3, 31))
        assert march == stable_id("invoice", "C1", on=date(2026, 3, 31))
        assert is_global_id(march)
        assert id_time(march) == datetime(2026, 3, 31, tzinfo=UTC)
        assert march < stable_id("invoice", "C1", on=date(2026, 4, 30))
        assert march != stable_id("invoice", "C2", on=date(2026, 3, 31))
