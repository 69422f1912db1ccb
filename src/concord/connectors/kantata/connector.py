"""The Kantata OX connector as the engine sees it: polls by ``updated_at`` and upserts through external
references (Kantata has no external-id field: Concord's global id is the ``service_model_ref`` of an
external reference, and the correlation id its ``external_message``, both visible in Kantata).

Writes: a record Concord knows by its Kantata id is updated there, with the reference attached (a record
found in Kantata before Concord wrote to it carries none yet, so a look-up by reference would miss it and
create a twin). The others are looked up by reference and updated or created: in bulk where Kantata takes
bulk creates (time entries, expenses), one record a call elsewhere (workspaces, stories).

An ``update`` with a flag marks the record's external reference failed, with the flag as its status text:
that is where Kantata shows people a record's integration status (a project put on hold because its deal
could not be fully provisioned says why there). ``get`` reads records by id (``only=``) with the
associations a poll joins, so the same mapping applies.

Configuration (``[concord.connectors.kantata]``) is a ``KantataSpec`` plus ``kind`` and the poll's
overlap; secrets come from the environment, never from the file.
"""

from __future__ import annotations

import asyncio
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
from concord.connectors.kantata.changes import DEFAULT_OVERLAP, ChangedRecord, ChangePoll, changed_since
from concord.connectors.kantata.client import KantataClient
from concord.connectors.kantata.cursor import StampCursor, digest, parse_stamp
from concord.connectors.kantata.references import (
    SHOW_HIDDEN,
    ExternalRef,
    bulk_upsert_by_reference,
    upsert_by_reference,
)
from concord.connectors.kantata.spec import KantataSpec
from concord.engine.errors import TransientError
from concord.mapping import ObjectMapping

REFERENCES = "external_references"

INCLUDES: dict[str, tuple[str, ...]] = {
    "time_entries": ("active_submission", "recent_submission", "workspace", "story"),
    "expenses": ("active_submission", "recent_submission"),
    "stories": ("workspace",),
    "assignments": ("story", "assignee"),
}
"""Associations each collection's mapping reads besides the record (Kantata joins them on request)."""

MAX_PER_READ = 200
"""Record ids per read by id (``only=``), Kantata's page size."""

BULK_CREATE = frozenset({"time_entries", "expenses"})
"""Collections Kantata creates in bulk (``{"time_entries": [...]}``, 100 a call); the others (workspaces,
stories) refuse the plural key and take one object a call."""


