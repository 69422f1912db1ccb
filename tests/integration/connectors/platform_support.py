"""Building the engine-facing platform connectors against the emulators, with a real store and
cross-reference, and a few helpers the connector suites share."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from concord.bootstrap import Concord
from concord.connectors.base import ConnectorServices
from concord.domain.ids import new_id
from concord.domain.messages import Change, CommandEnvelope
from concord.domain.tracing import TraceContext
from concord.engine.crossref import CrossReferenceService
from concord.engine.ports import SystemClock
from concord.engine.recorder import ChangeSchemas
from concord.mapping import load_mappings
from concord.storage.sql.store import SqlStore

#: What the sandbox's NetSuite account calls its currencies (internal ids), both ways.
NETSUITE_REFERENCES: dict[str, dict[str, Any]] = {
    "netsuite_currency": {"1": "USD", "2": "GBP", "3": "CAD", "4": "EUR"},
    "netsuite_currency_id": {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"},
}


def open_store(url: str) -> SqlStore:
    return SqlStore.open(url, partitions=4)


def services(store: SqlStore, references: dict[str, dict[str, Any]] | None = None) -> ConnectorServices:
    return ConnectorServices(
        mappings=load_mappings(),
        xref=CrossReferenceService(store, SystemClock()),
        reference_tables=references or {},
    )


def validate(changes: Sequence[Change], object_type: str) -> list[dict[str, Any]]:
    """The changes' payloads as the recorder validates them (canonical models)."""
    from concord.domain.schemas import CANONICAL_MODELS

    schemas = ChangeSchemas()
    schemas.register_canonical(CANONICAL_MODELS[object_type])
    return [schemas.validate(change) for change in changes]


def upsert(
    target: str, object_type: str, payload: dict[str, Any], trace: TraceContext | None = None
) -> CommandEnvelope:
    trace = trace or TraceContext.new()
    key = new_id()
    return CommandEnvelope(key, f"test/{key}", target, "upsert", object_type, payload, trace.traceparent)


def canonical_customer(name: str, **fields: Any) -> dict[str, Any]:
    """A canonical Customer payload as flows send it."""
    return {
        "global_id": new_id(),
        "system_ids": {},
        "source_system": "concord",
        "source_changed_at": datetime.now(UTC).isoformat(),
        "correlation_id": TraceContext.new().trace_id,
        "name": name,
        "currency": "USD",
        **fields,
    }


async def settle(concord: Concord, *, rounds: int = 60) -> None:
    """Run the worker's stages one after the other until two rounds in a row find nothing to do."""
    quiet = 0
    for _ in range(rounds):
        worked = await concord.worker.step()
        quiet = quiet + 1 if worked == 0 else 0
        if quiet >= 2:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the worker still had work after {rounds} rounds")
