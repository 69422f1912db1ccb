"""Which gathering instance holds each record (``gathered_records``), read and written by the dispatcher.

Only the dispatcher that leases a record's partition reads or writes its row, so rows need no lock; the
write is an upsert all the same, which keeps a replayed batch harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from concord.engine.model import HeldRecord
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import gathered_records


class GatheredRecords:
    """Read and write who holds which record."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def holders(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], HeldRecord]:
        """The holders of the (flow, record) pairs that have one."""
        by_flow: dict[str, set[str]] = defaultdict(set)
        for flow, record in wanted:
            by_flow[flow].add(record)
        found: dict[tuple[str, str], HeldRecord] = {}
        table = gathered_records.c
        for flow, records in sorted(by_flow.items()):
            for chunk in chunks(sorted(records)):
                query = select(table.record, table.instance_id, table.log_seq).where(
                    table.flow == flow, table.record.in_(chunk)
                )
                for record, instance_id, log_seq in self.conn.execute(query):
                    found[(flow, record)] = HeldRecord(flow, record, instance_id, int(log_seq))
        return found

    def hold(self, held: Sequence[HeldRecord]) -> None:
        """Record (or move) the holders of these records."""
        if not held:
            return
        insert = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        rows = {(h.flow, h.record): h for h in held}  # the last word per record
        statement = insert(gathered_records)
        statement = statement.on_conflict_do_update(
            index_elements=["flow", "record"],
            set_={"instance_id": statement.excluded.instance_id, "log_seq": statement.excluded.log_seq},
        )
        values = [
            {"flow": h.flow, "record": h.record, "instance_id": h.instance_id, "log_seq": h.log_seq}
            for _, h in sorted(rows.items())
        ]
        self.conn.execute(statement, values)
