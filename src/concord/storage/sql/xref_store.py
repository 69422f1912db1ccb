"""The cross-reference: one global id per business entity, and its id in each system."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from concord.domain.ids import new_id
from concord.storage.sql.tables import xref


class CrossReference:
    """Resolve and link ids across systems."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def global_id(self, system: str, object_type: str, system_id: str) -> str | None:
        """The global id of a system's record, if linked."""
        query = select(xref.c.global_id).where(
            xref.c.system == system, xref.c.object_type == object_type, xref.c.system_id == system_id
        )
        return self.conn.scalar(query)

    def ensure(self, system: str, object_type: str, system_id: str, now: datetime) -> str:
        """The global id of a system's record, minting one on first sight."""
        found = self.global_id(system, object_type, system_id)
        if found:
            return found
        global_id = new_id()
        self.link(global_id, system, object_type, system_id, now)
        return global_id

    def link(self, global_id: str, system: str, object_type: str, system_id: str, now: datetime) -> None:
        """Record that ``system_id`` in ``system`` is the entity ``global_id``."""
        self.conn.execute(
            insert(xref).values(
                global_id=global_id,
                system=system,
                object_type=object_type,
                system_id=system_id,
                created_at=now,
            )
        )

    def ids(self, global_id: str) -> dict[str, str]:
        """The entity's id in every system that has it."""
        query = select(xref.c.system, xref.c.system_id).where(xref.c.global_id == global_id)
        return {system: system_id for system, system_id in self.conn.execute(query)}
