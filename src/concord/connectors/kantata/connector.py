"""The Kantata OX connector as the engine sees it: polls by ``updated_at`` and upserts through external
references (Kantata has no external-id field: Concord's global id is the ``service_model_ref`` of an
external reference, and the correlation id its ``external_message``, both visible in Kantata).

Configuration (``[concord.connectors.kantata]``) is a ``KantataSpec`` plus ``kind`` and the poll's
overlap; secrets come from the environment, never from the file.
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
    PolledPage,
    PolledRecord,
    WriteOutcome,
    failure_of,
    spec_options,
)
from concord.connectors.http.errors import classify
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.kantata.changes import DEFAULT_OVERLAP, changed_since
from concord.connectors.kantata.client import KantataClient
from concord.connectors.kantata.cursor import StampCursor
from concord.connectors.kantata.references import SHOW_HIDDEN, ExternalRef, bulk_upsert_by_reference
from concord.connectors.kantata.spec import KantataSpec
from concord.engine.errors import Classification
from concord.mapping import ObjectMapping

REFERENCES = "external_references"

INCLUDES: dict[str, tuple[str, ...]] = {
    "time_entries": ("active_submission", "recent_submission", "workspace", "story"),
    "stories": ("workspace",),
}
"""Associations each collection's mapping reads besides the record (Kantata joins them on request)."""


class KantataOptions(BaseModel):
    """The connector's own options, beside the account's spec."""

    model_config = ConfigDict(extra="ignore")

    overlap_s: float = Field(default=DEFAULT_OVERLAP.total_seconds(), ge=0)


class KantataConnector(PlatformConnector):
    """One Kantata OX account."""

    platform = "kantata"

    def __init__(
        self,
        name: str,
        services: ConnectorServices,
        client: KantataClient,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> None:
        super().__init__(name, services)
        self.client = client
        self.overlap = overlap

    async def poll(
        self, mapping: ObjectMapping, cursor: str | None, limit: int, priority: Priority = Priority.NORMAL
    ) -> PolledPage:
        collection = mapping.platform_object
        poll = changed_since(
            self.client,
            collection,
            cursor,
            self.overlap,
            params=SHOW_HIDDEN.get(collection),
            include=[REFERENCES, *INCLUDES.get(collection, ())],
            priority=priority,
        )
        try:
            found = await poll.take(limit)
        finally:
            await poll.aclose()
        records = []
        for r in found:
            ref = self._reference(mapping, r.record)
            records.append(
                PolledRecord(
                    r.record_id,
                    r.updated_at,
                    r.version,
                    r.record,
                    deleted=r.deleted,
                    global_id=None if ref is None else ref.get("service_model_ref"),
                    correlation_id=None if ref is None else ref.get("external_message"),
                )
            )
        return PolledPage(records, poll.cursor.encode(), bool(poll.more))

    def cursor_since(self, moment: datetime) -> str:
        return StampCursor.starting_at(moment).encode()

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
        items = [
            (
                ExternalRef(
                    service_model=mapping.canonical,
                    service_model_ref=w.global_id,
                    external_message=w.correlation_id,
                ),
                w.body,
            )
            for w in writes
        ]
        results = await bulk_upsert_by_reference(self.client, mapping.platform_object, items)
        return [WriteOutcome(r.id, bool(r.created), r.failure) for r in results]

    async def update(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        collection = mapping.platform_object
        outcomes = []
        for write in writes:
            try:
                await self.client.update(
                    collection, str(write.system_id), write.body, params=SHOW_HIDDEN.get(collection)
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

    def classify(self, error: BaseException) -> Classification:
        return classify(error)

    async def aclose(self) -> None:
        await self.client.aclose()


def kantata_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None = None,
) -> KantataConnector:
    """Build from configuration (``kind = "kantata"``)."""
    values = spec_options(options)
    spec = KantataSpec.model_validate(values)
    own = KantataOptions.model_validate(dict(options))
    client = KantataClient(spec, governor=governor)
    return KantataConnector(name, services, client, overlap=timedelta(seconds=own.overlap_s))
