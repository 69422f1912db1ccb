"""Decide: hand each recorded event, in order per partition, to the flows it triggers.

Aggregates map to partitions and partitions are leased to one worker at a time, so events of one
aggregate are decided in the order they were recorded, whatever the number of workers. Everything a
batch decides (new instances, their commands, exceptions, the new positions) commits in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from concord.domain.messages import Event
from concord.engine.flows import Flow, FlowRegistry
from concord.engine.model import Category, ExceptionDraft, FlowInstance, HeldRecord
from concord.engine.ports import Clock
from concord.engine.runner import Decision, FlowRunner, gathered_record

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore, Transaction

log = structlog.get_logger(__name__)

#: What a later successful sync of the same business object settles. An authority exception is not among
#: them: the source still holds a value its owner never agreed to, whatever else synced since.
SYNC_CATEGORIES = [c.value for c in Category if c is not Category.AUTHORITY]


class Dispatcher:
    """Moves the partitions this worker leases forward."""

    def __init__(
        self,
        store: SqlStore,
        flows: FlowRegistry,
        runner: FlowRunner,
        worker_id: str,
        clock: Clock,
        *,
        batch_size: int = 500,
        lease_s: float = 30.0,
        max_partitions: int | None = None,
    ) -> None:
        self.store = store
        self.flows = flows
        self.runner = runner
        self.worker_id = worker_id
        self.clock = clock
        self.batch_size = batch_size
        self.lease_s = lease_s
        self.max_partitions = max_partitions

    def dispatch_once(self) -> int:
        """Decide the next batch of events; returns how many were handled."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            positions = tx.partitions.lease(self.worker_id, now, self.lease_s, self.max_partitions)
            budget = self.batch_size
            handled = 0
            for partition, position in sorted(positions.items()):
                if budget <= 0:
                    break
                batch = tx.events.after(partition, position, budget)
                if not batch:
                    continue
                self.decide(tx, batch, now)
                tx.partitions.advance(self.worker_id, partition, batch[-1].seq)
                budget -= len(batch)
                handled += len(batch)
        return handled

    def decide(self, tx: Transaction, batch: Sequence[Event], now: datetime) -> tuple[int, int]:
        """Start the flows ``batch`` triggers; returns (started or moved on, already there).

        An instance that exists already is left alone: that is what makes redelivery and replay safe. The
        one exception is an instance a step refused (a validation failure): a newer version of its trigger
        runs it again from its first step, and the refusal about the older version is resolved.

        A gathering flow's record is held by one instance at a time (``gathered_records``): a newer version
        that belongs to another instance leaves the one that held it (which runs again without it), and an
        older version than the one held (a replay) moves nothing.
        """
        wanted: list[tuple[Event, Flow, str]] = []
        for event in batch:
            for flow in self.flows.for_event(event.event_type):
                flow_key = flow.key(event)
                if flow_key is not None:
                    wanted.append((event, flow, flow_key))
        holders = tx.gathered.holders(
            (flow.name, gathered_record(event)) for event, flow, _ in wanted if flow.gather is not None
        )
        existing = tx.instances.get_many(
            [flow.instance_id(key) for _, flow, key in wanted] + [h.instance_id for h in holders.values()]
        )
        started: dict[str, FlowInstance] = {}
        decision = Decision()
        already = 0
        held: list[HeldRecord] = []
        for event, flow, flow_key in wanted:
            instance_id = flow.instance_id(flow_key)
            found = started.get(instance_id) or existing.get(instance_id)
            if flow.gather is not None:
                record = gathered_record(event)
                holder = holders.get((flow.name, record))
                if holder is not None and 0 < event.log_seq <= holder.log_seq:
                    already += 1  # an older version than the one held (a replay): it moves nothing
                    continue
                if holder is not None and holder.instance_id != instance_id:
                    self._release(holder, existing, started, now)
                moved = HeldRecord(flow.name, record, instance_id, event.log_seq)
                holders[(flow.name, record)] = moved
                held.append(moved)
            if found is not None and flow.gather is not None:
                if self.runner.gather(found, event, now):
                    started[instance_id] = found
                else:
                    already += 1
                continue
            if found is not None and self.runner.retriggers(found, event):
                self._supersede_refusal(tx, found, event, now)
                decision.extend(self.runner.retrigger(found, event, now))
                started[instance_id] = found
                continue
            if found is not None:
                already += 1
                continue
            instance, step = self.runner.start(flow, flow_key, event, now)
            started[instance_id] = instance
            decision.extend(step)
        persist(tx, list(started.values()), decision, now)
        tx.gathered.hold(held)
        return len(started), already

    def _release(
        self,
        holder: HeldRecord,
        existing: dict[str, FlowInstance],
        started: dict[str, FlowInstance],
        now: datetime,
    ) -> None:
        previous = started.get(holder.instance_id) or existing.get(holder.instance_id)
        if previous is not None and self.runner.release(previous, holder.record, now):
            started[holder.instance_id] = previous
            log.info(
                "a gathered record moved to another instance",
                record=holder.record,
                left=holder.instance_id,
                traceparent=previous.traceparent,
            )

    def wake_once(self, limit: int = 100) -> int:
        """Run the waiting instances of gathering flows whose inputs have settled, and the completed ones
        whose steps asked to run again by now on the business clock; returns how many."""
        now = self.clock.now()
        business_now = self._business_now(now)
        with self.store.transaction() as tx:
            due = tx.instances.due(now, limit, business_now)
            decision = Decision()
            for instance in due:
                decision.extend(self.runner.wake(instance, now))
            persist(tx, due, decision, now)
        return len(due)

    def _business_now(self, now: datetime) -> datetime | None:
        clock = self.runner.business_clock
        if clock is None:
            return now
        try:
            return clock.now()
        except Exception as error:  # a clock read over the network: the runs it holds wait a round
            log.warning("the business clock could not be read; scheduled runs wait", error=str(error))
            return None

    @staticmethod
    def _supersede_refusal(tx: Transaction, instance: FlowInstance, event: Event, now: datetime) -> None:
        label = instance.state.get("business_label") or instance.business_key
        reason = f"Superseded: a newer version of {label} arrived and Concord checks it again."
        tx.exceptions.auto_resolve(
            instance.business_key, reason, now, event.occurred_at, categories=[Category.VALIDATION.value]
        )


