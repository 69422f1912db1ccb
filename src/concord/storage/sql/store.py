"""The store's unit of work: one transaction, with a repository per concern."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from concord.engine.errors import ConcurrentWrite
from concord.storage.sql.audit import AuditLog
from concord.storage.sql.database import migrate, open_engine
from concord.storage.sql.event_log import Cursors, EventLog, Inbox, Partitions
from concord.storage.sql.exception_store import Exceptions
from concord.storage.sql.flow_store import FlowInstances
from concord.storage.sql.gathered_store import GatheredRecords
from concord.storage.sql.outbox import Outbox
from concord.storage.sql.record_memory import RecordMemory
from concord.storage.sql.shadow_store import ShadowWrites
from concord.storage.sql.sla_store import SlaIntervals
from concord.storage.sql.utilization_store import ResourceWeeks
from concord.storage.sql.xref_store import CrossReference


class Transaction:
    """Everything the engine reads and writes, inside one database transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.inbox = Inbox(conn)
        self.events = EventLog(conn)
        self.partitions = Partitions(conn)
        self.cursors = Cursors(conn)
        self.instances = FlowInstances(conn)
        self.gathered = GatheredRecords(conn)
        self.outbox = Outbox(conn)
        self.exceptions = Exceptions(conn)
        self.audit = AuditLog(conn)
        self.xref = CrossReference(conn)
        self.memory = RecordMemory(conn)
        self.sla = SlaIntervals(conn)
        self.shadow = ShadowWrites(conn)
        self.utilization = ResourceWeeks(conn)

    def before_commit(self) -> None:
        """Bring derived tables up to date with what the transaction wrote (the outbox heads)."""
        self.outbox.heads.refresh()


class SqlStore:
    """Concord's store on SQLite or PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, partitions: int = 8, migrate_schema: bool = True) -> SqlStore:
        """Open the store at ``url``, migrate it to head and make sure its partitions exist."""
        store = cls(open_engine(url))
        if migrate_schema:
            migrate(store.engine)
            with store.transaction() as tx:
                tx.partitions.ensure(partitions)
        return store

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A unit of work: commits when the block ends, rolls back if it raises."""
        try:
            with self.engine.begin() as conn:
                tx = Transaction(conn)
                yield tx
                tx.before_commit()
        except IntegrityError as error:
            raise ConcurrentWrite(f"a concurrent transaction wrote the same row: {error.orig}") from error

    def refresh_statistics(self) -> None:
        """Let the query planner see how big the busy tables have grown.

        Autovacuum lags behind a table that grows by thousands of rows a second. The engine's own batch
        statements do not wait for it (their plans are pinned to index probes, ``rows.plan_as_probes``);
        the queries people run (status counts, exception lists) still plan better with current figures.
        """
        with self.engine.begin() as conn:
            if self.backend == "postgresql":
                conn.exec_driver_sql(
                    "ANALYZE commands, outbox_heads, flow_instances, events, inbox, exceptions"
                )
            else:
                conn.exec_driver_sql("PRAGMA optimize")

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()
