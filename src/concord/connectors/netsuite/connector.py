"""The NetSuite connector as the engine sees it: polls with SuiteQL by ``lastmodifieddate`` and writes
through the REST Record API, upserting by ``externalId`` (``eid:`` = Concord's global id) with one worker
per slot of the account's concurrency limit.

SuiteQL answers with lower-case column names and every value as text (dates as the user's preference
shows them, booleans as ``T``/``F``); the poll hands each row to the mapping under the REST field names
the mapping file uses, and the mapping's transforms read the SuiteQL forms.

Configuration (``[concord.connectors.netsuite]``) is a ``NetSuiteSpec`` plus ``kind`` and the poll's
overlap; the private key comes from a file or the environment, never from the configuration file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from concord.connectors.base import (
    ConnectorServices,
    PlatformConnector,
    PlatformWrite,
    PolledRecord,
    WriteOutcome,
    spec_options,
)
from concord.connectors.http.errors import classify
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.netsuite.batch import RecordWrite, run_batch
from concord.connectors.netsuite.changes import DEFAULT_OVERLAP, ChangedRecord, ChangePoll, changed_since
from concord.connectors.netsuite.client import NetSuiteClient
from concord.connectors.netsuite.cursor import StampCursor
from concord.connectors.netsuite.spec import NetSuiteSpec
from concord.engine.errors import Classification
from concord.mapping import ObjectMapping


class NetSuiteOptions(BaseModel):
    """The connector's own options, beside the account's spec."""

    model_config = ConfigDict(extra="ignore")

    overlap_s: float = Field(default=DEFAULT_OVERLAP.total_seconds(), ge=0)


class NetSuiteConnector(PlatformConnector):
    """One NetSuite account."""

    platform = "netsuite"

    def __init__(
        self,
        name: str,
        services: ConnectorServices,
        client: NetSuiteClient,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> None:
        super().__init__(name, services)
        self.client = client
        self.overlap = overlap

    def open_poll(self, mapping: ObjectMapping, cursor: str | None, priority: Priority) -> ChangePoll:
        columns = [f.lower() for f in self._fields(mapping)]
        table = mapping.platform_object.lower()
        return changed_since(self.client, table, columns, cursor, self.overlap, priority=priority)

    def polled(self, mapping: ObjectMapping, item: ChangedRecord) -> PolledRecord:
        row = {name: item.record.get(name.lower()) for name in self._fields(mapping)}
        row[mapping.id_field] = item.record_id
        return PolledRecord(item.record_id, item.changed_at, item.version, row, deleted=item.deleted)

    @staticmethod
    def _fields(mapping: ObjectMapping) -> list[str]:
        return [f for f in mapping.source_fields() if f.lower() not in ("id", "lastmodifieddate")]

    def cursor_since(self, moment: datetime) -> str:
        return StampCursor.starting_at(moment, ZoneInfo(self.client.spec.time_zone)).encode()

    async def write(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        batch = [
            RecordWrite.update(mapping.platform_object, w.system_id, {**w.body, "externalId": w.global_id})
            if w.system_id
            else RecordWrite.upsert(mapping.platform_object, w.global_id, w.body)
            for w in writes
        ]
        results = self._outcomes(await run_batch(self.client, batch))
        return [
            WriteOutcome(r.system_id or w.system_id, r.created, r.failure)
            for w, r in zip(writes, results, strict=True)
        ]

    async def update(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        batch = [RecordWrite.update(mapping.platform_object, str(w.system_id), w.body) for w in writes]
        results = self._outcomes(await run_batch(self.client, batch))
        return [WriteOutcome(w.system_id, failure=r.failure) for w, r in zip(writes, results, strict=True)]

    async def remove(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[WriteOutcome]:
        batch = [RecordWrite.delete(mapping.platform_object, system_id) for system_id in system_ids]
        return self._outcomes(await run_batch(self.client, batch))

    @staticmethod
    def _outcomes(results: Sequence[Any]) -> list[WriteOutcome]:
        return [WriteOutcome(r.id, False, r.failure) for r in results]

    def classify(self, error: BaseException) -> Classification:
        return classify(error)

    async def aclose(self) -> None:
        await self.client.aclose()


def netsuite_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None = None,
) -> NetSuiteConnector:
    """Build from configuration (``kind = "netsuite"``)."""
    values = spec_options(options)
    spec = NetSuiteSpec.model_validate(values)
    own = NetSuiteOptions.model_validate(dict(options))
    client = NetSuiteClient(spec, governor=governor)
    return NetSuiteConnector(name, services, client, overlap=timedelta(seconds=own.overlap_s))
