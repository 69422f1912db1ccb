"""The business SLAs of domain.md §5 as pure calculations over timestamps.

Four measures, each an interval from a start to an end (open while the end has not happened):

| measure | start | end |
|---|---|---|
| opportunity-to-project time | contracted stage seen in the CRM | PSA project *and* ERP contract exist |
| approved-time-to-ERP latency | time entry approved in the PSA | posted in the ERP |
| approved-time-to-billing latency | time entry approved | included in an invoice event |
| exception resolution duration | exception opened | resolved |

`summarise` gives count, percentiles (p50, p90, p99, nearest-rank: always a duration that was really
observed) over the completed intervals, and breaches against a target: completed intervals that took
longer, and open ones already older than the target (they will breach whatever happens next).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from concord.domain.findings import Finding, FindingCategory, RecordRef
from concord.domain.objects import TimeEntry

__all__ = [
    "DEFAULT_TARGETS",
    "Breach",
    "Interval",
    "SlaMeasure",
    "SlaSummary",
    "approved_time_to_billing",
    "approved_time_to_erp",
    "exception_resolution",
    "format_duration",
    "opportunity_to_project",
    "percentile",
    "summarise",
]


class SlaMeasure(StrEnum):
    """The business SLAs of domain.md §5."""

    OPPORTUNITY_TO_PROJECT = "opportunity_to_project"
    APPROVED_TIME_TO_ERP = "approved_time_to_erp"
    APPROVED_TIME_TO_BILLING = "approved_time_to_billing"
    EXCEPTION_RESOLUTION = "exception_resolution"

    @property
    def label(self) -> str:
        """The measure in words."""
        return _LABELS[self]


_LABELS: Final = {
    SlaMeasure.OPPORTUNITY_TO_PROJECT: "opportunity-to-project time",
    SlaMeasure.APPROVED_TIME_TO_ERP: "approved-time-to-ERP latency",
    SlaMeasure.APPROVED_TIME_TO_BILLING: "approved-time-to-billing latency",
    SlaMeasure.EXCEPTION_RESOLUTION: "exception resolution duration",
}

DEFAULT_TARGETS: Final[Mapping[SlaMeasure, timedelta]] = MappingProxyType(
    {
        SlaMeasure.OPPORTUNITY_TO_PROJECT: timedelta(hours=4),
        SlaMeasure.APPROVED_TIME_TO_ERP: timedelta(hours=24),
        SlaMeasure.APPROVED_TIME_TO_BILLING: timedelta(days=35),
        SlaMeasure.EXCEPTION_RESOLUTION: timedelta(days=2),
    }
)
"""Suggested targets (a billing period plus a few days for billing); firms configure their own."""


@dataclass(frozen=True, slots=True)
class Interval:
    """One measured thing: what it is about, when it started, when it ended (None: still open)."""

    subject: RecordRef
    started_at: datetime
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        for moment in (self.started_at, self.ended_at):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"SLA timestamps must carry a time zone; {moment.isoformat()} has none.")

    def elapsed(self, now: datetime) -> timedelta:
        """How long it took, or has taken so far when still open."""
        return (self.ended_at or now) - self.started_at


def opportunity_to_project(
    opportunity: RecordRef,
    contracted_at: datetime,
    project_created_at: datetime | None,
    contract_created_at: datetime | None,
) -> Interval:
    """Contracted stage seen in the CRM → both the PSA project and the ERP contract exist."""
    ended = None
    if project_created_at is not None and contract_created_at is not None:
        ended = max(project_created_at, contract_created_at)
    return Interval(opportunity, contracted_at, ended)


def approved_time_to_erp(
    entry: TimeEntry, posted_at: datetime | None, label: str | None = None
) -> Interval | None:
    """Time entry approved → posted in the ERP; None when the entry carries no approval time."""
    if entry.approved_at is None:
        return None
    return Interval(RecordRef.of(entry, label), entry.approved_at, posted_at)


def approved_time_to_billing(
    entry: TimeEntry, invoiced_at: datetime | None, label: str | None = None
) -> Interval | None:
    """Time entry approved → included in an invoice event; None when the entry carries no approval time."""
    if entry.approved_at is None:
        return None
    return Interval(RecordRef.of(entry, label), entry.approved_at, invoiced_at)


def exception_resolution(exception: RecordRef, opened_at: datetime, resolved_at: datetime | None) -> Interval:
    """Exception opened → resolved."""
    return Interval(exception, opened_at, resolved_at)


def percentile(durations: Sequence[timedelta], pct: int) -> timedelta | None:
    """The nearest-rank percentile (the smallest observed value with at least pct % at or below it).

    Args:
        durations: the observations, in any order.
        pct: 1 to 100.

    Returns:
        None when there are no observations.
    """
    if not 0 < pct <= 100:
        raise ValueError(f"A percentile is between 1 and 100, not {pct}.")
    if not durations:
        return None
    ordered = sorted(durations)
    return ordered[math.ceil(pct * len(ordered) / 100) - 1]


def format_duration(span: timedelta) -> str:
    """A duration as people say it: "2 days 3 h", "5 h 20 min", "45 min", "30 s"."""
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@dataclass(frozen=True, slots=True)
class Breach:
    """One interval over its target."""

    subject: RecordRef
    measure: SlaMeasure
    elapsed: timedelta
    target: timedelta
    still_open: bool
    message: str


@dataclass(frozen=True, slots=True)
class SlaSummary:
    """One measure over a set of intervals."""

    measure: SlaMeasure
    target: timedelta
    count: int
    completed: int
    still_open: int
    p50: timedelta | None
    p90: timedelta | None
    p99: timedelta | None
    breaches: tuple[Breach, ...]
    findings: tuple[Finding, ...] = ()
    """Intervals that end before they start (clock or data errors): left out of the figures."""

    @property
    def within_target(self) -> int:
        """Completed intervals that met the target."""
        return self.completed - sum(1 for b in self.breaches if not b.still_open)


def _name(subject: RecordRef) -> str:
    return f"{subject.object_type} {subject.label or subject.global_id}"


def _backwards(measure: SlaMeasure, interval: Interval, ended_at: datetime) -> Finding:
    return Finding(
        FindingCategory.VALIDATION,
        "sla.ends_before_start",
        f"The {measure.label} of {_name(interval.subject)} ends at {ended_at.isoformat()}, before it "
        f"starts at {interval.started_at.isoformat()}; it was left out of the SLA figures.",
        interval.subject,
    )


def summarise(
    measure: SlaMeasure, intervals: Iterable[Interval], *, now: datetime, target: timedelta | None = None
) -> SlaSummary:
    """Count, percentiles over completed intervals, and breaches against the target.

    Args:
        measure: which SLA the intervals measure.
        intervals: the intervals.
        now: the moment of the report (open intervals are measured up to it); with a time zone.
        target: the SLA target (default: `DEFAULT_TARGETS[measure]`).
    """
    target = DEFAULT_TARGETS[measure] if target is None else target
    valid, findings = [], []
    for interval in intervals:
        if interval.ended_at is not None and interval.ended_at < interval.started_at:
            findings.append(_backwards(measure, interval, interval.ended_at))
        else:
            valid.append(interval)
    done = [i.elapsed(now) for i in valid if i.ended_at is not None]
    breaches = []
    for interval in valid:
        elapsed, still_open = interval.elapsed(now), interval.ended_at is None
        if elapsed <= target:
            continue
        verb = "has been open for" if still_open else "took"
        message = (
            f"The {measure.label} of {_name(interval.subject)} {verb} {format_duration(elapsed)}, "
            f"over the target of {format_duration(target)}."
        )
        breaches.append(Breach(interval.subject, measure, elapsed, target, still_open, message))
    return SlaSummary(
        measure=measure,
        target=target,
        count=len(valid),
        completed=len(done),
        still_open=len(valid) - len(done),
        p50=percentile(done, 50),
        p90=percentile(done, 90),
        p99=percentile(done, 99),
        breaches=tuple(breaches),
        findings=tuple(findings),
    )
