"""The engine in motion: one worker's loop of detect → record → decide → act.

Embedded (the default) one process runs everything over SQLite. Scaled out, any number of these workers
run against PostgreSQL: partitions and commands are leased through the store, so they share the work
without breaking per-aggregate order, and a worker that dies hands its leases back when they expire (or
at once when it restarts under the same stable worker id).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from concord.engine.delivery import Deliverer
from concord.engine.dispatcher import Dispatcher
from concord.engine.doorbell import Doorbell
from concord.engine.ports import Clock, Connector
from concord.engine.recorder import Recorder
from concord.engine.sla_watch import SlaWatch

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    """A (system, object) whose changes this worker detects."""

    system: str
    object_type: str
    page_size: int = 500


@dataclass(slots=True)
class Progress:
    """Running totals, for progress bars and summaries."""

    detected: int = 0
    recorded: int = 0
    duplicates: int = 0
    rejected: int = 0
    dispatched: int = 0
    settled: int = 0
    exhausted: set[tuple[str, str]] = field(default_factory=set)


class Worker:
    """Runs the loop until stopped, or until there is nothing left to do."""

    def __init__(
        self,
        store: SqlStore,
        connectors: Mapping[str, Connector],
        sources: Sequence[Source],
        recorder: Recorder,
        dispatcher: Dispatcher,
        deliverer: Deliverer,
        clock: Clock,
        *,
        idle_sleep_s: float = 0.05,
        delivery_lanes: int = 4,
        sla_watch: SlaWatch | None = None,
    ) -> None:
        self.store = store
        self.connectors = connectors
        self.sources = sources
        self.recorder = recorder
        self.dispatcher = dispatcher
        self.deliverer = deliverer
        self.clock = clock
        self.idle_sleep_s = idle_sleep_s
        self.delivery_lanes = delivery_lanes
        self.sla_watch = sla_watch
        self.progress = Progress()
        self._held: dict[tuple[str, str], tuple[int, float]] = {}
        """Sources whose last poll failed: (failures in a row, monotonic time before which not to poll)."""

    async def poll_once(self) -> int:
        """Detect and record one page from each source; returns how many changes were seen.

        A poll that fails leaves its cursor where it was and is tried again (at once the first time, then
        backing off), so a platform's hiccup neither loses changes nor stops the other sources; a
        permanent failure is logged as an error and does not count as work left for ``until_idle``.
        """
        seen = 0
        for source in self.sources:
            key = (source.system, source.object_type)
            if self._held.get(key, (0, 0.0))[1] > time.monotonic():
                continue  # backing off after a failed poll
            connector = self.connectors[source.system]
            with self.store.transaction() as tx:
                cursor = tx.cursors.get(source.system, source.object_type)
            try:
                page = await connector.detect(source.object_type, cursor, source.page_size)
            except Exception as error:  # the connector says how; the cursor stays
                self._poll_failed(connector, source, error)
                continue
            self._held.pop(key, None)
            if not page.more:
                self.progress.exhausted.add((source.system, source.object_type))
            else:
                self.progress.exhausted.discard((source.system, source.object_type))
            if not page.changes and page.next_cursor == cursor:
                continue
            summary = self.recorder.record(source.system, source.object_type, page.changes, page.next_cursor)
            seen += len(page.changes)
            self.progress.detected += len(page.changes)
            self.progress.recorded += summary.recorded
            self.progress.duplicates += summary.duplicates
            self.progress.rejected += summary.rejected
        return seen

    def _poll_failed(self, connector: Connector, source: Source, error: Exception) -> None:
        key = (source.system, source.object_type)
        failures = self._held.get(key, (0, 0.0))[0] + 1
        verdict = connector.classify(error)
        wait = verdict.retry_after or (0.0 if failures == 1 else min(0.1 * 2 ** (failures - 2), 60.0))
        self._held[key] = (failures, time.monotonic() + wait)
        if verdict.transient:
            self.progress.exhausted.discard(key)
        else:  # waiting cannot help (refused credentials, a query the platform rejects): not work left
            self.progress.exhausted.add(key)
        (log.warning if verdict.transient else log.error)(
            "detection failed; polling again from the same cursor",
            system=source.system,
            object_type=source.object_type,
            failures=failures,
            transient=verdict.transient,
            reason=verdict.reason,
            retry_in_s=round(wait, 3),
        )

    async def dispatch_once(self) -> int:
        """Decide one batch of recorded events."""
        dispatched = self.dispatcher.dispatch_once()
        self.progress.dispatched += dispatched
        return dispatched + self.dispatcher.wake_once()

    async def deliver_once(self) -> int:
        """Deliver and settle one batch of commands."""
        settled = await self.deliverer.deliver_once()
        self.progress.settled += settled
        return settled

    async def step(self) -> int:
        """One round of every stage, one after the other; returns the amount of work done."""
        return await self.poll_once() + await self.dispatch_once() + await self.deliver_once()

    def idle(self) -> bool:
        """Nothing detected, undispatched, waiting or undelivered remains (parked failures do not count)."""
        if len(self.progress.exhausted) < len(self.sources):
            return False
        with self.store.transaction() as tx:
            return (
                tx.partitions.backlog() == 0
                and not tx.outbox.has_unsettled()
                and tx.instances.next_wake() is None
            )

    async def run(
        self,
        *,
        stop: asyncio.Event | None = None,
        until_idle: bool = False,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Progress:
        """Work until ``stop`` is set (or, with ``until_idle``, until nothing is left).

        Detection, decision and delivery run as concurrent loops, and delivery in several lanes, so a
        slow or hanging target call never holds up recording and deciding, nor the other lanes. Store
        calls are synchronous inside the loop, so no transaction ever interleaves with another here.
        """
        released = self.deliverer.release_orphans()
        if released:
            log.info("took back commands this worker held before it stopped", count=released)
        stop = stop or asyncio.Event()
        stages = [self.poll_once, self.dispatch_once] + [self.deliver_once] * self.delivery_lanes
        resting = [False] * len(stages)
        # Who wakes whom: recorded events wake the dispatcher; new commands (decided, or the next steps of
        # settled ones) and a lane that just took a batch (there may be more) wake one delivery lane.
        to_dispatch, to_deliver = Doorbell(), Doorbell()
        own_bell: list[Doorbell | None] = [None, to_dispatch] + [to_deliver] * self.delivery_lanes
        rings: list[Doorbell] = [to_dispatch, to_deliver] + [to_deliver] * self.delivery_lanes
        self.deliverer.on_claimed = to_deliver.ring

        async def pump(index: int) -> None:
            # An idle stage backs off (up to 8x the idle sleep) so spare delivery lanes do not keep
            # querying the outbox; work this worker makes for it rings its bell, and any work it finds
            # brings it straight back.
            pause = self.idle_sleep_s
            bell = own_bell[index]
            while not stop.is_set():
                worked = await stages[index]()
                resting[index] = not worked
                if worked:
                    rings[index].ring()
                    pause = self.idle_sleep_s
                    continue
                if bell is None:
                    await asyncio.sleep(pause)
                elif await bell.sleep(pause):
                    continue  # rung: look again at once, at the same pause
                pause = min(pause * 2, self.idle_sleep_s * 8)

        async def watch() -> None:
            # The hot paths' plans no longer depend on fresh statistics (see ``plan_as_probes``), and on a
            # busy PostgreSQL store one ANALYZE of the engine's tables holds the loop for a quarter second:
            # refresh rarely, for the queries people run.
            statistics = _Schedule(first_s=30.0, max_s=600.0)
            while not stop.is_set():
                if statistics.due():
                    self.store.refresh_statistics()
                if self.sla_watch is not None and self.sla_watch.due(time.monotonic()):
                    self.sla_watch.check(self.clock.now())
                if on_progress is not None:
                    on_progress(self.progress)
                if until_idle and all(resting) and self.idle():
                    stop.set()
                await asyncio.sleep(self.idle_sleep_s)

        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(watch())
                for index in range(len(stages)):
                    group.create_task(pump(index))
        except BaseExceptionGroup as failures:
            raise failures.exceptions[0] from None
        if self.sla_watch is not None:
            self.sla_watch.check(self.clock.now())
        if on_progress is not None:
            on_progress(self.progress)
        return self.progress


class _Schedule:
    """Due now, then after intervals that double up to a ceiling (tables grow fastest early on)."""

    def __init__(self, first_s: float, max_s: float) -> None:
        self.interval = first_s
        self.max_s = max_s
        self.next_at = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + self.interval
        self.interval = min(self.interval * 2, self.max_s)
        return True
