"""Business SLA breaches (domain.md §5): found against the firm's targets and published once each.

Flows time their own intervals as they run (``StepContext.timed``: opportunity to project, approved time
to ERP, approved time to billing); exception resolution is timed here from the exception queue. Every
``every_s`` the watch finds the intervals over their target that were not reported yet: those that ended
late, and those still open and already older than the target (they will breach whatever happens next, and
waiting to say so helps nobody). Each breach becomes one ``sla.breached`` event in the event log, for
alerts and the control tower, and a warning log line. Marking an interval breached and appending its event
happen in one transaction, and the mark is conditional, so two workers never report one breach twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from concord.domain.ids import new_id
from concord.domain.sla import SlaMeasure, format_duration
from concord.domain.tracing import TraceContext
from concord.engine.model import ExceptionStatus, NewEvent, SlaTiming, partition_of
from concord.engine.ports import Clock

if TYPE_CHECKING:
    from concord.storage.sql.sla_store import StoredInterval
    from concord.storage.sql.store import SqlStore, Transaction

log = structlog.get_logger(__name__)

BREACH_EVENT = "sla.breached"
BREACH_OBJECT = "SlaBreach"
SOURCE = "concord"
_CLOSED = {ExceptionStatus.RESOLVED.value, ExceptionStatus.IGNORED.value}


@dataclass(frozen=True, slots=True)
class BreachNotice:
    """One breach as reported."""

    measure: SlaMeasure
    subject_key: str
    label: str
    elapsed: timedelta
    target: timedelta
    still_open: bool
    message: str


class SlaWatch:
    """Finds and reports SLA breaches; keeps exception-resolution intervals in step with the queue."""

    def __init__(
        self,
        store: SqlStore,
        targets: Mapping[SlaMeasure, timedelta],
        *,
        partitions: int,
        every_s: float = 30.0,
        batch: int = 500,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.targets = dict(targets)
        self.partitions = partitions
        self.every_s = every_s
        self.batch = batch
        self.clock = clock
        """The business clock, when it is not the engine's (see ``FlowRunner.business_clock``)."""
        self._exceptions_since: datetime | None = None
        self._last_check: float | None = None

    def due(self, monotonic_now: float) -> bool:
        """Whether a check is due (the first one is due at once)."""
        if self._last_check is not None and monotonic_now - self._last_check < self.every_s:
            return False
        self._last_check = monotonic_now
        return True

    def check(self, now: datetime) -> list[BreachNotice]:
        """Time the exceptions changed since the last check, then report every new breach (as of the
        business clock when there is one, else ``now``; the exception queue keeps the engine's time)."""
        business_now = self.clock.now() if self.clock is not None else now
        with self.store.transaction() as tx:
            self._time_exceptions(tx, now)
        notices: list[BreachNotice] = []
        for measure, target in self.targets.items():
            at = now if measure is SlaMeasure.EXCEPTION_RESOLUTION else business_now
            while True:
                with self.store.transaction() as tx:
                    found = tx.sla.over_target(measure.value, target, at, self.batch)
                    fresh = [f for f in found if tx.sla.claim_breach(f, at)]
                    batch = [_notice(measure, interval, target, at) for interval in fresh]
                    tx.events.append_many([self._event(n, i, now) for n, i in zip(batch, fresh, strict=True)])
                notices.extend(batch)
                if len(found) < self.batch:
                    break
        for notice in notices:
            log.warning(
                "business SLA breached",
                measure=notice.measure.value,
                subject=notice.subject_key,
                elapsed_s=int(notice.elapsed.total_seconds()),
                target_s=int(notice.target.total_seconds()),
                still_open=notice.still_open,
                message=notice.message,
            )
        return notices

    def _time_exceptions(self, tx: Transaction, now: datetime) -> None:
        """Exception resolution duration: opened → resolved (or ignored: someone decided it)."""
        rows = tx.exceptions.changed_since(self._exceptions_since)
        tx.sla.record(
            [
                SlaTiming(
                    measure=SlaMeasure.EXCEPTION_RESOLUTION.value,
                    subject_key=row["exception_id"],
                    subject_type="Exception",
                    label=f"{row['category']} exception about {row['business_label']}",
                    started_at=row["created_at"],
                    ended_at=(row["acted_at"] or row["updated_at"]) if row["status"] in _CLOSED else None,
                    instance_id=row["instance_id"],
                    traceparent=row["traceparent"],
                )
                for row in rows
            ]
        )
        if rows:
            self._exceptions_since = max(row["updated_at"] for row in rows)

    def _event(self, notice: BreachNotice, interval: StoredInterval, now: datetime) -> NewEvent:
        aggregate = f"{notice.measure.value}|{notice.subject_key}"
        trace = TraceContext.parse_or_new(interval.traceparent)
        return NewEvent(
            event_id=new_id(),
            event_type=BREACH_EVENT,
            object_type=BREACH_OBJECT,
            aggregate_key=aggregate,
            source_system=SOURCE,
            source_id=aggregate,
            payload={
                "measure": notice.measure.value,
                "measure_label": notice.measure.label,
                "subject_type": interval.subject_type,
                "subject_key": interval.subject_key,
                "label": interval.label,
                "started_at": interval.started_at.isoformat(),
                "ended_at": interval.ended_at.isoformat() if interval.ended_at else None,
                "elapsed_s": int(notice.elapsed.total_seconds()),
                "target_s": int(notice.target.total_seconds()),
                "still_open": notice.still_open,
                "message": notice.message,
            },
            occurred_at=now,
            recorded_at=now,
            traceparent=trace.child().traceparent,
            partition=partition_of(aggregate, self.partitions),
        )


def _notice(measure: SlaMeasure, interval: StoredInterval, target: timedelta, now: datetime) -> BreachNotice:
    still_open = interval.ended_at is None
    elapsed = (interval.ended_at or now) - interval.started_at
    verb = "has been open for" if still_open else "took"
    message = (
        f"The {measure.label} of {interval.subject_type} {interval.label} {verb} {format_duration(elapsed)}, "
        f"over the target of {format_duration(target)}."
    )
    return BreachNotice(measure, interval.subject_key, interval.label, elapsed, target, still_open, message)
