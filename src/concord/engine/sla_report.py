"""The business SLAs as a report: per measure, count, percentiles and breaches against the targets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from concord.domain.findings import RecordRef
from concord.domain.sla import Interval, SlaMeasure, SlaSummary, summarise

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore


def sla_report(
    store: SqlStore,
    targets: Mapping[SlaMeasure, timedelta],
    now: datetime,
    engine_now: datetime | None = None,
) -> list[SlaSummary]:
    """Every measure's figures over the intervals the store holds, as of ``now`` (the business clock's;
    exception resolution is timed by the engine's clock, ``engine_now`` when it differs)."""
    summaries = []
    with store.transaction() as tx:
        held = {measure: tx.sla.of_measure(measure.value) for measure in SlaMeasure}
    for measure, stored in held.items():
        intervals = [
            Interval(RecordRef(i.subject_type, i.subject_key, label=i.label), i.started_at, i.ended_at)
            for i in stored
        ]
        at = engine_now if engine_now is not None and measure is SlaMeasure.EXCEPTION_RESOLUTION else now
        summaries.append(summarise(measure, intervals, now=at, target=targets.get(measure)))
    return summaries


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds(), 1)


def as_json(summary: SlaSummary) -> dict[str, Any]:
    """One measure's figures, for scripts (durations in seconds)."""
    return {
        "measure": summary.measure.value,
        "label": summary.measure.label,
        "target_s": _seconds(summary.target),
        "count": summary.count,
        "completed": summary.completed,
        "still_open": summary.still_open,
        "within_target": summary.within_target,
        "p50_s": _seconds(summary.p50),
        "p90_s": _seconds(summary.p90),
        "p99_s": _seconds(summary.p99),
        "breaches": len(summary.breaches),
        "example_breach": summary.breaches[0].message if summary.breaches else None,
    }
