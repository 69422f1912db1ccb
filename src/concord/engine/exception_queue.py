"""What people do with exceptions: retry, resolve, ignore. Every action is audited.

Retry depends on where the work stopped: a compensated flow, or one a step refused, runs again from its
first step (a new generation, so its commands get new idempotency keys, and its facts are read afresh);
a flow paused on a failed command re-queues that command (same key: it never took effect); a flow whose
own step code failed resumes at that step; a change that failed validation is validated again and
recorded if it now passes.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from concord.domain.messages import Change
from concord.engine.dispatcher import persist
from concord.engine.errors import Conflict, InvalidChange, NotFound
from concord.engine.flows import CONFIRMED
from concord.engine.model import ExceptionStatus, InstanceStatus
from concord.engine.ports import Clock
from concord.engine.recorder import Recorder
from concord.engine.runner import REWAKE, Decision, FlowRunner

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore, Transaction

ACTIONABLE = (ExceptionStatus.OPEN.value, ExceptionStatus.RETRYING.value)


class ExceptionQueue:
    """Operator actions on exception records."""

    def __init__(self, store: SqlStore, runner: FlowRunner, recorder: Recorder, clock: Clock) -> None:
        self.store = store
        self.runner = runner
        self.recorder = recorder
        self.clock = clock

    def retry(self, exception_id: str, actor: str) -> str:
        """Try again after the cause was fixed; returns what was done, in words."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            record = self._actionable(tx, exception_id)
            if record["instance_id"]:
                outcome = self._retry_instance(tx, record, now)
            elif record["payload"]:
                outcome = self._retry_change(tx, record, now)
            else:
                raise Conflict(
                    f"exception {exception_id} is not tied to a flow or a change; resolve it instead"
                )
            status = ExceptionStatus.RESOLVED if outcome.startswith("recorded") else ExceptionStatus.RETRYING
            tx.exceptions.set_status(
                exception_id, status, actor, now, outcome if status.value == "resolved" else None
            )
            tx.audit.append(actor, "exception.retry", exception_id, {"outcome": outcome}, now)
        return outcome

    def resolve(self, exception_id: str, actor: str, note: str) -> None:
        """A person fixed it outside Concord (or decided it needs nothing)."""
        self._close(exception_id, actor, note, ExceptionStatus.RESOLVED, "exception.resolve")

    def ignore(self, exception_id: str, actor: str, note: str) -> None:
        """A person decided it will not be acted on."""
        self._close(exception_id, actor, note, ExceptionStatus.IGNORED, "exception.ignore")

    def _close(self, exception_id: str, actor: str, note: str, status: ExceptionStatus, action: str) -> None:
        if not note.strip():
            raise Conflict("say why: a note is required to resolve or ignore an exception")
        now = self.clock.now()
        with self.store.transaction() as tx:
            self._actionable(tx, exception_id)
            tx.exceptions.set_status(exception_id, status, actor, now, note)
            tx.audit.append(actor, action, exception_id, {"note": note}, now)

    def _actionable(self, tx: Transaction, exception_id: str) -> dict[str, Any]:
        record = tx.exceptions.get(exception_id)
        if record is None:
            raise NotFound(f"no exception {exception_id}")
        if record["status"] not in ACTIONABLE:
            raise Conflict(f"exception {exception_id} is already {record['status']}")
        return record

    def _retry_instance(self, tx: Transaction, record: dict[str, Any], now: datetime) -> str:
        instance_id = record["instance_id"]
        instance = tx.instances.get(instance_id)
        if instance is None:
            raise NotFound(f"flow instance {instance_id} no longer exists")
        decision = Decision()
        gathering = self.runner.flows.get(instance.flow).gather is not None
        if gathering:
            # A retried finding about one record is that person's go-ahead for it (e.g. a re-date).
            confirmed: list[str] = instance.state.setdefault(CONFIRMED, [])
            if record["business_key"] not in confirmed:
                confirmed.append(record["business_key"])
        if instance.status is InstanceStatus.WAITING:
            instance.wake_at = now
            outcome = f"flow {instance_id} runs again now over the records it gathered"
        elif gathering and not instance.status.finished:
            instance.state[REWAKE] = True
            outcome = f"flow {instance_id} runs again once its current run finishes"
        elif gathering:
            decision = self.runner.wake(instance, now)
            outcome = f"flow {instance_id} ran again over the records it gathered (run {instance.generation})"
        elif instance.status is InstanceStatus.COMPENSATED or self.runner.refused(instance):
            decision = self.runner.restart(instance, now)
            outcome = f"flow {instance_id} started again from its first step (run {instance.generation})"
        elif instance.status is InstanceStatus.FAILED and instance.state.get("failed_command"):
            command_id = instance.state.pop("failed_command")
            tx.outbox.requeue(command_id, now)
            instance.status = InstanceStatus.RUNNING
            instance.pending += 1
            instance.updated_at = now
            outcome = f"command {command_id} of flow {instance_id} queued again"
        elif instance.status is InstanceStatus.FAILED:
            decision = self.runner.resume(instance, now)
            outcome = f"flow {instance_id} resumed at step {instance.step_index + 1}"
        else:
            raise Conflict(f"flow {instance_id} is {instance.status.value}; there is nothing to retry yet")
        persist(tx, [instance], decision, now)
        return outcome

    def _retry_change(self, tx: Transaction, record: dict[str, Any], now: datetime) -> str:
        raw = record["payload"]
        change = Change(
            system=raw["system"],
            object_type=raw["object_type"],
            source_id=raw["source_id"],
            payload=raw["payload"],
            changed_at=datetime.fromisoformat(raw["changed_at"]),
            version=raw["version"],
            traceparent=record["traceparent"],
        )
        try:
            event = self.recorder.record_revalidated(tx, change, now)
        except InvalidChange as error:
            raise Conflict(f"{record['business_label']} still fails validation: {error}") from error
        return f"recorded as event {event}"
