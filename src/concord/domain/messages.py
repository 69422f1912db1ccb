"""The messages that flow through the engine: detected changes, recorded events and commands.

Events are facts in the past tense (``TimeEntryChanged``); commands are imperatives addressed to one target
system (``upsert`` a project in the PSA). Both carry the correlation (W3C traceparent) of the business
transaction that produced them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

JSON = dict[str, Any]

UNMAPPABLE = "_unmappable"
"""Key of a change payload whose platform record could not be mapped; its value says why."""


def content_hash(payload: JSON) -> str:
    """A stable hash of a JSON payload (sorted keys), used when a source gives no version."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Change:
    """One record as a connector saw it change in a source system, before it is recorded."""

    system: str
    object_type: str
    source_id: str
    payload: JSON
    changed_at: datetime
    version: str | None = None
    deleted: bool = False
    traceparent: str | None = None

    @property
    def dedupe_key(self) -> str:
        """Inbox key: the same (system, object, id, version) is recorded once."""
        version = self.version if self.version is not None else content_hash(self.payload)
        return f"{self.system}|{self.object_type}|{self.source_id}|{version}"

    @property
    def aggregate_key(self) -> str:
        """What events are ordered by: the record in its system (ids are only unique per system)."""
        return f"{self.system}:{self.source_id}"

    @property
    def event_type(self) -> str:
        """The past-tense name of what happened, e.g. ``OpportunityChanged``."""
        return f"{self.object_type}{'Deleted' if self.deleted else 'Changed'}"


@dataclass(frozen=True, slots=True)
class Event:
    """A recorded fact in the event log."""

    event_id: str
    seq: int
    event_type: str
    object_type: str
    aggregate_key: str
    source_system: str
    source_id: str
    payload: JSON
    occurred_at: datetime
    recorded_at: datetime
    traceparent: str
    partition: int = 0
    log_seq: int = 0


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What a flow step asks a target system to do; the engine turns it into a durable command."""

    target: str
    action: str
    object_type: str
    payload: JSON
    ordering_key: str | None = None


@dataclass(frozen=True, slots=True)
class CommandEnvelope:
    """A command as a connector receives it: everything it needs to act exactly once."""

    command_id: str
    idempotency_key: str
    target: str
    action: str
    object_type: str
    payload: JSON
    traceparent: str
    attempt: int = 1
    metadata: JSON = field(default_factory=dict)
