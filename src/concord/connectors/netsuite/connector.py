"""The NetSuite connector as the engine sees it: polls with SuiteQL by ``lastmodifieddate`` and writes
through the REST Record API, upserting by ``externalId`` (``eid:`` = Concord's global id) with one worker
per slot of the account's concurrency limit.

SuiteQL answers with lower-case column names and every value as text (dates as the user's preference
shows them, booleans as ``T``/``F``); the poll hands each row to the mapping under the REST field names
the mapping file uses, and the mapping's transforms read the SuiteQL forms.

Writes send whole records: every sublist in a body (``{"item": {"items": [...]}}``) replaces the record's
lines, so an upsert sent again converges instead of adding its lines twice. A record NetSuite keeps apart
but a mapping writes inline (a sales order's ``billingSchedule`` given as its fields, not ``{"id": ...}``)
is upserted first, by an external id derived from the owner's, and referenced by its id.

``get`` reads records by internal id through SuiteQL, the columns a poll reads, so the same mapping applies.
Transactions are rows of SuiteQL's ``transaction`` table, picked by their ``type``. What a mapping names
under ``children`` (a sublist, or a record written inline such as a sales order's billing schedule) is read
with each record, by a poll and by ``get`` alike, through the REST API (see ``children``).

Configuration (``[concord.connectors.netsuite]``) is a ``NetSuiteSpec`` plus ``kind`` and the poll's
overlap; the private key comes from a file or the environment, never from the configuration file.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from concord.connectors.base import (
    ConnectorServices,
    PlatformConnector,
    PlatformWrite,
    PolledPage,
    PolledRecord,
    WriteOutcome,
    build_platform,
)
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.netsuite.batch import RecordWrite, run_batch
from concord.connectors.netsuite.changes import (
    DEFAULT_OVERLAP,
    STAMP_ALIAS,
    STAMP_MASK,
    UNSTAMPED,
    UNSTAMPED_TABLES,
    ChangedRecord,
    ChangePoll,
    changed_since,
    digest,
)
from concord.connectors.netsuite.children import (
    DEPENDENT_RECORDS,
    dependent_columns,
    suiteql_source,
    with_children,
)
from concord.connectors.netsuite.client import NetSuiteClient
from concord.connectors.netsuite.cursor import StampCursor
from concord.connectors.netsuite.spec import NetSuiteSpec
from concord.engine.errors import ConcordError, TransientError
from concord.mapping import ObjectMapping

IDS_PER_READ = 500
"""Internal ids per ``get`` query (``WHERE id IN (...)``)."""

_STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def sublists(body: Mapping[str, Any]) -> list[str]:
    """The sublists a body sends (``{"item": {"items": [...]}}``): a whole-record write replaces them."""
    return [
        name
        for name, value in body.items()
        if isinstance(value, Mapping) and isinstance(value.get("items"), list)
    ]


def _inline(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(set(value) - {"id", "externalId", "refName"})


class NetSuiteConnector(PlatformConnector):
    """One NetSuite account."""

    platform = "netsuite"

    client: NetSuiteClient
    default_overlap = DEFAULT_OVERLAP

    def open_poll(self, mapping: ObjectMapping, cursor: str | None, priority: Priority) -> ChangePoll:
        columns = [f.lower() for f in self._fields(mapping)]
        table, where = suiteql_source(mapping.platform_object)
        return changed_since(
            self.client, table, columns, cursor, self.overlap, where=where, priority=priority
        )

    async def stream(
        self, mapping: ObjectMapping, cursor: str | None, page_size: int, priority: Priority = Priority.NORMAL
    ) -> AsyncGenerator[PolledPage, None]:
        pages = super().stream(mapping, cursor, page_size, priority)
        try:
            async for page in pages:
                yield replace(page, records=await with_children(self.client, mapping, page.records))
        finally:
            await pages.aclose()

    def polled(self, mapping: ObjectMapping, item: ChangedRecord) -> PolledRecord:
        row = {name: item.record.get(name.lower()) for name in self._fields(mapping)}
        row[mapping.id_field] = item.record_id
        return PolledRecord(item.record_id, item.changed_at, item.version, row, deleted=item.deleted)

    @staticmethod
    def _fields(mapping: ObjectMapping) -> list[str]:
        fields = [f for f in mapping.source_fields() if f.lower() not in ("id", "lastmodifieddate")]
        return fields + dependent_columns(mapping)

    def cursor_since(self, moment: datetime) -> str:
        return StampCursor.starting_at(moment, ZoneInfo(self.client.spec.time_zone)).encode()

    async def fetch(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[PolledRecord]:
        columns = [f.lower() for f in self._fields(mapping)]
        table, where = suiteql_source(mapping.platform_object)
        picked = f" AND {where}" if where else ""
        stamped = table not in UNSTAMPED_TABLES
        stamp_column = [f"TO_CHAR(lastmodifieddate, '{STAMP_MASK}') AS {STAMP_ALIAS}"] if stamped else []
        zone = ZoneInfo(self.client.spec.time_zone)
        ids = [i for i in dict.fromkeys(system_ids) if i.isdigit()]
        found: list[PolledRecord] = []
        for start in range(0, len(ids), IDS_PER_READ):
            select = ", ".join(["id", *stamp_column, *columns])
            listed = ", ".join(ids[start : start + IDS_PER_READ])
            sql = f"SELECT {select} FROM {table} WHERE id IN ({listed}){picked}"
            async for row in self.client.query(sql):
                values = {k: v for k, v in row.items() if k != STAMP_ALIAS}
                if stamped:
                    stamp = datetime.strptime(str(row[STAMP_ALIAS]), _STAMP_FORMAT)
                    changed_at = stamp.replace(tzinfo=zone).astimezone(UTC)
                else:
                    stamp, changed_at = UNSTAMPED, datetime.now(UTC)
                item = ChangedRecord(str(row["id"]), stamp, changed_at, False, values, digest(values))
                found.append(self.polled(mapping, item))
        return await with_children(self.client, mapping, found)

    async def write(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        record_type = mapping.platform_object
        bodies, failures = await self._write_dependents(record_type, writes)
        batch = [
            RecordWrite.update(record_type, w.system_id, {**body, "externalId": w.global_id}, sublists(body))
            if w.system_id
            else RecordWrite.upsert(record_type, w.global_id, body, sublists(body))
            for w, body in zip(writes, bodies, strict=True)
        ]
        sendable = [i for i in range(len(writes)) if i not in failures]
        sent = self._outcomes(await run_batch(self.client, [batch[i] for i in sendable]))
        results = dict(zip(sendable, sent, strict=True))
        return [
            WriteOutcome(failure=failures[i])
            if i in failures
            else WriteOutcome(results[i].system_id or w.system_id, results[i].created, results[i].failure)
            for i, w in enumerate(writes)
        ]

    async def _write_dependents(
        self, record_type: str, writes: Sequence[PlatformWrite]
    ) -> tuple[list[dict[str, Any]], dict[int, ConcordError]]:
        """Upsert the records the writes give inline; the bodies referring to them by id, and the writes
        whose inline records NetSuite refused (they are not sent)."""
        fields = DEPENDENT_RECORDS.get(record_type, {})
        bodies = [dict(w.body) for w in writes]
        wanted = [
            (index, name, fields[name])
            for index, body in enumerate(bodies)
            for name in fields
            if _inline(body.get(name))
        ]
        if not wanted:
            return bodies, {}
        batch = []
        for index, name, dependent_type in wanted:
            body = bodies[index][name]
            batch.append(
                RecordWrite.upsert(dependent_type, f"{writes[index].global_id}-{name}", body, sublists(body))
            )
        failures: dict[int, ConcordError] = {}
        for (index, name, _), result in zip(wanted, await run_batch(self.client, batch), strict=True):
            if result.failure is not None or result.id is None:
                failures[index] = result.failure or TransientError(
                    f"{self.name} did not return the {name} id"
                )
            else:
                bodies[index][name] = {"id": result.id}
        return bodies, failures

    async def update(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        batch = [
            RecordWrite.update(mapping.platform_object, str(w.system_id), w.body, sublists(w.body))
            for w in writes
        ]
        results = self._outcomes(await run_batch(self.client, batch))
        return [WriteOutcome(w.system_id, failure=r.failure) for w, r in zip(writes, results, strict=True)]

    async def remove(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[WriteOutcome]:
        batch = [RecordWrite.delete(mapping.platform_object, system_id) for system_id in system_ids]
        return self._outcomes(await run_batch(self.client, batch))

    @staticmethod
    def _outcomes(results: Sequence[Any]) -> list[WriteOutcome]:
        return [WriteOutcome(r.id, False, r.failure) for r in results]


def netsuite_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None = None,
) -> NetSuiteConnector:
    """Build from configuration (``kind = "netsuite"``)."""
    return build_platform(NetSuiteConnector, NetSuiteSpec, NetSuiteClient, name, options, services, governor)
