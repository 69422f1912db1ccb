"""Business SLA intervals (domain.md §5) as flows time them, and the breaches Concord found.

One row per measure and business object. A later start (a time entry approved again after an edit)
restarts its interval: the SLA is about the version that is in force. Recording the same start again (a
replay, a re-run after a crash) changes nothing, and the first end recorded for a start stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, update

from concord.engine.model import SlaTiming
from concord.storage.sql.bulk import insert_many
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import sla_intervals


@dataclass(frozen=True, slots=True)
class StoredInterval:
    """One SLA interval as stored."""

    measure: str
    subject_key: str
    subject_type: str
    label: str
    started_at: datetime
    ended_at: datetime | None
    breached_at: datetime | None
    instance_id: str | None
    traceparent: str

    @classmethod
    def of(cls, row: Any) -> StoredInterval:
        return cls(
            measure=row["measure"],
            subject_key=row["subject_key"],
            subject_type=row["subject_type"],
            label=row["label"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            breached_at=row["breached_at"],
            instance_id=row["instance_id"],
            traceparent=row["traceparent"],
        )


def _seconds(started_at: datetime, ended_at: datetime | None) -> int | None:
    return None if ended_at is None else max(0, round((ended_at - started_at).total_seconds()))


class SlaIntervals:
    """Record SLA intervals, find those over target, list them for reports."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, timings: Sequence[SlaTiming]) -> None:
        """Start, restart or end the intervals ``timings`` describe (the newest start per subject wins)."""
        latest: dict[tuple[str, str], SlaTiming] = {}
        for timing in timings:
            key = (timing.measure, timing.subject_key)
            held = latest.get(key)
            if held is None or (timing.started_at, timing.ended_at is not None) >= (
                held.started_at,
                held.ended_at is not None,
            ):
                latest[key] = timing
        stored = self._stored(list(latest))
        insert_many(
            self.conn, sla_intervals, [_row(t) for key, t in sorted(latest.items()) if key not in stored]
        )
        for key, timing in sorted(latest.items()):
            before = stored.get(key)
            if before is None:
                continue
            if timing.started_at > before.started_at:
                self.conn.execute(_where(update(sla_intervals), key).values(**_row(timing), breached_at=None))
            elif timing.started_at == before.started_at and before.ended_at is None and timing.ended_at:
                self.conn.execute(
                    _where(update(sla_intervals), key).values(
                        ended_at=timing.ended_at, duration_s=_seconds(timing.started_at, timing.ended_at)
                    )
                )

    def _stored(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredInterval]:
        by_measure: dict[str, list[str]] = {}
        for measure, subject in keys:
            by_measure.setdefault(measure, []).append(subject)
        found: dict[tuple[str, str], StoredInterval] = {}
        for measure, subjects in sorted(by_measure.items()):
            for chunk in chunks(sorted(subjects)):
                query = select(sla_intervals).where(
                    sla_intervals.c.measure == measure, sla_intervals.c.subject_key.in_(chunk)
                )
                for row in self.conn.execute(query):
                    interval = StoredInterval.of(row._mapping)
                    found[(interval.measure, interval.subject_key)] = interval
        return found

    def over_target(self, measure: str, target: timedelta, now: datetime, limit: int) -> list[StoredInterval]:
        """Intervals of ``measure`` not yet found in breach that are: ended later than ``target`` after
        their start, or still open and already older than ``target``."""
        late = sla_intervals.c.duration_s > int(target.total_seconds())
        overdue = and_(sla_intervals.c.ended_at.is_(None), sla_intervals.c.started_at < now - target)
        query = (
            select(sla_intervals)
            .where(
                sla_intervals.c.measure == measure,
                sla_intervals.c.breached_at.is_(None),
                or_(late, overdue),
            )
            .order_by(sla_intervals.c.started_at)
            .limit(limit)
        )
        return [StoredInterval.of(r._mapping) for r in self.conn.execute(query)]

    def claim_breach(self, interval: StoredInterval, now: datetime) -> bool:
        """Mark ``interval`` found in breach at ``now``; False when it was marked already (by another
        worker) or restarted since it was read, so each breach is reported once."""
        statement = (
            _where(update(sla_intervals), (interval.measure, interval.subject_key))
            .where(sla_intervals.c.started_at == interval.started_at, sla_intervals.c.breached_at.is_(None))
            .values(breached_at=now)
        )
        return bool(self.conn.execute(statement).rowcount)

    def of_measure(self, measure: str) -> list[StoredInterval]:
        """Every interval of ``measure``, oldest start first."""
        query = (
            select(sla_intervals)
            .where(sla_intervals.c.measure == measure)
            .order_by(sla_intervals.c.started_at)
        )
        return [StoredInterval.of(r._mapping) for r in self.conn.execute(query)]

    def counts(self) -> dict[str, int]:
        """How many intervals each measure has."""
        query = select(sla_intervals.c.measure, func.count()).group_by(sla_intervals.c.measure)
        return {measure: count for measure, count in self.conn.execute(query).tuples()}


def _where(statement: Any, key: tuple[str, str]) -> Any:
    return statement.where(sla_intervals.c.measure == key[0], sla_intervals.c.subject_key == key[1])


def _row(timing: SlaTiming) -> dict[str, Any]:
    return {
        "measure": timing.measure,
        "subject_key": timing.subject_key,
        "subject_type": timing.subject_type,
        "label": timing.label[:300],
        "started_at": timing.started_at,
        "ended_at": timing.ended_at,
        "duration_s": _seconds(timing.started_at, timing.ended_at),
        "instance_id": timing.instance_id,
        "traceparent": timing.traceparent,
    }
