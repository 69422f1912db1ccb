"""Outbox heads: per ordering key, the earliest unsettled command, the only one of its key a claim may take.

When a backlog builds up, most pending commands wait behind an earlier command of their ordering key. A
claim that tested every pending command would read the whole backlog each time; it reads the heads
instead (``outbox_heads``), one row per key that has unsettled commands.

The outbox notes the ordering keys a transaction writes or settles commands of, and just before commit
the heads of those keys are recomputed from the commands themselves, in one sweep with the keys sorted.
Recomputing rather than adjusting is what keeps the table right when two transactions touch one key at
once (on PostgreSQL, a dispatcher adding a command while a delivery worker settles the key's head): each
first takes a lock per key (an advisory lock held until commit), all in one order so that no two
transactions wait on each other in a circle; then, in a new statement that sees everything committed
before the locks were granted, it sets each head to the key's earliest unsettled command and drops heads
whose key has none. Whichever of the two commits last leaves the head right. On SQLite transactions run
one at a time, so the lock is moot and the sweep is two statements.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from concord.engine.model import CommandStatus
from concord.storage.sql.rows import plan_as_probes

_UNSETTLED = f"('{CommandStatus.PENDING.value}', '{CommandStatus.IN_FLIGHT.value}')"
# The status tests are literal, not bound: a partial index is only used when the query states its
# condition as written (here ``ix_commands_unsettled``).
_EARLIEST = (
    f"SELECT min(c.seq) FROM commands AS c WHERE c.ordering_key = {{key}} AND c.status IN {_UNSETTLED}"
)
_NONE_LEFT = (
    f"NOT EXISTS (SELECT 1 FROM commands AS c WHERE c.ordering_key = {{key}} AND c.status IN {_UNSETTLED})"
)

_SQLITE_SET = (
    "INSERT INTO outbox_heads (ordering_key, seq) SELECT ?1, min(c.seq) FROM commands AS c "
    f"WHERE c.ordering_key = ?1 AND c.status IN {_UNSETTLED} HAVING min(c.seq) IS NOT NULL "
    "ON CONFLICT (ordering_key) DO UPDATE SET seq = excluded.seq WHERE outbox_heads.seq <> excluded.seq"
)
_SQLITE_DROP = "DELETE FROM outbox_heads WHERE ordering_key = ?1 AND " + _NONE_LEFT.format(key="?1")

_KEYS = "%b::varchar(250)[]"
#: Namespaces the outbox heads' advisory locks among any others taken in the same database.
_LOCK_CLASS = 0x0C0C_0001
# Advisory locks, not row locks: they exist for keys without a head row yet, and they cost no write. The
# ordered subquery makes each transaction take them in one order (``OFFSET 0`` keeps it from being
# flattened into a scan that would call the function in any order).
_PG_LOCK = (
    f"SELECT pg_advisory_xact_lock({_LOCK_CLASS}, h) FROM (SELECT DISTINCT hashtext(k) AS h "
    f"FROM unnest({_KEYS}) AS k ORDER BY h OFFSET 0) AS ordered"
)
# One statement, so each key's earliest unsettled command is looked up once (a probe of the partial index;
# a NOT EXISTS would be planned as an anti-join over every unsettled command): heads whose key has none
# left go, heads that moved are updated, new ones are inserted, and unchanged ones are not written.
_PG_SET = (
    "WITH m AS (SELECT k.ordering_key, "
    f"({_EARLIEST.format(key='k.ordering_key')}) AS seq FROM unnest({_KEYS}) AS k(ordering_key)), "
    "gone AS (DELETE FROM outbox_heads AS h USING m "
    "WHERE h.ordering_key = m.ordering_key AND m.seq IS NULL), "
    "moved AS (UPDATE outbox_heads AS h SET seq = m.seq FROM m "
    "WHERE h.ordering_key = m.ordering_key AND m.seq IS NOT NULL AND h.seq <> m.seq) "
    "INSERT INTO outbox_heads (ordering_key, seq) SELECT m.ordering_key, m.seq FROM m "
    "WHERE m.seq IS NOT NULL ON CONFLICT (ordering_key) DO NOTHING"
)


class OutboxHeads:
    """The ordering keys one transaction touched, and the sweep that brings their heads up to date."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._touched: set[str] = set()

    def touch(self, ordering_keys: Iterable[str]) -> None:
        """Commands of these keys were written, settled or made due again in this transaction."""
        self._touched.update(ordering_keys)

    def refresh(self) -> None:
        """Recompute the heads of the touched keys (called once, just before the transaction commits)."""
        if not self._touched:
            return
        keys = sorted(self._touched)
        self._touched.clear()
        if self.conn.dialect.name == "postgresql":
            plan_as_probes(self.conn)
            for statement in (_PG_LOCK, _PG_SET):
                self.conn.exec_driver_sql(statement, (keys,))
            return
        params = [(key,) for key in keys]
        self.conn.exec_driver_sql(_SQLITE_SET, params)
        self.conn.exec_driver_sql(_SQLITE_DROP, params)
