"""The transactional outbox: commands written with their flow's state, claimed and settled by workers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, insert, or_, select, update

from concord.engine.model import ClaimedCommand, CommandStatus, NewCommand
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import commands

PENDING, IN_FLIGHT, DONE, FAILED = (s.value for s in CommandStatus)


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure: try again at ``at``."""

    command_id: str
    at: datetime
    error: str


class Outbox:
    """Write, claim and settle commands."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, new: Sequence[NewCommand]) -> None:
        """Write commands, due now."""
        if new:
            self.conn.execute(insert(commands), [_row(c) for c in new])

    def claim(
        self,
        worker: str,
        now: datetime,
        limit: int,
        lease_s: float,
        skip_targets: Collection[str] = (),
    ) -> list[ClaimedCommand]:
        """Lease up to ``limit`` due commands, never two of one ordering key, oldest first.

        A command is due when pending and its next attempt time has come, or when in flight under an
        expired lease (its worker died). A command waits while an earlier command with the same
        ordering key is unsettled: that is what keeps order per aggregate.
        """
        earlier = commands.alias("earlier")
        blocked = exists().where(
            earlier.c.ordering_key == commands.c.ordering_key,
            earlier.c.seq < commands.c.seq,
            earlier.c.status.in_((PENDING, IN_FLIGHT)),
        )
        due = or_(
            and_(commands.c.status == PENDING, commands.c.next_attempt_at <= now),
            and_(commands.c.status == IN_FLIGHT, commands.c.claimed_until < now),
        )
        query = select(commands).where(due, ~blocked).order_by(commands.c.seq).limit(limit)
        if skip_targets:
            query = query.where(commands.c.target.not_in(list(skip_targets)))
        rows = list(self.conn.execute(query.with_for_update(skip_locked=True, of=commands)))
        if not rows:
            return []
        ids = [r.command_id for r in rows]
        for chunk in chunks(ids):
            self.conn.execute(
                update(commands)
                .where(commands.c.command_id.in_(chunk))
                .values(
                    status=IN_FLIGHT,
                    claimed_by=worker,
                    claimed_until=now + timedelta(seconds=lease_s),
                    attempts=commands.c.attempts + 1,
                )
            )
        return [_claimed(r._mapping) for r in rows]

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
        if done:
            self.conn.execute(
                update(commands)
                .where(commands.c.command_id == bindparam("cid"))
                .values(
                    status=DONE,
                    result=bindparam("res"),
                    completed_at=now,
                    claimed_by=None,
                    claimed_until=None,
                ),
                [{"cid": cid, "res": result} for cid, result in done],
            )

    def settle_retry(self, retries: Sequence[Retry]) -> None:
        """Put commands back for a later attempt."""
        if retries:
            self.conn.execute(
                update(commands)
                .where(commands.c.command_id == bindparam("cid"))
                .values(
                    status=PENDING,
                    next_attempt_at=bindparam("at"),
                    last_error=bindparam("err"),
                    claimed_by=None,
                    claimed_until=None,
                ),
                [{"cid": r.command_id, "at": r.at, "err": r.error} for r in retries],
            )

    def settle_failed(self, failed: Sequence[tuple[str, str]], now: datetime) -> None:
        """Mark commands failed for good (until a person retries them)."""
        if failed:
            self.conn.execute(
                update(commands)
                .where(commands.c.command_id == bindparam("cid"))
                .values(
                    status=FAILED,
                    last_error=bindparam("err"),
                    completed_at=now,
                    claimed_by=None,
                    claimed_until=None,
                ),
                [{"cid": cid, "err": error} for cid, error in failed],
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
