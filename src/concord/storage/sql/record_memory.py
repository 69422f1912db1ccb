"""Record memory: what Concord last saw of, and wrote to, each record per system (``record_memory``).

Governance reads a page's rows in one query and writes them back in one statement per kind. Rows that
exist are read under a row lock on PostgreSQL, so two workers touching the same record take turns instead
of overwriting each other's fields; rows that are new are inserted, and if another worker inserted the
same row first, the store raises ``ConcurrentWrite`` and the caller runs its transaction again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from concord.engine.gates import MemoryKey, RememberedRecord
from concord.storage.sql.bulk import insert_many
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import record_memory

_COLUMNS = ("system_id", "seen", "seen_at", "written", "written_at")
#: The key spans three columns, which the single-key batch update of ``bulk`` does not take.
_UPDATE = (
    record_memory.update()
    .where(
        record_memory.c.system == bindparam("b_system"),
        record_memory.c.object_type == bindparam("b_object_type"),
        record_memory.c.global_id == bindparam("b_global_id"),
    )
    .values({name: bindparam(f"b_{name}") for name in _COLUMNS})
)


class RecordMemory:
    """Read and save record memories."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_many(self, keys: Iterable[MemoryKey], *, lock: bool = False) -> dict[MemoryKey, RememberedRecord]:
        """The stored memories among ``keys`` (missing ones are absent); ``lock`` holds them until commit."""
        wanted = set(keys)
        by_type: dict[str, tuple[set[str], set[str]]] = {}
        for key in wanted:
            systems, ids = by_type.setdefault(key.object_type, (set(), set()))
            systems.add(key.system)
            ids.add(key.global_id)
        found: dict[MemoryKey, RememberedRecord] = {}
        for object_type, (systems, ids) in sorted(by_type.items()):
            for chunk in chunks(sorted(ids)):
                query = (
                    select(record_memory)
                    .where(
                        record_memory.c.object_type == object_type,
                        record_memory.c.system.in_(sorted(systems)),
                        record_memory.c.global_id.in_(chunk),
                    )
                    # One order for every locker (type, id, system; chunks follow the id order), so two
                    # transactions never wait on each other in a circle.
                    .order_by(record_memory.c.global_id, record_memory.c.system)
                )
                if lock:
                    query = query.with_for_update()
                for row in self.conn.execute(query):
                    record = _record(row._mapping)
                    if record.key in wanted:
                        found[record.key] = record
        return found

    def save_many(self, records: Sequence[RememberedRecord]) -> None:
        """Insert the new memories and update the stored ones; every record is marked stored after."""
        insert_many(self.conn, record_memory, [_row(r) for r in records if not r.stored])
        stored = [{f"b_{k}": v for k, v in _row(r).items()} for r in records if r.stored]
        if stored:
            self.conn.execute(_UPDATE, stored)
        for record in records:
            record.stored = True


def _row(record: RememberedRecord) -> dict[str, Any]:
    return {
        "system": record.system,
        "object_type": record.object_type,
        "global_id": record.global_id,
        **{name: getattr(record, name) for name in _COLUMNS},
    }


def _record(row: Any) -> RememberedRecord:
    return RememberedRecord(
        system=row["system"],
        object_type=row["object_type"],
        global_id=row["global_id"],
        system_id=row["system_id"],
        seen=row["seen"] or {},
        seen_at=row["seen_at"],
        written=row["written"] or {},
        written_at=row["written_at"],
        stored=True,
    )