class KantataConnector(PlatformConnector):
    """One Kantata OX account."""

    platform = "kantata"

    client: KantataClient
    default_overlap = DEFAULT_OVERLAP
    # Kantata polls page by stamp (updated_after moves with the pass): a pass can stay open across pages.
    continues_passes = True

    def open_poll(self, mapping: ObjectMapping, cursor: str | None, priority: Priority) -> ChangePoll:
        collection = mapping.platform_object
        return changed_since(
            self.client,
            collection,
            cursor,
            self.overlap,
            params=SHOW_HIDDEN.get(collection),
            include=[REFERENCES, *INCLUDES.get(collection, ())],
            priority=priority,
        )

    def polled(self, mapping: ObjectMapping, item: ChangedRecord) -> PolledRecord:
        ref = self._reference(mapping, item.record)
        return PolledRecord(
            item.record_id,
            item.updated_at,
            item.version,
            item.record,
            deleted=item.deleted,
            global_id=None if ref is None else ref.get("service_model_ref"),
            correlation_id=None if ref is None else ref.get("external_message"),
        )

    def cursor_since(self, moment: datetime) -> str:
        return StampCursor.starting_at(moment).encode()

    async def fetch(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[PolledRecord]:
        collection = mapping.platform_object
        include = [REFERENCES, *INCLUDES.get(collection, ())]
        ids = [i for i in dict.fromkeys(system_ids) if i.isdigit()]
        found: list[PolledRecord] = []
        for start in range(0, len(ids), MAX_PER_READ):
            params = {
                **(SHOW_HIDDEN.get(collection) or {}),
                "only": ",".join(ids[start : start + MAX_PER_READ]),
            }
            async for record in self.client.iterate(collection, params, include=include):
                if record.get("deleted_at"):
                    continue
                own = {key: value for key, value in record.items() if key not in include}
                item = ChangedRecord(
                    str(record["id"]), parse_stamp(record["updated_at"]), False, record, digest(own)
                )
                found.append(self.polled(mapping, item))
        return found

    def _reference(self, mapping: ObjectMapping, record: Mapping[str, Any]) -> Mapping[str, Any] | None:
        for ref in record.get(REFERENCES) or ():
            if (
                isinstance(ref, Mapping)
                and ref.get("service_name") == self.client.spec.service_name
                and ref.get("service_model") == mapping.canonical
            ):
                return ref
        return None

    async def write(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        collection = mapping.platform_object
        outcomes: list[WriteOutcome | None] = [None] * len(writes)
        fresh = [i for i, w in enumerate(writes) if not w.system_id]
        known = [i for i, w in enumerate(writes) if w.system_id]
        if fresh and collection in BULK_CREATE:
            items = [(self._ref(mapping, writes[i]), writes[i].body) for i in fresh]
            results = await bulk_upsert_by_reference(self.client, collection, items)
            for i, r in zip(fresh, results, strict=True):
                outcomes[i] = WriteOutcome(r.id, bool(r.created), r.failure)
        elif fresh:
            for i, outcome in zip(
                fresh, await asyncio.gather(*(self._upsert(mapping, writes[i]) for i in fresh)), strict=True
            ):
                outcomes[i] = outcome
        for i, outcome in zip(
            known, await asyncio.gather(*(self._attach(mapping, writes[i]) for i in known)), strict=True
        ):
            outcomes[i] = outcome
        return [o if o is not None else WriteOutcome(failure=TransientError("no outcome")) for o in outcomes]

    def _ref(self, mapping: ObjectMapping, write: PlatformWrite) -> ExternalRef:
        return ExternalRef(
            service_model=mapping.canonical,
            service_model_ref=write.global_id,
            external_message=write.correlation_id,
        )

    async def _upsert(self, mapping: ObjectMapping, write: PlatformWrite) -> WriteOutcome:
        """Look up by external reference, then update or create: one record a call (no bulk create)."""
        try:
            result = await upsert_by_reference(
                self.client, mapping.platform_object, self._ref(mapping, write), write.body
            )
        except Exception as error:  # one record's failure is that record's outcome
            return WriteOutcome(failure=failure_of(error, self.name))
        return WriteOutcome(result.id, result.created)

    async def _attach(self, mapping: ObjectMapping, write: PlatformWrite) -> WriteOutcome:
        """Update a record Concord knows by its Kantata id, attaching the external reference to it (a
        record found in Kantata before Concord wrote there carries none yet: a look-up would miss it)."""
        collection = mapping.platform_object
        reference = self._ref(mapping, write).body(self.client.spec.service_name)
        body = {**write.body, "external_reference": reference}
        try:
            await self.client.update(
                collection, str(write.system_id), body, params=SHOW_HIDDEN.get(collection)
            )
        except Exception as error:
            return WriteOutcome(failure=failure_of(error, self.name))
        return WriteOutcome(write.system_id)

    async def update(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        collection = mapping.platform_object
        outcomes = []
        for write in writes:
            body = write.body
            if write.flag:
                # Kantata shows each record's integration status on its external reference: a flagged
                # record is marked failed there, with the reason people should read.
                flagged = ExternalRef(
                    service_model=mapping.canonical,
                    service_model_ref=write.global_id,
                    status="failed",
                    external_status=write.flag[:255],
                    external_message=write.correlation_id,
                )
                body = {**body, "external_reference": flagged.body(self.client.spec.service_name)}
            try:
                await self.client.update(
                    collection, str(write.system_id), body, params=SHOW_HIDDEN.get(collection)
                )
            except Exception as error:  # one record's failure is that record's outcome
                outcomes.append(WriteOutcome(failure=failure_of(error, self.name)))
            else:
                outcomes.append(WriteOutcome(write.system_id))
        return outcomes

    async def remove(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[WriteOutcome]:
        outcomes = []
        for system_id in system_ids:
            try:
                await self.client.delete(mapping.platform_object, system_id)
            except Exception as error:
                outcomes.append(WriteOutcome(failure=failure_of(error, self.name)))
            else:
                outcomes.append(WriteOutcome(system_id))
        return outcomes


def kantata_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None = None,
) -> KantataConnector:
    """Build from configuration (``kind = "kantata"``)."""
    return build_platform(KantataConnector, KantataSpec, KantataClient, name, options, services, governor)
