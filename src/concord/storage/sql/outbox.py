"""The transactional outbox: commands written with their flow's state, claimed and settled by workers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal_column, select, update

from concord.engine.model import ClaimedCommand, CommandStatus, NewCommand, Retry
from concord.storage.sql.bulk import converter, insert_many, update_many
from concord.storage.sql.outbox_heads import OutboxHeads
from concord.storage.sql.rows import columns, fetch, fetch_in, placeholders, plan_as_probes
from concord.storage.sql.tables import commands

PENDING, IN_FLIGHT, DONE, FAILED = (s.value for s in CommandStatus)
# Written inline, not bound: a partial index is only used when the query states its condition literally.
_UNSETTLED_SQL: list[ColumnElement[str]] = [literal_column(f"'{PENDING}'"), literal_column(f"'{IN_FLIGHT}'")]


class Outbox:
    """Write, claim and settle commands."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.heads = OutboxHeads(conn)

    def add_many(self, new: Sequence[NewCommand]) -> None:
        """Write commands, due now."""
        insert_many(self.conn, commands, [_row(c) for c in new])
        self.heads.touch(c.ordering_key for c in new)

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
        keeps order per aggregate. Only the heads of their keys are candidates (``outbox_heads``), and
        each is still checked against earlier unsettled commands. Commands whose lease expired (their
        worker died) are due again. The choice and the lease are one ``UPDATE ... RETURNING`` (one round
        trip, no rows read twice).
        """
        self._expire_leases(now)
        plan_as_probes(self.conn)
        dialect = self.conn.dialect.name
        skip = list(skip_targets)
        at = converter(commands, "next_attempt_at", dialect)
        params = [at(now), *skip, limit, worker, at(now + timedelta(seconds=lease_s))]
        rows = fetch(self.conn, commands, CLAIMED, _claim_sql(dialect, len(skip)), params)
        rows.sort(key=lambda r: r[0])  # RETURNING promises no order
        return [ClaimedCommand(*r) for r in rows]

    def _expire_leases(self, now: datetime) -> None:
        """Make commands whose lease ran out due again (their worker died or stalled).

        On PostgreSQL a command whose row another transaction holds is left alone: that is its worker
        settling it after all (``still_mine`` locks it), and waiting for it while holding the rows just
        expired is how two transactions deadlock.
        """
        dialect = self.conn.dialect.name
        at = converter(commands, "claimed_until", dialect)
        sql = _EXPIRE_PG_SQL if dialect == "postgresql" else _EXPIRE_SQL
        self.conn.exec_driver_sql(placeholders(self.conn, sql), (at(now),))

    def still_mine(self, worker: str, seqs: Sequence[int]) -> set[int]:
        """Which of the commands (by ``seq``) ``worker`` still holds (a lease can expire and pass on)."""
        lock = " FOR UPDATE" if self.conn.dialect.name == "postgresql" else ""
        sql = f"SELECT seq FROM commands WHERE {{keys}} AND claimed_by = ? AND status = '{IN_FLIGHT}'{lock}"
        return {r[0] for r in fetch_in(self.conn, commands, ("seq",), sql, "seq", sorted(seqs), [worker])}

    def settle_done(self, done: Sequence[tuple[ClaimedCommand, Any]], now: datetime) -> None:
        """Mark claimed commands done with their results."""
        update_many(
            self.conn,
            commands,
            "seq",
            [{"seq": command.seq, "result": result} for command, result in done],
            {"status": DONE, "completed_at": now, "claimed_by": None, "claimed_until": None},
        )
        self.heads.touch(command.ordering_key for command, _ in done)

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

    def settle_failed(self, failed: Sequence[tuple[ClaimedCommand, str]], now: datetime) -> None:
        """Mark claimed commands failed for good (until a person retries them)."""
        update_many(
            self.conn,
            commands,
            "seq",
            [{"seq": command.seq, "last_error": error} for command, error in failed],
            {"status": FAILED, "completed_at": now, "claimed_by": None, "claimed_until": None},
        )
        self.heads.touch(command.ordering_key for command, _ in failed)

    def requeue(self, command_id: str, now: datetime) -> None:
        """Make a failed command due again with fresh attempts (a person fixed the cause)."""
        keys = self.conn.scalars(
            update(commands)
            .where(commands.c.command_id == command_id)
            .values(status=PENDING, attempts=0, next_attempt_at=now, completed_at=None, claimed_by=None)
            .returning(commands.c.ordering_key)
        )
        self.heads.touch(keys)

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


#: The columns of a claimed command, in ``ClaimedCommand``'s field order.
CLAIMED = tuple(ClaimedCommand.__dataclass_fields__)

_EXPIRE_SET = f"status = '{PENDING}', claimed_by = NULL, claimed_until = NULL"
_EXPIRED = f"status = '{IN_FLIGHT}' AND claimed_until < ?"
_EXPIRE_SQL = f"UPDATE commands SET {_EXPIRE_SET} WHERE {_EXPIRED}"
_EXPIRE_PG_SQL = (
    f"WITH expired AS MATERIALIZED (SELECT seq FROM commands WHERE {_EXPIRED} FOR UPDATE SKIP LOCKED) "
    f"UPDATE commands AS u SET {_EXPIRE_SET} FROM expired WHERE u.seq = expired.seq"
)


@lru_cache(maxsize=32)
def _claim_sql(dialect: str, skipped_targets: int) -> str:
    """Lease the earliest due heads of their ordering keys; placeholders: now, skip..., limit, worker, until.

    Candidates come from ``outbox_heads``, walked in ``seq`` order, each command looked up by its key:
    never the other way round, which would read every pending command. SQLite takes ``CROSS JOIN`` as that
    order; PostgreSQL's planner, whose statistics lag behind these tables, is held to it by a ``LATERAL``
    lookup that locks (so it cannot be flattened into a join it would reorder), by ordering key and
    ``seq``: both columns of ``ix_commands_unsettled``, which the planner prefers for its partial
    condition; by ``seq`` alone it would scan that whole index for every head. Each candidate is checked
    again for an earlier unsettled command of its ordering key (a probe of ``ix_commands_unsettled``), so
    order per key never rests on the head table alone. The status tests are literal, not bound: a partial
    index is only used when the query states its condition as written.
    """
    skip = f" AND c.target NOT IN ({', '.join('?' * skipped_targets)})" if skipped_targets else ""
    candidate = (
        f"c.status = '{PENDING}' AND c.next_attempt_at <= ? "
        "AND NOT EXISTS (SELECT 1 FROM commands AS e WHERE e.ordering_key = c.ordering_key "
        f"AND e.seq < c.seq AND e.status IN ('{PENDING}', '{IN_FLIGHT}')){skip}"
    )
    lease = f"status = '{IN_FLIGHT}', claimed_by = ?, claimed_until = ?, attempts = attempts + 1"
    if dialect == "postgresql":
        # The choice is a materialized CTE: evaluated once, its rows locked, before any is updated. As an
        # ``IN (subquery)`` the planner may run it again per row, and a concurrent update makes it
        # re-check the subquery for that row: both loop over the heads many times.
        return (
            "WITH picked AS MATERIALIZED (SELECT c.seq FROM outbox_heads AS h CROSS JOIN LATERAL "
            "(SELECT c.seq FROM commands AS c WHERE c.ordering_key = h.ordering_key AND c.seq = h.seq "
            f"AND {candidate} FOR UPDATE SKIP LOCKED) "
            f"AS c ORDER BY h.seq LIMIT ?) UPDATE commands AS u SET {lease} FROM picked "
            f"WHERE u.seq = picked.seq RETURNING {columns(CLAIMED, 'u')}"
        )
    return (
        "WITH picked AS (SELECT c.seq FROM outbox_heads AS h CROSS JOIN commands AS c ON c.seq = h.seq "
        f"WHERE {candidate} ORDER BY h.seq LIMIT ?) "
        f"UPDATE commands SET {lease} WHERE seq IN (SELECT seq FROM picked) RETURNING {columns(CLAIMED)}"
    )
