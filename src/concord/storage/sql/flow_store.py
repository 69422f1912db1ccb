"""Flow instances in the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, and_, false, func, or_, select

from concord.engine.model import FlowInstance, InstanceStatus
from concord.storage.sql.bulk import insert_many, update_many
from concord.storage.sql.rows import columns, fetch_in
from concord.storage.sql.tables import flow_instances

_MUTABLE = (
    "status",
    "step_index",
    "generation",
    "pending",
    "state",
    "updated_at",
    "completed_at",
    "wake_at",
)


class FlowInstances:
    """Load, create and update flow instances (locked for update where the backend supports it)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_many(self, instance_ids: Sequence[str]) -> dict[str, FlowInstance]:
        """The instances that exist among ``instance_ids``, locked until the transaction ends."""
        lock = " FOR UPDATE" if self.conn.dialect.name == "postgresql" else ""
        # Sorted, so that two transactions lock the rows they share in the same order.
        keys = sorted(set(instance_ids))
        sql = f"SELECT {columns(_COLUMNS)} FROM flow_instances WHERE {{keys}}{lock}"
        rows = fetch_in(self.conn, flow_instances, _COLUMNS, sql, "instance_id", keys)
        return {row[0]: _instance(row) for row in rows}

    def get(self, instance_id: str) -> FlowInstance | None:
        """One instance, locked."""
        return self.get_many([instance_id]).get(instance_id)

    def due(self, now: datetime, limit: int, business_now: datetime | None = None) -> list[FlowInstance]:
        """Instances whose wake time has come, earliest first, locked (skipping rows another worker holds,
        on PostgreSQL): waiting ones (gathering flows) by ``now``, completed ones a step asked to run again
        by ``business_now`` (the business clock; none are due without it)."""
        c = flow_instances.c
        waiting = and_(c.status == InstanceStatus.WAITING.value, c.wake_at <= now)
        scheduled = (
            and_(c.status == InstanceStatus.COMPLETED.value, c.wake_at <= business_now)
            if business_now is not None
            else false()
        )
        query = (
            select(*(c[name] for name in _COLUMNS))
            .where(c.wake_at.is_not(None), or_(waiting, scheduled))
            .order_by(c.wake_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_instance(list(row)) for row in self.conn.execute(query)]

    def next_wake(self) -> datetime | None:
        """The earliest wake time of a waiting instance, if any waits."""
        query = select(func.min(flow_instances.c.wake_at)).where(
            flow_instances.c.status == InstanceStatus.WAITING.value
        )
        return cast(datetime | None, self.conn.scalar(query))

    def save_many(self, instances: Sequence[FlowInstance]) -> None:
        """Insert the new instances and update the others."""
        new = [_row(i) for i in instances if i.is_new]
        changed = [
            {"instance_id": i.instance_id, **{c: getattr(i, c) for c in _MUTABLE}}
            for i in instances
            if not i.is_new
        ]
        insert_many(self.conn, flow_instances, new)
        update_many(self.conn, flow_instances, "instance_id", changed)
        for instance in instances:
            instance.is_new = False

    def list(
        self, status: str | None = None, flow: str | None = None, limit: int = 100
    ) -> list[FlowInstance]:
        """Instances, newest first, optionally filtered."""
        query = (
            select(*(flow_instances.c[name] for name in _COLUMNS))
            .order_by(flow_instances.c.created_at.desc())
            .limit(limit)
        )
        if status:
            query = query.where(flow_instances.c.status == status)
        if flow:
            query = query.where(flow_instances.c.flow == flow)
        return [_instance(list(row)) for row in self.conn.execute(query)]

    def count_by_status(self) -> dict[str, int]:
        """How many instances are in each status."""
        query = select(flow_instances.c.status, func.count()).group_by(flow_instances.c.status)
        return {status: int(n) for status, n in self.conn.execute(query)}


def _row(instance: FlowInstance) -> dict[str, Any]:
    return {
        "instance_id": instance.instance_id,
        "flow": instance.flow,
        "flow_key": instance.flow_key,
        "trigger_event_id": instance.trigger_event_id,
        "business_type": instance.business_type,
        "business_key": instance.business_key,
        "traceparent": instance.traceparent,
        "created_at": instance.created_at,
        **{c: getattr(instance, c) for c in _MUTABLE},
    }


#: The columns of a flow instance row, in ``FlowInstance``'s field order (``is_new`` is not stored).
_COLUMNS = tuple(name for name in FlowInstance.__dataclass_fields__ if name != "is_new")


def _instance(row: list[Any]) -> FlowInstance:
    instance = FlowInstance(*row)
    instance.status = InstanceStatus(instance.status)
    return instance
