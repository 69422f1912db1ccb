"""Inbox, event log, partitions and cursors: the record side of the store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update

from concord.domain.messages import Event
from concord.engine.model import NewEvent
from concord.storage.sql.bulk import insert_many
from concord.storage.sql.rows import columns, fetch, fetch_in
from concord.storage.sql.tables import cursors, events, inbox, partitions


class Inbox:
    """Dedupe keys of every change ever recorded or rejected."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def existing(self, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` were seen before."""
        sql = "SELECT dedupe_key FROM inbox WHERE {keys}"
        return {r[0] for r in fetch_in(self.conn, inbox, ("dedupe_key",), sql, "dedupe_key", keys)}

    def add_many(self, rows: Sequence[tuple[str, str | None, str, datetime]]) -> None:
        """Remember (dedupe_key, event_id, outcome, received_at) rows."""
        insert_many(
            self.conn,
            inbox,
            [{"dedupe_key": k, "event_id": e, "outcome": o, "received_at": t} for k, e, o, t in rows],
        )

    def mark_recorded(self, dedupe_key: str, event_id: str) -> None:
        """A once-rejected change was recorded after all."""
        self.conn.execute(
            update(inbox)
            .where(inbox.c.dedupe_key == dedupe_key)
            .values(event_id=event_id, outcome="recorded")
        )


class EventLog:
    """The append-only log, ordered per partition."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append_many(self, new_events: Sequence[NewEvent]) -> None:
        """Append events; each partition's sequence is allocated under its row lock."""
        by_partition: dict[int, list[NewEvent]] = {}
        for new in new_events:
            by_partition.setdefault(new.partition, []).append(new)
        rows: list[dict[str, object]] = []
        # Lock partitions in ascending order so concurrent recorders cannot deadlock.
        for partition in sorted(by_partition):
            batch = by_partition[partition]
            head = self.conn.execute(
                update(partitions)
                .where(partitions.c.partition == partition)
                .values(head=partitions.c.head + len(batch))
                .returning(partitions.c.head)
            ).scalar_one_or_none()
            if head is None:
                raise LookupError(f"partition {partition} does not exist; run `concord migrate`")
            for offset, new in enumerate(batch):
                partition_seq = head - len(batch) + offset + 1
                rows.append({**_columns(new), "partition_seq": partition_seq})
        insert_many(self.conn, events, rows)

    def after(self, partition: int, position: int, limit: int) -> list[Event]:
        """The next events of ``partition`` after ``position``, in order."""
        sql = (
            f"SELECT {columns(_EVENT_COLUMNS)} FROM events WHERE partition = ? AND partition_seq > ? "
            "ORDER BY partition_seq LIMIT ?"
        )
        return [
            Event(*row) for row in fetch(self.conn, events, _EVENT_COLUMNS, sql, (partition, position, limit))
        ]

    def get(self, event_id: str) -> Event | None:
        """One event by id."""
        row = self.conn.execute(select(events).where(events.c.event_id == event_id)).first()
        return _row_event(row) if row else None

    def recorded_between(self, start: datetime, end: datetime, after_seq: int, limit: int) -> list[Event]:
        """Events recorded in [start, end), in log order, paged by ``seq``."""
        query = (
            select(events)
            .where(events.c.recorded_at >= start, events.c.recorded_at < end, events.c.seq > after_seq)
            .order_by(events.c.seq)
            .limit(limit)
        )
        return [_row_event(row) for row in self.conn.execute(query)]

    def count(self) -> int:
        """How many events were ever recorded."""
        return int(self.conn.scalar(select(func.count()).select_from(events)) or 0)


