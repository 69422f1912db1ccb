"""The Salesforce connector as the engine sees it: polls by ``SystemModstamp`` and writes through sObject
Collections upserts on the external-id field that holds Concord's global id.

Configuration (``[concord.connectors.salesforce]``) is a ``SalesforceSpec`` plus ``kind`` and the poll's
overlap; the consumer secret or private key comes from the environment
(``CONCORD_CONNECTORS__SALESFORCE__AUTH__CONSUMER_SECRET``), never from the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from concord.connectors.base import (
    ConnectorServices,
    PlatformConnector,
    PlatformWrite,
    PolledRecord,
    WriteOutcome,
    failure_of,
    spec_options,
)
from concord.connectors.http.errors import classify
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.salesforce.changes import (
    DEFAULT_OVERLAP,
    ChangedRecord,
    ChangePoll,
    ModstampCursor,
    changed_since,
    soql_datetime,
)
from concord.connectors.salesforce.client import SalesforceClient
from concord.connectors.salesforce.spec import SalesforceSpec
from concord.engine.errors import CannotEncode, Classification
from concord.mapping import ObjectMapping


class SalesforceOptions(BaseModel):
    """The connector's own options, beside the org's spec."""

    model_config = ConfigDict(extra="ignore")

    overlap_s: float = Field(default=DEFAULT_OVERLAP.total_seconds(), ge=0)


class SalesforceConnector(PlatformConnector):
    """One Salesforce org."""

    platform = "salesforce"

    def __init__(
        self,
        name: str,
        services: ConnectorServices,
        client: SalesforceClient,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> None:
        super().__init__(name, services)
        self.client = client
        self.overlap = overlap

    def open_poll(self, mapping: ObjectMapping, cursor: str | None, priority: Priority) -> ChangePoll:
        fields = mapping.source_fields()
        return changed_since(
            self.client, mapping.platform_object, fields, cursor, self.overlap, priority=priority
        )

    def polled(self, mapping: ObjectMapping, item: ChangedRecord) -> PolledRecord:
        return PolledRecord(item.record_id, item.modstamp, item.version, item.record, deleted=item.deleted)

    def cursor_since(self, moment: datetime) -> str:
        return ModstampCursor.starting_at(moment).encode()

    async def estimate(self, mapping: ObjectMapping, cursor: str | None) -> int | None:
        stamp = ModstampCursor.decode(cursor).stamp
        where = "" if stamp is None else f" WHERE SystemModstamp >= {soql_datetime(stamp)}"
        soql = f"SELECT Id FROM {mapping.platform_object}{where}"
        page = await anext(self.client.query_pages(soql, priority=Priority.BACKGROUND), None)
        return None if page is None else page.total

    async def write(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        field = mapping.external_id_field
        if not field:
            failure = CannotEncode(f"the {mapping.platform_object} mapping names no external-id field")
            return [WriteOutcome(failure=failure)] * len(writes)
        known = [w for w in writes if w.system_id]
        fresh = [w for w in writes if not w.system_id]
        outcomes: dict[int, WriteOutcome] = {}
        if fresh:
            results = await self.client.collections_upsert(
                mapping.platform_object, field, [{**w.body, field: w.global_id} for w in fresh]
            )
            outcomes.update(
                (id(w), WriteOutcome(r.id, bool(r.created), r.failure))
                for w, r in zip(fresh, results, strict=True)
            )
        if known:
            attached = [
                PlatformWrite(w.global_id, w.system_id, {**w.body, field: w.global_id}) for w in known
            ]
            results = await self.client.collections_update(
                mapping.platform_object, [(str(w.system_id), w.body) for w in attached]
            )
            outcomes.update(
                (id(w), WriteOutcome(w.system_id, False, r.failure))
                for w, r in zip(known, results, strict=True)
            )
        return [outcomes[id(w)] for w in writes]

    async def update(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        outcomes = []
        for write in writes:
            try:
                await self.client.update(mapping.platform_object, str(write.system_id), write.body)
            except Exception as error:  # one record's failure is that record's outcome
                outcomes.append(WriteOutcome(failure=failure_of(error, self.name)))
            else:
                outcomes.append(WriteOutcome(write.system_id))
        return outcomes

    def classify(self, error: BaseException) -> Classification:
        return classify(error)

    async def aclose(self) -> None:
        await self.client.aclose()


def salesforce_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None = None,
) -> SalesforceConnector:
    """Build from configuration (``kind = "salesforce"``)."""
    values = spec_options(options)
    spec = SalesforceSpec.model_validate(values)
    own = SalesforceOptions.model_validate(dict(options))
    client = SalesforceClient(spec, governor=governor)
    return SalesforceConnector(name, services, client, overlap=timedelta(seconds=own.overlap_s))
