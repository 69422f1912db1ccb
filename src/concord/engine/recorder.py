"""Record: inbox dedupe, event append and cursor advance in one transaction.

A crash before the commit loses nothing (the cursor did not move, the source is read again); after it,
nothing is recorded twice (the inbox remembers every change's dedupe key). A change that fails
validation is remembered too, and becomes an exception record instead of an event: it never stops the
line and is never silently dropped.

A change gate (``concord.engine.gates``), when one is given, sees every fresh change inside the same
transaction: what it drops (an echo of Concord's own write, a change the authority matrix refuses) is
remembered in the inbox under its outcome instead of becoming an event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import BaseModel, ValidationError

from concord.domain.ids import new_id
from concord.domain.messages import JSON, UNMAPPABLE, Change
from concord.domain.objects.base import CanonicalRecord
from concord.domain.ownership import owning_team
from concord.domain.tracing import TraceContext
from concord.engine.errors import ConcurrentWrite, InvalidChange
from concord.engine.gates import ChangeGate, GateVerdict
from concord.engine.model import Category, ExceptionDraft, NewEvent, partition_of
from concord.engine.ports import Clock

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore, Transaction

log = structlog.get_logger(__name__)

Validator = Callable[[JSON], JSON]


_READING = [Category.VALIDATION, Category.MAPPING]
"""Categories of the exceptions a later good version of the same record resolves by itself."""


class ChangeSchemas:
    """How each object type's payload is validated before it becomes an event."""

    def __init__(self) -> None:
        self._validators: dict[str, Validator] = {}

    def register_model(self, object_type: str, model: type[BaseModel]) -> None:
        """Validate ``object_type`` payloads with a pydantic model (normalised to JSON)."""

        def validate(payload: JSON) -> JSON:
            return model.model_validate(payload).model_dump(mode="json")

        self._validators[object_type] = validate

    def register_canonical(self, model: type[CanonicalRecord]) -> None:
        """Validate a canonical object's payloads (as platform connectors map them) with its model.

        A record the connector could not map arrives marked ``UNMAPPABLE``: it is refused as a mapping
        problem, with the mapping's reason.
        """

        def validate(payload: JSON) -> JSON:
            if UNMAPPABLE in payload:
                raise InvalidChange(str(payload[UNMAPPABLE]), category="mapping")
            return model.model_validate(payload).model_dump(mode="json")

        self._validators[model.SCHEMA_NAME] = validate

    def register(self, object_type: str, validator: Validator) -> None:
        """Validate ``object_type`` payloads with a function that raises on bad input."""
        self._validators[object_type] = validator

    def validate(self, change: Change) -> JSON:
        """The normalised payload, or :class:`InvalidChange` with a readable reason."""
        if change.deleted:
            return change.payload
        validator = self._validators.get(change.object_type)
        if validator is None:
            raise InvalidChange(f"Concord has no schema for '{change.object_type}' records")
        try:
            return validator(change.payload)
        except InvalidChange:
            raise
        except ValidationError as error:
            raise InvalidChange(_readable(error)) from error
        except (ValueError, TypeError, KeyError) as error:
            raise InvalidChange(str(error)) from error


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What one record call did."""

    recorded: int
    duplicates: int
    rejected: int
    #: Fresh changes the gate kept from becoming events (echoes, refused or stale changes).
    suppressed: int = 0


class Recorder:
    """Turns detected changes into events."""

    def __init__(
        self,
        store: SqlStore,
        schemas: ChangeSchemas,
        partitions: int,
        clock: Clock,
        gate: ChangeGate | None = None,
    ) -> None:
        self.store = store
        self.schemas = schemas
        self.partitions = partitions
        self.clock = clock
        self.gate = gate

    def record(
        self,
        system: str,
        object_type: str,
        changes: Sequence[Change],
        cursor: str | None,
        *,
        advance: bool = True,
    ) -> RecordSummary:
        """Record a page of changes and move the source's cursor, atomically."""
        accepted: dict[str, tuple[Change, JSON]] = {}
        rejected: dict[str, tuple[Change, InvalidChange]] = {}
        for change in changes:
            key = change.dedupe_key
            if key in accepted or key in rejected:
                continue
            try:
                accepted[key] = (change, self.schemas.validate(change))
            except InvalidChange as error:
                rejected[key] = (change, error)
        for attempt in range(1, 4):
            try:
                return self._write(system, object_type, accepted, rejected, cursor, advance)
            except ConcurrentWrite:
                # Another worker recorded some of these changes at the same moment: read again.
                if attempt == 3:
                    raise
        raise AssertionError("unreachable")

    def _write(
        self,
        system: str,
        object_type: str,
        accepted: dict[str, tuple[Change, JSON]],
        rejected: dict[str, tuple[Change, InvalidChange]],
        cursor: str | None,
        advance: bool,
    ) -> RecordSummary:
        now = self.clock.now()
        with self.store.transaction() as tx:
            seen = tx.inbox.existing([*accepted, *rejected])
            verdict = self._admit(tx, {k: v for k, v in accepted.items() if k not in seen}, now)
            fresh = [
                (key, self._new_event(change, verdict.admitted[key], now))
                for key, (change, _) in accepted.items()  # in page order: per-aggregate order holds
                if key in verdict.admitted
            ]
            new_events = [event for _, event in fresh]
            fresh_rejects = [(key, change, why) for key, (change, why) in rejected.items() if key not in seen]
            tx.events.append_many(new_events)
            inbox_rows: list[tuple[str, str | None, str, Any]] = [
                (key, event.event_id, "recorded", now) for key, event in fresh
            ]
            inbox_rows += [(key, None, outcome, now) for key, outcome in verdict.dropped.items()]
            inbox_rows += [(key, None, "rejected", now) for key, _, _ in fresh_rejects]
            tx.inbox.add_many(inbox_rows)
            drafts = [self._rejection(change, why) for _, change, why in fresh_rejects]
            tx.exceptions.open_many([*drafts, *verdict.exceptions], now)
            self._resolve_fixed(tx, [change for change, _ in accepted.values()], now)
            if advance:
                tx.cursors.set(system, object_type, cursor, now)
        duplicates = len(seen)
        if fresh_rejects:
            log.warning("changes rejected", system=system, object_type=object_type, count=len(fresh_rejects))
        return RecordSummary(len(new_events), duplicates, len(fresh_rejects), len(verdict.dropped))

    def _admit(self, tx: Transaction, fresh: dict[str, tuple[Change, JSON]], now: Any) -> GateVerdict:
        """The gate's verdict on the fresh changes (without a gate, every one is admitted as it is)."""
        if self.gate is None or not fresh:
            return GateVerdict(admitted={key: payload for key, (_, payload) in fresh.items()})
        verdict = self.gate.admit(tx, fresh, now)
        undecided = set(fresh) - set(verdict.admitted) - set(verdict.dropped)
        if undecided:
            raise AssertionError(f"the change gate decided nothing for {sorted(undecided)}")
        return verdict

    def record_revalidated(self, tx: Transaction, change: Change, now: Any) -> str:
        """Validate a once-rejected change again and record it (inside the caller's transaction)."""
        payload = self.schemas.validate(change)
        event = self._new_event(change, payload, now)
        tx.events.append_many([event])
        tx.inbox.mark_recorded(change.dedupe_key, event.event_id)
        return event.event_id

    def _new_event(self, change: Change, payload: JSON, now: Any) -> NewEvent:
        return NewEvent(
            event_id=new_id(),
            event_type=change.event_type,
            object_type=change.object_type,
            aggregate_key=change.aggregate_key,
            source_system=change.system,
            source_id=change.source_id,
            payload=payload,
            occurred_at=change.changed_at,
            recorded_at=now,
            traceparent=TraceContext.parse_or_new(change.traceparent).traceparent,
            partition=partition_of(change.aggregate_key, self.partitions),
        )

    def _rejection(self, change: Change, error: InvalidChange) -> ExceptionDraft:
        label = f"{change.object_type} {change.source_id}"
        why = str(error)
        category = Category(error.category)
        return ExceptionDraft(
            category=category,
            team=owning_team(category, change.object_type),
            business_type=change.object_type,
            business_key=business_key(change.object_type, change.source_id),
            business_label=label,
            message=f"{label} from {change.system} was not synced: {why}",
            detail=f"dedupe key {change.dedupe_key}; payload failed {category.value}: {why}",
            traceparent=TraceContext.parse_or_new(change.traceparent).traceparent,
            observed_at=change.changed_at,
            object_ids={change.system: change.source_id},
            payload={
                "system": change.system,
                "object_type": change.object_type,
                "source_id": change.source_id,
                "version": change.version,
                "changed_at": change.changed_at.isoformat(),
                "payload": change.payload,
            },
        )

    def _resolve_fixed(self, tx: Transaction, changes: Sequence[Change], now: Any) -> None:
        keys = {business_key(c.object_type, c.source_id): c for c in changes}
        for key in tx.exceptions.active_keys(list(keys), categories=_READING):
            change = keys[key]
            reason = (
                f"Resolved automatically: a later version of {change.object_type} {change.source_id} "
                f"from {change.system} passed validation."
            )
            tx.exceptions.auto_resolve(key, reason, now, change.changed_at, categories=_READING)


def business_key(object_type: str, source_id: str) -> str:
    """How exceptions and flow instances name a business object."""
    return f"{object_type}:{source_id}"


def _readable(error: ValidationError) -> str:
    parts = []
    for issue in error.errors():
        where = ".".join(str(p) for p in issue["loc"]) or "record"
        parts.append(f"{where}: {issue['msg']}")
    return "; ".join(parts)