class Partitions:
    """Partition leases and dispatch positions."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def ensure(self, count: int) -> None:
        """Create partitions 0..count-1 if missing (the count can grow, never shrink)."""
        present = set(self.conn.scalars(select(partitions.c.partition)))
        missing = [p for p in range(count) if p not in present]
        if missing:
            self.conn.execute(
                insert(partitions), [{"partition": p, "head": 0, "position": 0} for p in missing]
            )

    def lease(self, worker: str, now: datetime, lease_s: float, limit: int | None = None) -> dict[int, int]:
        """Take (or renew) leases on free, expired or own partitions; returns partition → position, for
        the leased partitions with events past their position (the others have nothing to dispatch)."""
        free = or_(
            partitions.c.owner.is_(None),
            partitions.c.owner == worker,
            partitions.c.lease_expires_at < now,
        )
        # Own partitions first, so a worker at its limit keeps renewing what it already holds.
        mine_first = case((partitions.c.owner == worker, 0), else_=1)
        query = select(partitions.c.partition).where(free).order_by(mine_first, partitions.c.partition)
        candidates = list(self.conn.scalars(query.limit(limit) if limit is not None else query))
        if not candidates:
            return {}
        self.conn.execute(
            update(partitions)
            .where(partitions.c.partition.in_(candidates), free)
            .values(owner=worker, lease_expires_at=now + timedelta(seconds=lease_s))
        )
        query = select(partitions.c.partition, partitions.c.position).where(
            partitions.c.partition.in_(candidates),
            partitions.c.owner == worker,
            partitions.c.head > partitions.c.position,
        )
        return {int(p): int(pos) for p, pos in self.conn.execute(query)}

    def release(self, worker: str) -> None:
        """Give up every lease ``worker`` holds."""
        self.conn.execute(
            update(partitions).where(partitions.c.owner == worker).values(owner=None, lease_expires_at=None)
        )

    def advance(self, worker: str, partition: int, position: int) -> None:
        """Move the dispatch position; only the lease holder may."""
        result = self.conn.execute(
            update(partitions)
            .where(and_(partitions.c.partition == partition, partitions.c.owner == worker))
            .values(position=position)
        )
        if result.rowcount != 1:
            raise LookupError(f"worker {worker} no longer holds partition {partition}")

    def backlog(self) -> int:
        """Events recorded but not yet dispatched, over all partitions."""
        return int(self.conn.scalar(select(func.sum(partitions.c.head - partitions.c.position))) or 0)


class Cursors:
    """Change-detection positions per (system, object)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, system: str, object_type: str) -> str | None:
        """The stored cursor, or None before the first poll."""
        query = select(cursors.c.position).where(
            cursors.c.system == system, cursors.c.object_type == object_type
        )
        return self.conn.scalar(query)

    def set(self, system: str, object_type: str, position: str | None, now: datetime) -> None:
        """Store the cursor (insert or update)."""
        where = and_(cursors.c.system == system, cursors.c.object_type == object_type)
        updated = self.conn.execute(update(cursors).where(where).values(position=position, updated_at=now))
        if updated.rowcount == 0:
            self.conn.execute(
                insert(cursors).values(
                    system=system, object_type=object_type, position=position, updated_at=now
                )
            )

    def all(self) -> list[tuple[str, str, str | None, datetime]]:
        """Every cursor (for status displays)."""
        rows = self.conn.execute(select(cursors).order_by(cursors.c.system, cursors.c.object_type))
        return [(r.system, r.object_type, r.position, r.updated_at) for r in rows]


def _columns(new: NewEvent) -> dict[str, object]:
    return {
        "event_id": new.event_id,
        "partition": new.partition,
        "event_type": new.event_type,
        "object_type": new.object_type,
        "aggregate_key": new.aggregate_key,
        "source_system": new.source_system,
        "source_id": new.source_id,
        "payload": new.payload,
        "occurred_at": new.occurred_at,
        "recorded_at": new.recorded_at,
        "traceparent": new.traceparent,
    }


#: The columns of an event row, in ``Event``'s field order (``seq`` is the partition's sequence number).
_EVENT_COLUMNS = tuple(
    {"seq": "partition_seq", "log_seq": "seq"}.get(name, name) for name in Event.__dataclass_fields__
)


def _row_event(row: object) -> Event:
    r = row._mapping  # type: ignore[attr-defined]
    return Event(
        event_id=r["event_id"],
        seq=r["partition_seq"],
        event_type=r["event_type"],
        object_type=r["object_type"],
        aggregate_key=r["aggregate_key"],
        source_system=r["source_system"],
        source_id=r["source_id"],
        payload=r["payload"],
        occurred_at=r["occurred_at"],
        recorded_at=r["recorded_at"],
        traceparent=r["traceparent"],
        partition=r["partition"],
        log_seq=r["seq"],
    )


def chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    """Split long IN lists (SQLite caps bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
