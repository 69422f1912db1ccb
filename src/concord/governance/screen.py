"""The write screen: no-change writes skipped, the rest fingerprinted (``concord.engine.gates.WriteScreen``).

A delivery worker hands over the commands it has just claimed, inside the claim transaction and before
any connector call. For an upsert or update of a governed record in target T:

- a field whose golden value changed later than the record the command carries (a later change
  superseded it) goes out with the golden value instead, so a late command never undoes a newer change;
- if every field then equals what T holds as far as Concord knows (seen there, or written there), the
  command needs no call: it is settled as done with ``{"skipped": ..., "global_id": ..., "system_id": ...}``;
- otherwise what it writes is remembered for T before the call, so the echo is recognised even if change
  detection brings it back before the delivery settles.

A command that fails for good has its expectation withdrawn (``abandoned``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from concord.domain.messages import JSON
from concord.engine.gates import MemoryKey, RememberedRecord, Screened
from concord.engine.model import ClaimedCommand
from concord.engine.runner import FORWARD
from concord.governance.authority import AuthorityMatrix
from concord.governance.fingerprint import business_fields, digest
from concord.governance.golden import GOLDEN, GoldenField, known_state, supersedes

if TYPE_CHECKING:
    from concord.storage.sql.store import Transaction

WRITE_ACTIONS = frozenset({"upsert", "update"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one command: skip it with a result, send other values, or send it as it is."""

    skip: JSON | None = None
    payload: JSON | None = None


class EchoScreen:
    """Screens claimed writes of governed records against record memory."""

    def __init__(self, matrix: AuthorityMatrix, actions: Collection[str] = WRITE_ACTIONS) -> None:
        self.matrix = matrix
        self.actions = frozenset(actions)

    def screen(self, tx: Transaction, commands: Sequence[ClaimedCommand], now: datetime) -> Screened:
        """Skip what would change nothing; remember what the rest will write."""
        writes = [c for c in commands if self.screens(c)]
        if not writes:
            return Screened()
        keys = {_target_key(c) for c in writes} | {_golden_key(c) for c in writes}
        memories = tx.memory.get_many(keys, lock=True)
        skipped: dict[str, JSON] = {}
        payloads: dict[str, JSON] = {}
        dirty: dict[MemoryKey, RememberedRecord] = {}
        for command in writes:
            key = _target_key(command)
            target = memories.setdefault(key, RememberedRecord(*key))
            golden = memories.get(_golden_key(command))
            verdict = screen_write(command, target, golden.seen if golden else {}, now)
            if verdict.skip is not None:
                skipped[command.command_id] = verdict.skip
                continue
            dirty[key] = target
            if verdict.payload is not None:
                payloads[command.command_id] = verdict.payload
        tx.memory.save_many(list(dirty.values()))
        return Screened(skipped=skipped, payloads=payloads)

    def abandoned(self, tx: Transaction, commands: Sequence[ClaimedCommand], now: datetime) -> None:
        """Withdraw the echo expectations of commands that failed for good."""
        writes = {c.command_id: _target_key(c) for c in commands if self.screens(c)}
        if not writes:
            return
        memories = tx.memory.get_many(set(writes.values()), lock=True)
        dirty: dict[MemoryKey, RememberedRecord] = {}
        for command_id, key in writes.items():
            memory = memories.get(key)
            if memory is None:
                continue
            mine = [name for name, entry in memory.written.items() if entry["c"] == command_id]
            for name in mine:
                del memory.written[name]
            if mine:
                dirty[key] = memory
        tx.memory.save_many(list(dirty.values()))

    def screens(self, command: ClaimedCommand) -> bool:
        """Whether a command is a write of a governed record this screen looks at."""
        return (
            command.action in self.actions
            and self.matrix.governs(command.object_type)
            and isinstance(command.payload.get("global_id"), str)
        )


def screen_write(
    command: ClaimedCommand, target: RememberedRecord, golden: dict[str, GoldenField], now: datetime
) -> Verdict:
    """The verdict on one write; remembers what it will write in ``target`` unless it is skipped."""
    payload = command.payload
    superseded = _superseded(command, golden) if command.kind == FORWARD else {}
    if superseded:
        payload = {**payload, **superseded}
    values = _written(command.action, payload)
    if not values:
        return Verdict()
    digests = {name: digest(value) for name, value in values.items()}
    system_id = target.system_id or payload.get("system_ids", {}).get(target.system)
    known = known_state(target, ignoring=command.command_id)
    if all(known.get(name) == d for name, d in digests.items()):
        reason = "superseded" if superseded else "no change"
        # Answered as a write is: the flow's next step finds the record's ids in it.
        return Verdict(
            skip={"skipped": reason, "global_id": payload.get("global_id"), "system_id": system_id}
        )
    for name, d in digests.items():
        if target.seen.get(name) != d:  # a field the target already shows will not come back changed
            target.written[name] = {"d": d, "c": command.command_id}
    target.written_at = now
    target.system_id = system_id
    return Verdict(payload=payload if superseded else None)


def _written(action: str, payload: JSON) -> JSON:
    """The fields a write sets: an update's ``values``, an upsert's whole record."""
    if action == "update":
        values = payload.get("values")
        return dict(values) if isinstance(values, dict) else {}
    return business_fields(payload)


def _superseded(command: ClaimedCommand, golden: dict[str, GoldenField]) -> JSON:
    """Fields whose golden value is newer than the record the command carries → the golden value."""
    stamp = command.payload.get("source_changed_at")
    if not isinstance(stamp, str) or not golden:
        return {}
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return {}
    if at.tzinfo is None:
        return {}
    source = command.payload.get("source_system")
    return {
        name: golden[name]["v"]
        for name, value in business_fields(command.payload).items()
        if name in golden
        and golden[name]["d"] != digest(value)
        and supersedes(golden[name], at, source if isinstance(source, str) else None)
    }


def _target_key(command: ClaimedCommand) -> MemoryKey:
    return MemoryKey(command.target, command.object_type, command.payload["global_id"])


def _golden_key(command: ClaimedCommand) -> MemoryKey:
    return MemoryKey(GOLDEN, command.object_type, command.payload["global_id"])