def _not_yet_open(tx: Transaction, drafts: Sequence[ExceptionDraft]) -> list[ExceptionDraft]:
    """The drafts to open: a finding reported ``once`` is not opened again while it is active."""
    if not any(draft.once for draft in drafts):
        return list(drafts)
    seen = tx.exceptions.active_messages([d.business_key for d in drafts if d.once])
    kept = []
    for draft in drafts:
        if draft.once:
            if (draft.business_key, draft.message) in seen:
                continue
            seen.add((draft.business_key, draft.message))
        kept.append(draft)
    return kept


def persist(tx: Transaction, instances: Sequence[FlowInstance], decision: Decision, now: datetime) -> None:
    """Write instances with their commands and exceptions, and close what succeeded since."""
    tx.instances.save_many(instances)
    tx.outbox.add_many(decision.commands)
    drafts = _not_yet_open(tx, decision.exceptions)
    if drafts:
        ids = tx.exceptions.open_many(drafts, now)
        for exception_id, draft in zip(ids, drafts, strict=True):
            log.warning(
                "exception opened",
                exception_id=exception_id,
                category=draft.category.value,
                business_key=draft.business_key,
                traceparent=draft.traceparent,
                message=draft.message,
            )
    if decision.timings:
        tx.sla.record(decision.timings)
    if decision.completed:
        latest: dict[str, datetime] = {}
        for key, occurred_at in decision.completed:
            latest[key] = max(occurred_at, latest.get(key, occurred_at))
        for key in tx.exceptions.active_keys(list(latest), categories=SYNC_CATEGORIES):
            reason = f"Resolved automatically: {key} was later synced successfully."
            tx.exceptions.auto_resolve(key, reason, now, latest[key], categories=SYNC_CATEGORIES)
