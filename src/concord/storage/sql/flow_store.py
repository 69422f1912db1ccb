"""Flow instances in the store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from concord.engine.model import FlowInstance, InstanceStatus
from concord.storage.sql.bulk import insert_many, update_many
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import flow_instances

_MUTABLE = ("status", "step_index", "generation", "pending", "state", "updated_at", "completed_at")


class FlowInstances:
    """Load, create and update flow instances (locked for update where the backend supports it)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get_many(self, instance_ids: Sequence[str]) -> dict[str, FlowInstance]:
        """The instances that exist among ``instance_ids``, locked until the transaction ends."""
        found: dict[str, FlowInstance] = {}
        for chunk in chunks(sorted(set(instance_ids))):
            query = select(flow_instances).where(flow_instances.c.instance_id.in_(chunk)).with_for_update()
            for row in self.conn.execute(query):
                instance = _instance(row._mapping)
                found[instance.instance_id] = instance
        return found

    def get(self, instance_id: str) -> FlowInstance | None:
        """One instance, locked."""
        return self.get_many([instance_id]).get(instance_id)

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
        query = select(flow_instances).order_by(flow_instances.c.created_at.desc()).limit(limit)
        if status:
            query = query.where(flow_instances.c.status == status)
        if flow:
            query = query.where(flow_instances.c.flow == flow)
        return [_instance(row._mapping) for row in self.conn.execute(query)]

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


def _instance(r: Any) -> FlowInstance:
    return FlowInstance(
        instance_id=r["instance_id"],
        flow=r["flow"],
        flow_key=r["flow_key"],
        status=InstanceStatus(r["status"]),
        step_index=r["step_index"],
        generation=r["generation"],
        pending=r["pending"],
        state=r["state"],
        trigger_event_id=r["trigger_event_id"],
        business_type=r["business_type"],
        business_key=r["business_key"],
        traceparent=r["traceparent"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        completed_at=r["completed_at"],
    )
