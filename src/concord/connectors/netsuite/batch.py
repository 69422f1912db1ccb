"""Many record writes at once, under NetSuite's concurrency limit.

NetSuite's REST Record API has no multi-record endpoint (no collections, no composite): every record is
one call, and what limits throughput is the number of calls the account lets run at the same time (15
for the default service tier, +10 per SuiteCloud Plus licence, shared by every integration unless an
administrator allocates a share to each). Over the limit NetSuite refuses calls with 429
``CONCURRENCY_LIMIT_EXCEEDED``.

``run_batch`` therefore starts as many workers as the governor allows calls in flight
(``spec.rate.max_concurrency``), each taking the next write from the list. The governor is the ceiling,
so the batch never provokes a 429 from NetSuite, and other work sharing the governor (a person waiting
on an ``INTERACTIVE`` call) is served in between by priority. Throughput is about
``max_concurrency / call latency`` records per second.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from concord.connectors.http.governor import Priority
from concord.connectors.netsuite.links import ExternalId, RecordKey
from concord.engine.errors import CannotEncode, ConcordError

if TYPE_CHECKING:
    from concord.connectors.netsuite.client import NetSuiteClient

Action = Literal["create", "update", "upsert", "delete"]


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """One write of a batch; build it with ``create``, ``update``, ``upsert`` or ``delete``.

    Attributes:
        action: What to do.
        record_type: The record type (``customer``, ``timeBill`` ...).
        body: The fields (not for deletes).
        key: The record: an internal id or ``ExternalId`` (an ``ExternalId`` for upserts; none for creates).
        replace: Sublists whose lines the write replaces (updates and upserts; the others add lines).
    """

    action: Action
    record_type: str
    body: Mapping[str, Any] = field(default_factory=dict)
    key: RecordKey | None = None
    replace: tuple[str, ...] = ()

    @classmethod
    def create(cls, record_type: str, body: Mapping[str, Any]) -> RecordWrite:
        """Create a record (not safe to repeat: prefer ``upsert``)."""
        return cls("create", record_type, body)

    @classmethod
    def update(
        cls, record_type: str, key: RecordKey, body: Mapping[str, Any], replace: Sequence[str] = ()
    ) -> RecordWrite:
        """Change fields of an existing record (the sublists in ``replace`` get exactly the lines sent)."""
        return cls("update", record_type, body, key, tuple(replace))

    @classmethod
    def upsert(
        cls,
        record_type: str,
        external_id: str | ExternalId,
        body: Mapping[str, Any],
        replace: Sequence[str] = (),
    ) -> RecordWrite:
        """Create or update the record with this external id (safe to repeat)."""
        key = external_id if isinstance(external_id, ExternalId) else ExternalId(external_id)
        return cls("upsert", record_type, body, key, tuple(replace))

    @classmethod
    def delete(cls, record_type: str, key: RecordKey) -> RecordWrite:
        """Delete a record."""
        return cls("delete", record_type, {}, key)


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one write, at its position in the batch.

    Attributes:
        index: Position of the write in the batch.
        id: The record's internal id (known for creates and upserts that succeeded).
        success: Whether the write had its effect.
        failure: Why not (a ``TransientError`` may simply be sent again when the write is an upsert).
    """

    index: int
    id: str | None
    success: bool
    failure: ConcordError | None = None


async def _write(client: NetSuiteClient, write: RecordWrite, priority: Priority) -> str | None:
    if write.action == "create":
        return await client.create(write.record_type, write.body, priority=priority)
    if write.key is None:
        raise CannotEncode(f"a {write.action} of a {write.record_type} needs the record's id or external id")
    if write.action == "upsert":
        if not isinstance(write.key, ExternalId):
            raise CannotEncode("an upsert addresses its record by ExternalId")
        return await client.upsert_by_external_id(
            write.record_type, write.key, write.body, replace=write.replace, priority=priority
        )
    if write.action == "update":
        await client.update(
            write.record_type, write.key, write.body, replace=write.replace, priority=priority
        )
    else:
        await client.delete(write.record_type, write.key, priority=priority)
    return write.key if isinstance(write.key, str) and write.key.isdigit() else None


async def run_batch(
    client: NetSuiteClient, writes: Sequence[RecordWrite], *, priority: Priority = Priority.NORMAL
) -> list[WriteResult]:
    """Carry out ``writes`` with one worker per concurrency slot; one result per write, in input order."""
    results: list[WriteResult | None] = [None] * len(writes)
    queue = iter(enumerate(writes))

    async def worker() -> None:
        # Taking from a shared iterator needs no lock: there is no await between next() and the take.
        for index, write in queue:
            try:
                record_id = await _write(client, write, priority)
            except ConcordError as error:
                results[index] = WriteResult(index, None, False, error)
            else:
                results[index] = WriteResult(index, record_id, True)

    workers = min(client.governor.policy.max_concurrency, len(writes))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return [result for result in results if result is not None]
