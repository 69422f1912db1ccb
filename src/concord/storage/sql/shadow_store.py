"""Shadow writes (``shadow_writes``): what Concord would have done to a shadowed target's records.

One row per command, keyed by its idempotency key: a command retried after a crash, or a flow replayed,
finds its row there and adds none (the first computation stands). Rows are inserted with "on conflict do
nothing", so two workers recording the same command at once do not fail each other.

The report reads counts with SQL and the differing fields from the rows' diffs (JSON text, parsed here, so
SQLite and PostgreSQL answer alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, func, select
from sqlalchemy.dialects import postgresql, sqlite

from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import commands, shadow_writes

EXAMPLES = 3
"""Examples the report keeps per differing field."""


@dataclass(frozen=True, slots=True)
class ShadowWrite:
    """One write Concord computed for a shadowed target and did not make."""

    idempotency_key: str
    command_id: str
    system: str
    object_type: str
    global_id: str
    platform_id: str | None
    """The record's id in the target (None when the target holds no such record)."""
    action: str
    """``create``, ``update``, ``unchanged``, ``unread`` or ``delete`` (see ``connectors.shadow_diff``)."""
    diff: dict[str, Any]
    unread: dict[str, Any]
    correlation_id: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class FieldDifferences:
    """One platform field that would change on records of one system and object, with examples."""

    system: str
    object_type: str
    field: str
    count: int
    examples: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ShadowReport:
    """What the shadowed writes would have done: counts per system, object and action; differing fields."""

    counts: list[tuple[str, str, str, int]] = field(default_factory=list)
    fields: list[FieldDifferences] = field(default_factory=list)


class ShadowWrites:
    """Record shadowed writes; find the records created only in shadow; report."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, writes: Sequence[ShadowWrite]) -> None:
        """Keep the writes not recorded yet (by idempotency key), each with the flow instance whose
        command it was, as the outbox knows it."""
        if not writes:
            return
        instances = self._instances([w.command_id for w in writes])
        self.conn.execute(_insert_or_skip(self.conn), [_row(w, instances.get(w.command_id)) for w in writes])

    def _instances(self, command_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(sorted(set(command_ids))):
            query = select(commands.c.command_id, commands.c.instance_id).where(
                commands.c.command_id.in_(chunk), commands.c.instance_id.is_not(None)
            )
            found.update((command_id, instance_id) for command_id, instance_id in self.conn.execute(query))
        return found

    def created(self, system: str, object_type: str, global_ids: Sequence[str]) -> set[str]:
        """Which of these records a shadowed write of ``system`` would have created."""
        found: set[str] = set()
        for chunk in chunks(sorted(set(global_ids))):
            query = select(shadow_writes.c.global_id).where(
                shadow_writes.c.system == system,
                shadow_writes.c.object_type == object_type,
                shadow_writes.c.action == "create",
                shadow_writes.c.global_id.in_(chunk),
            )
            found.update(self.conn.scalars(query))
        return found

    def list(self, system: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest rows first."""
        query = select(shadow_writes).order_by(shadow_writes.c.seq.desc()).limit(limit)
        if system:
            query = query.where(shadow_writes.c.system == system)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def report(self, system: str | None = None) -> ShadowReport:
        """Counts by system, object and action, and every field the updates would change."""
        c = shadow_writes.c
        counts = select(c.system, c.object_type, c.action, func.count()).group_by(
            c.system, c.object_type, c.action
        )
        updates = select(c.system, c.object_type, c.global_id, c.platform_id, c.diff).where(
            c.action == "update"
        )
        if system:
            counts = counts.where(c.system == system)
            updates = updates.where(c.system == system)
        tally = sorted((s, o, a, int(n)) for s, o, a, n in self.conn.execute(counts))
        fields: dict[tuple[str, str, str], tuple[int, list[dict[str, Any]]]] = {}
        for row in self.conn.execute(updates.order_by(c.seq)):
            for name, change in (row.diff or {}).items():
                key = (row.system, row.object_type, name)
                count, examples = fields.get(key, (0, []))
                if len(examples) < EXAMPLES:
                    examples.append({"global_id": row.global_id, "platform_id": row.platform_id, **change})
                fields[key] = (count + 1, examples)
        return ShadowReport(
            tally,
            [FieldDifferences(s, o, f, n, ex) for (s, o, f), (n, ex) in sorted(fields.items())],
        )


def _row(write: ShadowWrite, instance_id: str | None) -> dict[str, Any]:
    return {
        "idempotency_key": write.idempotency_key,
        "command_id": write.command_id,
        "system": write.system,
        "object_type": write.object_type,
        "global_id": write.global_id,
        "platform_id": write.platform_id,
        "action": write.action,
        "diff": write.diff,
        "unread": write.unread or None,
        "correlation_id": write.correlation_id,
        "instance_id": instance_id,
        "recorded_at": write.recorded_at,
    }


def _insert_or_skip(conn: Connection) -> Insert:
    """An insert that leaves a row already recorded under the same idempotency key as it is."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(shadow_writes).on_conflict_do_nothing(index_elements=["idempotency_key"])
    if conn.dialect.name == "sqlite":
        return sqlite.insert(shadow_writes).on_conflict_do_nothing(index_elements=["idempotency_key"])
    raise NotImplementedError(f"shadow writes do not support {conn.dialect.name}")
