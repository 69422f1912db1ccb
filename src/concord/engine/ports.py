"""The engine's ports: what a connector must offer, and what the engine hands it.

A connector is a plug-in per platform. It detects changes since a cursor, executes batches of commands
(each with a deterministic idempotency key, so a repeated call converges instead of duplicating) and
classifies its failures as transient or permanent with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from concord.domain.messages import JSON, Change, CommandEnvelope
from concord.engine.errors import Classification


@dataclass(frozen=True, slots=True)
class DetectedChanges:
    """One page of change detection: the changes and the cursor to store once they are recorded."""

    changes: Sequence[Change]
    next_cursor: str | None
    more: bool = False


@dataclass(frozen=True, slots=True)
class Succeeded:
    """The command had its effect (now, or earlier under the same idempotency key)."""

    result: JSON = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failed:
    """The command did not have its effect."""

    classification: Classification
    detail: str = ""


Outcome = Succeeded | Failed


@runtime_checkable
class Connector(Protocol):
    """A target and/or source system as the engine sees it."""

    name: str

    async def detect(self, object_type: str, cursor: str | None, limit: int) -> DetectedChanges:
        """Changes to ``object_type`` since ``cursor`` (at most ``limit``)."""
        ...

    async def execute(self, commands: Sequence[CommandEnvelope]) -> Sequence[Outcome]:
        """Carry out a batch of commands; one outcome per command, in order."""
        ...

    def classify(self, error: BaseException) -> Classification:
        """Whether a failure raised by ``execute`` is transient or permanent, and why."""
        ...


class Clock(Protocol):
    """Now, as the engine sees it (tests pass a fake)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def describe(value: Any) -> str:
    """A short, log-safe description of a value for technical details."""
    text = repr(value)
    return text if len(text) <= 500 else text[:497] + "..."
