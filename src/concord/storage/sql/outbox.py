"""The transactional outbox: commands written with their flow's state, claimed and settled by workers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, literal_column, select, update

from concord.engine.model import ClaimedCommand, CommandStatus, NewCommand, Retry
from concord.storage.sql.bulk import insert_many, update_many
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import commands

PENDING, IN_FLIGHT, DONE, FAILED = (s.value for s in CommandStatus)
# Written inline, not bound: a partial index is only used when the query states its condition literally.
_PENDING_SQL: ColumnElement[str] = literal_column(f"'{PENDING}'")
_UNSETTLED_SQL: list[ColumnElement[str]] = [literal_column(f"'{PENDING}'"), literal_column(f"'{IN_FLIGHT}'")]


class Outbox:
    """Write, claim and settle commands."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, new: Sequence[NewCommand]) -> None:
        """Write commands, due now."""
        insert_many(self.conn, commands, [_row(c) for c in new])

    def claim(
        self,
        worker: str,
        now: datetime,
        limit: int,
        lease_s: float,
        skip_targets: Collection[str] = (),
    ) -> list[ClaimedCommand]:
        """Lease up to ``limit`` due commands, never two of one ordering key, oldest first.

        A command waits while an earlier command with the same ordering key is unsettled: that is what
        keeps order per aggregate. Commands whose lease expired (their worker died) are due again.
        """
        self._expire_leases(now)
        self._plan_as_probes()
        query = (
            select(commands)
            .where(
                commands.c.status == _PENDING_SQL, commands.c.next_attempt_at <= now, self._head_of_its_key()
            )
            .order_by(commands.c.seq)
            .limit(limit)
        )
        if skip_targets:
            query = query.where(commands.c.target.not_in(list(skip_targets)))
        rows = list(self.conn.execute(query.with_for_update(skip_locked=True, of=commands)))
        if not rows:
            return []
        update_many(
            self.conn,
            commands,
            "command_id",
            [{"command_id": r.command_id, "attempts": r.attempts + 1} for r in rows],
            {"status": IN_FLIGHT, "claimed_by": worker, "claimed_until": now + timedelta(seconds=lease_s)},
        )
        return [_claimed(r._mapping) for r in rows]

    def _head_of_its_key(self) -> ColumnElement[bool]:
        """True for the earliest unsettled command of each ordering key (a probe of a partial index).

        The plan is only good with current statistics: see ``SqlStore.refresh_statistics``.
        """
        earlier = commands.alias("earlier")
        return ~exists().where(
            earlier.c.ordering_key == commands.c.ordering_key,
            earlier.c.seq < commands.c.seq,
            earlier.c.status.in_(_UNSETTLED_SQL),
        )

    def _plan_as_probes(self) -> None:
        """On PostgreSQL, keep the claim on its index probes for this transaction.

        Its planner picks scans and hash joins when statistics lag behind a fast-growing outbox, which
        turns one claim into a pass over every unsettled command per candidate. ``SET LOCAL`` ends with
        the transaction, so nothing else is affected.
        """
        if self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
                "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
            )

    def _expire_leases(self, now: datetime) -> None:
        self.conn.execute(
            update(commands)
            .where(commands.c.status == literal_column(f"'{IN_FLIGHT}'"), commands.c.claimed_until < now)
            .values(status=PENDING, claimed_by=None, claimed_until=None)
        )

    def still_mine(self, worker: str, command_ids: Sequence[str]) -> set[str]:
        """Which of the commands ``worker`` still holds (a lease can expire and pass to another)."""
        held: set[str] = set()
        for chunk in chunks(list(command_ids)):
            query = (
                select(commands.c.command_id)
                .where(
                    commands.c.command_id.in_(chunk),
                    commands.c.claimed_by == worker,
                    commands.c.status == IN_FLIGHT,
                )
                .with_for_update()
            )
            held.update(self.conn.scalars(query))
        return held

    def settle_done(self, done: Sequence[tuple[str, Any]], now: datetime) -> None:
        """Mark commands done with their results."""
        update_many(
            self.conn,
            commands,
            "command_id",
            [{"command_id": cid, "result": result} for cid, result in done],
            {"status": DONE, "completed_at": now, "claimed_by": None, "claimed_until": None},
        )

    def settle_retry(self, retries: Sequence[Retry]) -> None:
        """Put commands back for a later attempt."""
        update_many(
            self.conn,
            commands,
            "command_id",
            [
                {
                    "command_id": r.command_id,
                    "next_attempt_at": r.at,
                    "last_error": r.error,
                    "attempts": r.attempts,
                }
                for r in retries
            ],
            {"status": PENDING, "claimed_by": None, "claimed_until": None},
        )

    def settle_failed(self, failed: Sequence[tuple[str, str]], now: datetime) -> None:
        """Mark commands failed for good (until a person retries them)."""
        update_many(
            self.conn,
            commands,
            "command_id",
            [{"command_id": cid, "last_error": error} for cid, error in failed],
            {"status": FAILED, "completed_at": now, "claimed_by": None, "claimed_until": None},
        )

    def requeue(self, command_id: str, now: datetime) -> None:
        """Make a failed command due again with fresh attempts (a person fixed the cause)."""
        self.conn.execute(
            update(commands)
            .where(commands.c.command_id == command_id)
            .values(status=PENDING, attempts=0, next_attempt_at=now, completed_at=None, claimed_by=None)
        )

    def release(self, worker: str, now: datetime) -> int:
        """Return the in-flight commands of a restarted worker (same stable id) to the queue at once."""
        result = self.conn.execute(
            update(commands)
            .where(commands.c.claimed_by == worker, commands.c.status == IN_FLIGHT)
            .values(status=PENDING, next_attempt_at=now, claimed_by=None, claimed_until=None)
        )
        return int(result.rowcount)

    def get(self, command_id: str) -> dict[str, Any] | None:
        """One command as a dict (for operators)."""
        row = self.conn.execute(select(commands).where(commands.c.command_id == command_id)).first()
        return dict(row._mapping) if row else None

    def for_instance(self, instance_id: str) -> list[dict[str, Any]]:
        """Every command of a flow instance, in order."""
        query = select(commands).where(commands.c.instance_id == instance_id).order_by(commands.c.seq)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def has_unsettled(self) -> bool:
        """Whether any command is still pending or in flight (a probe of a partial index)."""
        query = select(commands.c.seq).where(commands.c.status.in_(_UNSETTLED_SQL)).limit(1)
        return self.conn.scalar(query) is not None

    def count_by_status(self) -> dict[str, int]:
        """How many commands are in each status."""
        query = select(commands.c.status, func.count()).group_by(commands.c.status)
        return {status: int(n) for status, n in self.conn.execute(query)}

    def next_due_at(self) -> datetime | None:
        """When the earliest pending command becomes due."""
        query = select(func.min(commands.c.next_attempt_at)).where(commands.c.status == PENDING)
        due: datetime | None = self.conn.scalar(query)
        return due


def _row(c: NewCommand) -> dict[str, Any]:
    return {
        "command_id": c.command_id,
        "idempotency_key": c.idempotency_key,
        "instance_id": c.instance_id,
        "step": c.step,
        "kind": c.kind,
        "target": c.target,
        "action": c.action,
        "object_type": c.object_type,
        "ordering_key": c.ordering_key,
        "payload": c.payload,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": c.created_at,
        "traceparent": c.traceparent,
        "created_at": c.created_at,
    }


def _claimed(r: Any) -> ClaimedCommand:
    return ClaimedCommand(
        seq=r["seq"],
        command_id=r["command_id"],
        idempotency_key=r["idempotency_key"],
        instance_id=r["instance_id"],
        step=r["step"],
        kind=r["kind"],
        target=r["target"],
        action=r["action"],
        object_type=r["object_type"],
        ordering_key=r["ordering_key"],
        payload=r["payload"],
        attempts=r["attempts"] + 1,
        traceparent=r["traceparent"],
        created_at=r["created_at"],
    )
