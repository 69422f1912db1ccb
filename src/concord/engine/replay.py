"""Replay: run events through the flows again, safely.

Replaying never redoes an effect already done. An event replayed finds the flow instances it started
already there and leaves them alone; only a flow that never ran for it (added since, or lost) starts.
Replaying a flow instance re-drives only what did not finish: commands already done are never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from concord.engine.dispatcher import Dispatcher
from concord.engine.errors import NotFound
from concord.engine.model import CommandStatus, InstanceStatus
from concord.engine.ports import Clock

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore


@dataclass(slots=True)
class ReplayReport:
    """What a replay did."""

    events: int = 0
    started: int = 0
    already_done: int = 0
    requeued: int = 0

    def __str__(self) -> str:
        return (
            f"{self.events} events replayed: {self.started} flow runs started, "
            f"{self.already_done} already handled (left alone), {self.requeued} unfinished commands re-queued"
        )


class Replayer:
    """Replays events, time ranges and flow instances."""

    def __init__(self, store: SqlStore, dispatcher: Dispatcher, clock: Clock, page: int = 1000) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock
        self.page = page

    def event(self, event_id: str, actor: str) -> ReplayReport:
        """Replay one event."""
        now = self.clock.now()
        report = ReplayReport()
        with self.store.transaction() as tx:
            event = tx.events.get(event_id)
            if event is None:
                raise NotFound(f"no event {event_id}")
            started, already = self.dispatcher.decide(tx, [event], now)
            report.events, report.started, report.already_done = 1, started, already
            tx.audit.append(actor, "replay.event", event_id, {"report": str(report)}, now)
        return report

    def time_range(self, start: datetime, end: datetime, actor: str) -> ReplayReport:
        """Replay every event recorded in [start, end), in log order, a page per transaction."""
        report = ReplayReport()
        after = 0
        while True:
            now = self.clock.now()
            with self.store.transaction() as tx:
                batch = tx.events.recorded_between(start, end, after, self.page)
                if not batch:
                    break
                # Keep per-aggregate order: replay in seq order within each page.
                started, already = self.dispatcher.decide(tx, batch, now)
                after = batch[-1].log_seq
            report.events += len(batch)
            report.started += started
            report.already_done += already
        with self.store.transaction() as tx:
            span = {"start": start.isoformat(), "end": end.isoformat(), "report": str(report)}
            tx.audit.append(
                actor, "replay.range", f"{start.isoformat()}..{end.isoformat()}", span, self.clock.now()
            )
        return report

    def instance(self, instance_id: str, actor: str) -> ReplayReport:
        """Re-drive a flow instance's unfinished commands; a completed instance is left as it is."""
        now = self.clock.now()
        report = ReplayReport()
        with self.store.transaction() as tx:
            instance = tx.instances.get(instance_id)
            if instance is None:
                raise NotFound(f"no flow instance {instance_id}")
            if instance.status is InstanceStatus.FAILED and instance.state.get("failed_command"):
                for command in tx.outbox.for_instance(instance_id):
                    if command["status"] == CommandStatus.FAILED.value:
                        tx.outbox.requeue(command["command_id"], now)
                        report.requeued += 1
                instance.state.pop("failed_command", None)
                instance.status = InstanceStatus.RUNNING
                instance.pending += report.requeued
                instance.updated_at = now
                tx.instances.save_many([instance])
            report.already_done = 1 if instance.status.finished else 0
            tx.audit.append(actor, "replay.instance", instance_id, {"report": str(report)}, now)
        return report
