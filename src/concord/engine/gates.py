"""The two hooks through which governance watches the engine's traffic, and the memory they share.

Inbound, a :class:`ChangeGate` sees every fresh change inside the recorder's transaction and decides what
becomes an event: echoes of Concord's own writes and changes from systems that do not own a field are
dropped (and remembered in the inbox under their outcome), and the events carry authoritative values.
Outbound, a :class:`WriteScreen` sees the commands a delivery worker has just claimed, inside the claim
transaction and before any connector call: writes that would change nothing are settled without a call,
and the rest leave a fingerprint so that their echo is recognised when change detection brings it back.

The engine defines the hooks; ``concord.governance`` implements them. Both run inside the caller's
transaction, so what they remember commits (or rolls back) with the events and claims they decided on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

from concord.domain.messages import JSON, Change
from concord.engine.model import ClaimedCommand, ExceptionDraft

if TYPE_CHECKING:
    from concord.storage.sql.store import Transaction


class MemoryKey(NamedTuple):
    """Which record a memory is about: a system, an object type and the record's global id."""

    system: str
    object_type: str
    global_id: str


@dataclass(slots=True)
class RememberedRecord:
    """What Concord last saw of, and last wrote to, one record in one system (a ``record_memory`` row).

    ``seen`` and ``written`` are JSON documents whose shape belongs to whoever keeps the memory; the store
    only keeps them. ``stored`` says whether the row exists yet (saved by update) or is new (inserted).
    """

    system: str
    object_type: str
    global_id: str
    system_id: str | None = None
    seen: JSON = field(default_factory=dict)
    seen_at: datetime | None = None
    written: JSON = field(default_factory=dict)
    written_at: datetime | None = None
    stored: bool = False

    @property
    def key(self) -> MemoryKey:
        """The row's key."""
        return MemoryKey(self.system, self.object_type, self.global_id)


#: A change as the recorder hands it to the gate: the change and its validated payload.
Accepted = tuple[Change, JSON]


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """What the gate decided for a page of fresh changes (keyed by their inbox dedupe keys).

    A change is either admitted, with the payload its event carries, or dropped, with the outcome the inbox
    remembers it by ("echo", "governed", "unchanged"...). ``exceptions`` are opened in the same transaction.
    """

    admitted: Mapping[str, JSON] = field(default_factory=dict)
    dropped: Mapping[str, str] = field(default_factory=dict)
    exceptions: Sequence[ExceptionDraft] = ()


class ChangeGate(Protocol):
    """Decides, inside the recorder's transaction, which fresh changes become events."""

    def admit(self, tx: Transaction, changes: Mapping[str, Accepted], now: datetime) -> GateVerdict:
        """Every change in ``changes`` must come back either admitted or dropped."""
        ...


@dataclass(frozen=True, slots=True)
class Screened:
    """What the screen decided for a batch of claimed commands (keyed by command id).

    ``skipped`` commands are settled as done with the given result, without calling the target; the flow
    moves on as on success. ``payloads`` replace the payload of commands that go out with changed values.
    """

    skipped: Mapping[str, JSON] = field(default_factory=dict)
    payloads: Mapping[str, JSON] = field(default_factory=dict)


class WriteScreen(Protocol):
    """Looks at claimed commands, inside the claim transaction, before any connector call."""

    def screen(self, tx: Transaction, commands: Sequence[ClaimedCommand], now: datetime) -> Screened:
        """Which commands need no call, and which go out with other values."""
        ...

    def abandoned(self, tx: Transaction, commands: Sequence[ClaimedCommand], now: datetime) -> None:
        """These commands failed for good: whatever the screen expected from them will not happen."""
        ...
