"""The engine's working records: flow instances, commands to write, exception drafts."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from concord.domain.messages import JSON


class InstanceStatus(StrEnum):
    """Where a flow instance stands."""

    WAITING = "waiting"  # a gathering flow waits for its inputs to settle (``wake_at``)
    RUNNING = "running"
    FAILING = "failing"  # a command failed permanently; waiting for its siblings before compensating
    COMPENSATING = "compensating"
    COMPLETED = "completed"
    COMPENSATED = "compensated"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """No more commands will be issued without a person acting."""
        return self in (InstanceStatus.COMPLETED, InstanceStatus.COMPENSATED, InstanceStatus.FAILED)


class CommandStatus(StrEnum):
    """Where a command stands in the outbox."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"


class ExceptionStatus(StrEnum):
    """The life of an exception record."""

    OPEN = "open"
    RETRYING = "retrying"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class Category(StrEnum):
    """Exception categories (domain.md §4)."""

    VALIDATION = "validation"
    MAPPING = "mapping"
    AUTHORITY = "authority"
    TARGET_REJECTED = "target_rejected"
    TARGET_UNAVAILABLE = "target_unavailable"
    CONFLICT = "conflict"
    COMPENSATION = "compensation"


@dataclass(slots=True)
class FlowInstance:
    """A durable flow instance, as loaded for one transaction."""

    instance_id: str
    flow: str
    flow_key: str
    status: InstanceStatus
    step_index: int
    generation: int
    pending: int
    state: JSON
    trigger_event_id: str
    business_type: str
    business_key: str
    traceparent: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    wake_at: datetime | None = None
    """When a waiting instance runs (gathering flows); None otherwise."""
    is_new: bool = False

    @property
    def results(self) -> dict[str, list[JSON]]:
        """Results of the commands of the steps done so far, by step name."""
        results: dict[str, list[JSON]] = self.state.setdefault("results", {})
        return results


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """Which instance of a gathering flow holds a record, and the version of it (event log seq)."""

    flow: str
    record: str
    """"object type|aggregate key" (``runner.gathered_record``)."""
    instance_id: str
    log_seq: int


@dataclass(frozen=True, slots=True)
class NewCommand:
    """A command the runner decided; written to the outbox in the same transaction as its instance."""

    command_id: str
    idempotency_key: str
    instance_id: str | None
    step: str
    kind: str
    target: str
    action: str
    object_type: str
    ordering_key: str
    payload: JSON
    traceparent: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedCommand:
    """A command a delivery worker has leased."""

    seq: int
    command_id: str
    idempotency_key: str
    instance_id: str | None
    step: str
    kind: str
    target: str
    action: str
    object_type: str
    ordering_key: str
    payload: JSON
    attempts: int
    traceparent: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExceptionDraft:
    """An exception to open, in business words with the technical detail behind it."""

    category: Category
    team: str
    business_type: str
    business_key: str
    business_label: str
    message: str
    detail: str
    traceparent: str
    observed_at: datetime
    object_ids: dict[str, str] = field(default_factory=dict)
    payload: Any = None
    instance_id: str | None = None
    command_id: str | None = None
    event_id: str | None = None
    once: bool = False
    """Not opened again while the same business object has an active exception with the same message
    (a finding a re-run of a gathering flow reports again)."""


def partition_of(aggregate_key: str, count: int) -> int:
    """The partition an aggregate's events live in (stable across processes and restarts)."""
    return zlib.crc32(aggregate_key.encode()) % count


@dataclass(frozen=True, slots=True)
class SlaTiming:
    """One business SLA interval as a step saw it: started, and ended when ``ended_at`` is set."""

    measure: str
    subject_type: str
    subject_key: str
    label: str
    started_at: datetime
    ended_at: datetime | None
    instance_id: str | None
    traceparent: str


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended (its sequence numbers are allocated on append)."""

    event_id: str
    event_type: str
    object_type: str
    aggregate_key: str
    source_system: str
    source_id: str
    payload: JSON
    occurred_at: datetime
    recorded_at: datetime
    traceparent: str
    partition: int


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure: try again at ``at``."""

    command_id: str
    at: datetime
    error: str
    #: Attempts made so far, as stored; an attempt that sent nothing (a spent quota budget, a breaker's
    #: trial pending) is given back, so waiting never brings a command nearer to being parked.
    attempts: int
