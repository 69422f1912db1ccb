"""Business SLAs: durations, nearest-rank percentiles, breaches against targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.domain.findings import RecordRef
from concord.domain.objects import TimeEntryStatus
from concord.domain.sla import (
    DEFAULT_TARGETS,
    Interval,
    SlaMeasure,
    approved_time_to_billing,
    approved_time_to_erp,
    exception_resolution,
    format_duration,
    opportunity_to_project,
    percentile,
    summarise,
)

from .rule_facts import entry

T0 = datetime(2026, 3, 13, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(days=3)


def ref(n: int) -> RecordRef:
    return RecordRef("Exception", f"EX{n}", label=f"EX-{n}")


class TestIntervals:
    def test_opportunity_to_project_ends_when_both_exist(self) -> None:
        opp = RecordRef("Opportunity", "O1", label="'Globex ERP rollout'")
        done = opportunity_to_project(opp, T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=12))
        assert done.elapsed(NOW) == timedelta(minutes=12)
        half = opportunity_to_project(opp, T0, T0 + timedelta(minutes=5), None)
        assert half.ended_at is None and half.elapsed(NOW) == timedelta(days=3)

    def test_time_entries_start_at_approval(self) -> None:
        e = entry()  # approved 2026-03-13 09:00 UTC
        interval = approved_time_to_erp(e, T0 + timedelta(hours=2), "TE-20931")
        assert interval is not None and interval.elapsed(NOW) == timedelta(hours=2)
        assert interval.subject.label == "TE-20931"
        billing = approved_time_to_billing(e, None)
        assert billing is not None and billing.ended_at is None
        unapproved = entry(status=TimeEntryStatus.SUBMITTED, approver_id=None, approved_at=None)
        assert approved_time_to_erp(unapproved, None) is None

    def test_naive_timestamps_are_refused(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            exception_resolution(ref(1), datetime(2026, 3, 13, 9, 0), None)


class TestPercentiles:
    def test_nearest_rank(self) -> None:
        values = [timedelta(minutes=m) for m in range(1, 101)]
        assert percentile(values, 50) == timedelta(minutes=50)
        assert percentile(values, 90) == timedelta(minutes=90)
        assert percentile(values, 99) == timedelta(minutes=99)
        assert percentile([timedelta(1)], 99) == timedelta(1)
        assert percentile([], 50) is None
        with pytest.raises(ValueError):
            percentile(values, 0)

    @given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=200), st.integers(1, 100))
    def test_a_percentile_is_an_observed_value_with_enough_below(self, seconds: list[int], pct: int) -> None:
        values = [timedelta(seconds=s) for s in seconds]
        result = percentile(values, pct)
        assert result in values
        assert sum(1 for v in values if v <= result) * 100 >= pct * len(values)


class TestSummary:
    def test_counts_percentiles_and_breaches(self) -> None:
        intervals = [
            exception_resolution(ref(1), T0, T0 + timedelta(hours=1)),
            exception_resolution(ref(2), T0, T0 + timedelta(hours=5)),
            exception_resolution(ref(3), T0, T0 + timedelta(days=2, hours=3)),
            exception_resolution(ref(4), T0, None),  # open for 3 days
            exception_resolution(ref(5), NOW - timedelta(hours=1), None),
        ]
        summary = summarise(SlaMeasure.EXCEPTION_RESOLUTION, intervals, now=NOW)
        assert summary.target == DEFAULT_TARGETS[SlaMeasure.EXCEPTION_RESOLUTION] == timedelta(days=2)
        assert (summary.count, summary.completed, summary.still_open) == (5, 3, 2)
        assert summary.p50 == timedelta(hours=5)
        assert summary.p90 == summary.p99 == timedelta(days=2, hours=3)
        assert [(b.subject.label, b.still_open) for b in summary.breaches] == [
            ("EX-3", False),
            ("EX-4", True),
        ]
        assert summary.within_target == 2
        assert summary.breaches[0].message == (
            "The exception resolution duration of Exception EX-3 took 2 days 3 h, over the target of 2 days."
        )
        assert summary.breaches[1].message == (
            "The exception resolution duration of Exception EX-4 has been open for 3 days, "
            "over the target of 2 days."
        )

    def test_targets_are_configurable(self) -> None:
        intervals = [exception_resolution(ref(1), T0, T0 + timedelta(hours=5))]
        summary = summarise(SlaMeasure.APPROVED_TIME_TO_ERP, intervals, now=NOW, target=timedelta(hours=4))
        assert len(summary.breaches) == 1
        assert summary.breaches[0].message.startswith(
            "The approved-time-to-ERP latency of Exception EX-1 took 5 h"
        )

    def test_an_interval_ending_before_it_starts_is_reported_and_left_out(self) -> None:
        backwards = Interval(ref(9), T0, T0 - timedelta(minutes=1))
        summary = summarise(SlaMeasure.OPPORTUNITY_TO_PROJECT, [backwards], now=NOW)
        assert summary.count == 0 and summary.p50 is None
        [finding] = summary.findings
        assert finding.rule == "sla.ends_before_start"
        assert "was left out of the SLA figures" in finding.message

    def test_an_empty_set(self) -> None:
        summary = summarise(SlaMeasure.APPROVED_TIME_TO_BILLING, [], now=NOW)
        assert (summary.count, summary.p50, summary.p90, summary.p99, summary.breaches) == (
            0,
            None,
            None,
            None,
            (),
        )


def test_durations_read_like_people_say_them() -> None:
    assert format_duration(timedelta(days=1)) == "1 day"
    assert format_duration(timedelta(days=2, hours=3, minutes=4)) == "2 days 3 h"
    assert format_duration(timedelta(hours=5, minutes=20)) == "5 h 20 min"
    assert format_duration(timedelta(hours=24)) == "1 day"
    assert format_duration(timedelta(minutes=45)) == "45 min"
    assert format_duration(timedelta(seconds=30)) == "30 s"
