"""Running a whole engine over one platform connector in the connector suites: building it from
configuration, leaving commands in the outbox as a flow step does, and working until nothing is left."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platform_support import settle

from concord.bootstrap import Concord, bootstrap_from_settings
from concord.domain.ids import new_id
from concord.domain.tracing import TraceContext
from concord.engine.model import NewCommand
from concord.settings import RetrySettings, Settings


def engine(
    tmp_path: Path, name: str, options: dict[str, Any], references: dict[str, dict[str, Any]] | None = None
) -> Concord:
    """Concord with one connector built from its configuration (no flows; quick retries)."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/concord.db",
        connectors={name: options},
        reference_tables=references or {},
        retry=RetrySettings(initial_s=0.01, max_delay_s=0.05, max_attempts=5),
        log_level="WARNING",
    )
    return bootstrap_from_settings(settings, log_to_stderr=False)


def enqueue(concord: Concord, target: str, object_type: str, payload: dict[str, Any]) -> str:
    """An upsert command in the outbox, as a flow step leaves it; returns its id."""
    command_id = new_id()
    command = NewCommand(
        command_id=command_id,
        idempotency_key=f"test/{command_id}",
        instance_id=None,
        step="write",
        kind="forward",
        target=target,
        action="upsert",
        object_type=object_type,
        ordering_key=str(payload["global_id"]),
        payload=payload,
        traceparent=TraceContext.new().traceparent,
        created_at=datetime.now(UTC),
    )
    with concord.store.transaction() as tx:
        tx.outbox.add_many([command])
    return command_id


def commands(concord: Concord, command_ids: list[str]) -> list[dict[str, Any]]:
    """The commands as the outbox holds them (status, attempts, last_error ...)."""
    with concord.store.transaction() as tx:
        return [tx.outbox.get(command_id) or {} for command_id in command_ids]


async def settle_fully(concord: Concord) -> None:
    """Run the worker until nothing is left, waiting out the backoff of retried polls and commands."""
    for _ in range(40):
        await settle(concord)
        if concord.worker.idle():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the worker still had work to retry")


async def shut(concord: Concord) -> None:
    """Close the connectors' clients and the store."""
    for connector in concord.connectors.values():
        await connector.aclose()  # type: ignore[attr-defined]
    concord.close()
