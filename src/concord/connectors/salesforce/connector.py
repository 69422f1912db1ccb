"""The Salesforce connector as the engine sees it: polls by ``SystemModstamp`` and writes through sObject
Collections upserts on the external-id field that holds Concord's global id.

Related lists a mapping names under ``children`` (an opportunity's line items) are read with each record
as parent-to-child subqueries, by polls and by ``get`` (a SOQL read by record id) alike.

Configuration (``[concord.connectors.salesforce]``) is a ``SalesforceSpec`` plus ``kind`` and the poll's
overlap; the consumer secret or private key comes from the environment
(``CONCORD_CONNECTORS__SALESFORCE__AUTH__CONSUMER_SECRET``), never from the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from concord.connectors.base import (
    ConnectorServices,
    PlatformConnector,
    PlatformWrite,
    PolledRecord,
    WriteOutcome,
    build_platform,
    failure_of,
)
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.salesforce.changes import (
    DEFAULT_OVERLAP,
    ChangedRecord,
    ChangePoll,
    ModstampCursor,
    changed_since,
    digest,
    parse_stamp,
    soql_datetime,
    subquery,
)
from concord.connectors.salesforce.client import SalesforceClient
from concord.connectors.salesforce.spec import SalesforceSpec
from concord.engine.errors import CannotEncode
from concord.mapping import ObjectMapping

_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")
IDS_PER_READ = 200
"""Record ids per ``get`` query (``WHERE Id IN (...)``), well inside SOQL's statement length."""


class SalesforceConnector(PlatformConnector):
    """One Salesforce org."""

    platform = "salesforce"

    client: SalesforceClient
    default_overlap = DEFAULT_OVERLAP

    def open_poll(self, mapping: ObjectMapping, cursor: str | None, priority: Priority) -> ChangePoll:
        fields = mapping.source_fields()
        return changed_since(
            self.client,
            mapping.platform_object,
            fields,
            cursor,
            self.overlap,
            priority=priority,
            children=mapping.children,
        )

    async def fetch(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[PolledRecord]:
        # An id that is not a Salesforce id cannot name a record: it is absent, and never reaches SOQL.
        ids = [i for i in dict.fromkeys(system_ids) if _RECORD_ID.match(i)]
        select = [*mapping.source_fields()]
        select += [subquery(name, fields) for name, fields in mapping.children.items()]
        found: list[PolledRecord] = []
        for start in range(0, len(ids), IDS_PER_READ):
            quoted = ", ".join(f"'{i}'" for i in ids[start : start + IDS_PER_READ])
            soql = f"SELECT {', '.join(select)} FROM {mapping.platform_object} WHERE Id IN ({quoted})"
            async for row in self.client.query(soql, priority=Priority.NORMAL):
                record = {k: v for k, v in row.items() if k != "attributes"}
                stamp = parse_stamp(str(record["SystemModstamp"]))
                item = ChangedRecord(str(record["Id"]), stamp, False, record, digest(record))
                found.append(self.polled(mapping, item))
        return found

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


def salesforce_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None = None,
) -> SalesforceConnector:
    """Build from configuration (``kind = "salesforce"``)."""
    return build_platform(
        SalesforceConnector, SalesforceSpec, SalesforceClient, name, options, services, governor
    )
