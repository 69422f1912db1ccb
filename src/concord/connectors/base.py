"""What every platform connector shares: the engine's ``Connector`` port built on a platform client and
its mapping files.

A platform connector (Salesforce, Kantata, NetSuite, and the ones to come) only says how to *poll* one
platform object since a cursor and how to *write* a batch of platform records; everything between the
platform's records and the engine's canonical changes and commands lives here, once:

- **Detect.** Polled records go through the object's inbound mapping to canonical business fields, get
  the canonical envelope (global id from the record's external-id field or the cross-reference, the id in
  this system, change time and version, correlation id) and become ``Change`` s. A record the mapping
  cannot read becomes a change that fails validation, so the recorder turns it into an exception record
  that names the field: a bad record never stops the line, and is never dropped.
- **Act.** Commands carry canonical JSON. ``upsert`` writes the whole record by external id (Concord's
  global id lives in an external-id field in every target, so a repeated call converges); ``update``
  changes some fields of a record Concord knows (``{"global_id", "values"}``, optionally a ``flag``: a
  note for the people who look at the record, set where the platform keeps an integration status);
  ``delete`` removes one. Each record written carries the correlation id of the business transaction
  where the platform has a place for it. Writes are grouped into the platform's batch endpoints; each
  command still gets its own outcome.
- **Read.** ``get`` and ``list`` read records as a poll reads them (``concord.connectors.reads``).
- **Cross-reference.** Every id Concord learns (read or created) is linked to its global id.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, Field

from concord.connectors.http.errors import classify as classify_http
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.platform import (
    ChangeStream,
    ConnectorServices,
    CrossReferencePort,
    MappingScope,
    PlatformWrite,
    PolledPage,
    PolledRecord,
    StoredCursor,
    TailingStream,
    WriteOutcome,
    failure_of,
)
from concord.connectors.reads import get_records, list_records
from concord.domain.ids import is_global_id
from concord.domain.messages import JSON, UNMAPPABLE, Change, CommandEnvelope
from concord.domain.objects import ENVELOPE_FIELDS
from concord.domain.tracing import TraceContext
from concord.engine.errors import CannotEncode, Classification, ConcordError, Rejected
from concord.engine.ports import DetectedChanges, Failed, Outcome, Succeeded
from concord.mapping import ObjectMapping
from concord.mapping.runtime import MappingFailure

log = structlog.get_logger(__name__)

__all__ = [
    "UNMAPPABLE",
    "ChangeStream",
    "ConnectorServices",
    "CrossReferencePort",
    "MappingScope",
    "PlatformConnector",
    "PlatformWrite",
    "PolledPage",
    "PolledRecord",
    "StoredCursor",
    "WriteOutcome",
    "build_platform",
    "failure_of",
    "spec_options",
]

ACTIONS = ("upsert", "update", "delete", "get", "list")
"""The command actions every platform connector carries out."""

CONNECTOR_OPTIONS = ("kind", "detect", "overlap_s")
"""Options every platform connector takes beside its platform spec."""


def spec_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A connector's options without the ones every connector takes: what its platform spec validates."""
    return {k: v for k, v in options.items() if k not in CONNECTOR_OPTIONS}


class ConnectorOptions(BaseModel):
    """The options every platform connector takes beside its platform's spec."""

    model_config = ConfigDict(extra="ignore")

    overlap_s: float | None = Field(default=None, ge=0)


P = TypeVar("P", bound="PlatformConnector")


def build_platform(
    connector: type[P],
    spec_model: type[BaseModel],
    client_factory: Callable[..., Any],
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices,
    governor: RateGovernor | None,
) -> P:
    """A platform connector from configuration: its spec validated, its client on the shared budget."""
    spec = spec_model.model_validate(spec_options(options))
    own = ConnectorOptions.model_validate(dict(options))
    overlap = None if own.overlap_s is None else timedelta(seconds=own.overlap_s)
    return connector(name, services, client_factory(spec, governor=governor), overlap=overlap)


def _global_id_of(mapping: ObjectMapping, polled: PolledRecord) -> str:
    kept = polled.global_id
    if kept is None and mapping.external_id_field:
        kept = polled.record.get(mapping.external_id_field)
    # Someone else's value in the external-id field is not ours: the cross-reference decides then.
    return str(kept) if is_global_id(kept) else ""


def correlation_of(traceparent: str) -> str:
    """The trace id (the business transaction's correlation id) of a W3C traceparent."""
    return TraceContext.parse_or_new(traceparent).trace_id


class PlatformConnector(ABC):
    """The engine's ``Connector`` for one platform; subclasses poll and write, this class maps."""

    platform: str
    """The mapping files' platform name (``salesforce``)."""

    #: How far below its high-water mark a poll looks again for late commits (the platform's default).
    default_overlap: ClassVar[timedelta] = timedelta(minutes=2)

    continues_passes: bool = False
    """Whether ``detect`` may go on with the poll of the previous page: only where the platform's poll pages
    by stamp, so records changed during the pass move ahead of it and are read there (a poll paging by
    offset would skip the records that shift below it)."""

    tails_passes: bool = False
    """Whether a pass that caught up stays open too (with ``continues_passes``; its poll is a
    ``TailingStream``): the next ``detect`` reads what was stamped after the high-water stamp instead of
    the whole overlap window again, which after a burst would re-read every record of the burst at every
    poll. The window is read in full again once ``rescan`` (a quarter of the overlap) has passed since the
    last full read ended (without tailing, the next one starts at once), and the poll keeps a window wider
    by as much (``window``), so a record committed within ``overlap`` of its stamp is still caught, as it is
    without tailing."""

    def __init__(
        self, name: str, services: ConnectorServices, client: Any, *, overlap: timedelta | None = None
    ) -> None:
        self.name = name
        self.services = services
        self.client = client
        self.overlap = self.default_overlap if overlap is None else overlap
        self.rescan = self.overlap / 4
        """How often a tailing pass reads its whole overlap window again (``tails_passes``)."""
        self.scope = MappingScope(services, self.platform, name)
        self._passes: dict[str, tuple[str | None, int, AsyncGenerator[PolledPage, None]]] = {}
        """Per object, the poll a pass keeps open: (the cursor it handed out, page size, its pages)."""

    # -- what a platform provides ------------------------------------------------------------------

    @abstractmethod
    def open_poll(self, mapping: ObjectMapping, cursor: str | None, priority: Priority) -> ChangeStream[Any]:
        """A poll of ``mapping.platform_object``'s changes since ``cursor`` (the platform's own)."""

    @abstractmethod
    def polled(self, mapping: ObjectMapping, item: Any) -> PolledRecord:
        """One record version a poll handed out, as the connector hands it on."""

    async def poll(
        self, mapping: ObjectMapping, cursor: str | None, limit: int, priority: Priority = Priority.NORMAL
    ) -> PolledPage:
        """Up to ``limit`` record versions of ``mapping.platform_object`` changed since ``cursor``."""
        pages = self.stream(mapping, cursor, limit, priority)
        try:
            return await anext(pages)
        finally:
            await pages.aclose()

    async def stream(
        self, mapping: ObjectMapping, cursor: str | None, page_size: int, priority: Priority = Priority.NORMAL
    ) -> AsyncGenerator[PolledPage, None]:
        """Every change since ``cursor``, page after page, each with the cursor to store after it.

        One poll stays open for the whole stream: a poll that restarted from its cursor would re-read
        every record sharing its high-water stamp, and a bulk import stamps thousands alike.
        """
        poll = self.open_poll(mapping, cursor, priority)
        try:
            while True:
                found = await poll.take(page_size)
                records = [self.polled(mapping, item) for item in found]
                yield PolledPage(records, poll.cursor.encode(), bool(poll.more))
                if not poll.more:
                    return
        finally:
            await poll.aclose()

    async def fetch(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[PolledRecord]:
        """The current versions of the records with these platform ids, read as a poll reads them (the
        same fields and related records, so the same mapping applies); ids the platform does not hold
        (deleted, never there) are left out."""
        raise CannotEncode(f"{self.name} cannot read {mapping.platform_object} records by id")

    @property
    def window(self) -> timedelta:
        """How far below its high-water mark a poll looks again: the overlap, widened by the interval
        between full re-reads where a pass tails (``tails_passes``)."""
        return self.overlap + self.rescan if self.tails_passes else self.overlap

    async def _tailing(
        self, mapping: ObjectMapping, cursor: str | None, page_size: int
    ) -> AsyncGenerator[PolledPage, None]:
        """``stream``, except that a pass that caught up reads on (``tails_passes``) instead of ending."""
        poll = self.open_poll(mapping, cursor, Priority.NORMAL)
        if not isinstance(poll, TailingStream):
            raise TypeError(f"{self.name} tails its passes, but its poll cannot read on")
        window_read: float | None = None
        """When the last full read of the window (the pass itself, then each re-read) ended; None while
        one runs."""
        cursor_text: str | None = None
        try:
            while True:
                found = await poll.take(page_size)
                records = [self.polled(mapping, item) for item in found]
                if found or cursor_text is None:  # nothing handed out: the cursor is what it was
                    cursor_text = poll.cursor.encode()
                if not poll.more and window_read is None:
                    window_read = time.monotonic()
                yield PolledPage(records, cursor_text, bool(poll.more))
                if not poll.more:
                    assert window_read is not None
                    if time.monotonic() - window_read >= self.rescan.total_seconds():
                        window_read = None
                        await poll.again(tail=False)
                    else:
                        await poll.again(tail=True)
        finally:
            await poll.aclose()

    @abstractmethod
    def cursor_since(self, moment: datetime) -> str:
        """A cursor from which a poll delivers the records changed at or after ``moment``."""

    async def estimate(self, mapping: ObjectMapping, cursor: str | None) -> int | None:
        """About how many records a poll from ``cursor`` will deliver, when the platform says cheaply."""
        return None

    @abstractmethod
    async def write(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        """Upsert the records; one outcome per write.

        A write whose ``system_id`` is known addresses that record and attaches the global id to it (a
        record Concord found in the platform before it ever wrote there); the others are upserts by the
        global id in the external-id field, which converge however often they are sent.
        """

    async def update(self, mapping: ObjectMapping, writes: Sequence[PlatformWrite]) -> Sequence[WriteOutcome]:
        """Change some fields of records known by their platform id; one outcome per write."""
        return [
            WriteOutcome(failure=CannotEncode(f"{self.name} cannot update {mapping.platform_object}"))
        ] * len(writes)

    async def remove(self, mapping: ObjectMapping, system_ids: Sequence[str]) -> Sequence[WriteOutcome]:
        """Delete records by their platform id; one outcome per id."""
        return [
            WriteOutcome(failure=CannotEncode(f"{self.name} cannot delete {mapping.platform_object}"))
        ] * len(system_ids)

    def classify(self, error: BaseException) -> Classification:
        """Transient or permanent, and why (the platform's errors are mapped by its client)."""
        return classify_http(error)

    async def aclose(self) -> None:
        """Release the client's connections (and close the polls passes kept open)."""
        for _cursor, _limit, pages in self._passes.values():
            await pages.aclose()
        self._passes.clear()
        await self.client.aclose()

    # -- detect ------------------------------------------------------------------------------------

    def mapping(self, object_type: str) -> ObjectMapping:
        """This platform's mapping of canonical ``object_type``."""
        found = self.services.mappings.find(self.platform, object_type)
        if found is None:
            raise CannotEncode(f"no mapping of {self.platform} records to canonical {object_type}")
        return found

    async def detect(self, object_type: str, cursor: str | None, limit: int) -> DetectedChanges:
        """The next page of changes since ``cursor``.

        Where the platform's poll pages by stamp (``continues_passes``), a pass over many pages keeps one
        poll open: when the caller comes back with exactly the cursor the last page handed out, the same
        poll goes on instead of a new one re-reading the overlap window below it (for a burst stamped
        within that window, every page would re-read all the pages before). Any other cursor (a restart, a
        cursor set by hand, a page whose recording failed) opens a new poll.
        """
        mapping = self.mapping(object_type)
        pages = await self._pass(mapping, object_type, cursor, limit)
        try:
            page = await anext(pages)
        except BaseException:
            await pages.aclose()
            raise
        if self.continues_passes and (page.more or self.tails_passes):
            self._passes[object_type] = (page.next_cursor, limit, pages)
        else:
            await pages.aclose()
        return DetectedChanges(self.changes(mapping, page.records), page.next_cursor, page.more)

    async def _pass(
        self, mapping: ObjectMapping, object_type: str, cursor: str | None, limit: int
    ) -> AsyncGenerator[PolledPage, None]:
        held = self._passes.pop(object_type, None)
        if held is not None:
            expected, held_limit, pages = held
            if expected == cursor and held_limit == limit:
                return pages
            await pages.aclose()
        if self.tails_passes:
            return self._tailing(mapping, cursor, limit)
        return self.stream(mapping, cursor, limit)

    def changes(self, mapping: ObjectMapping, records: Sequence[PolledRecord]) -> list[Change]:
        """Canonical changes of a page of platform records."""
        canonical = mapping.canonical
        # A platform list may hold records of several kinds (Kantata stories: tasks and milestones);
        # the others are not this object's changes.
        records = [r for r in records if r.deleted or mapping.accepts(r.record)]
        written = {r.system_id: _global_id_of(mapping, r) for r in records}
        unknown = [r.system_id for r in records if not written.get(r.system_id)]
        global_ids = self.services.xref.ensure_many(self.name, canonical, unknown) if unknown else {}
        carried = [(global_id, system_id) for system_id, global_id in written.items() if global_id]
        self.services.xref.link_many(self.name, canonical, carried)
        global_ids.update((system_id, global_id) for global_id, system_id in carried)
        return [self._change(mapping, polled, global_ids[polled.system_id]) for polled in records]

    def _change(self, mapping: ObjectMapping, polled: PolledRecord, global_id: str) -> Change:
        kept = polled.correlation_id
        if kept is None and mapping.correlation_field:
            kept = polled.record.get(mapping.correlation_field)
        trace = TraceContext.continuing(kept) or TraceContext.new()
        envelope: JSON = {
            "global_id": global_id,
            "system_ids": {self.name: polled.system_id},
            "source_system": self.name,
            "source_changed_at": polled.changed_at.isoformat(),
            "source_version": polled.version[:250],
            "correlation_id": trace.trace_id,
        }
        if polled.deleted:
            payload: JSON = envelope
        else:
            try:
                payload = {**mapping.to_canonical(polled.record, self.scope).values, **envelope}
            except (MappingFailure, ConcordError) as error:
                payload = {**envelope, UNMAPPABLE: str(error)}
        return Change(
            system=self.name,
            object_type=mapping.canonical,
            source_id=polled.system_id,
            payload=payload,
            changed_at=polled.changed_at,
            version=polled.version,
            deleted=polled.deleted,
            traceparent=trace.traceparent,
        )

    # -- act ---------------------------------------------------------------------------------------

    async def execute(self, commands: Sequence[CommandEnvelope]) -> Sequence[Outcome]:
        """Carry out a batch, grouped by action and object; the groups run side by side (the engine
        claims commands together only when no order binds them, and the governor keeps the calls within
        the platform's limits), so a run's reads of periods, projects and people take one round trip."""
        outcomes: list[Outcome | None] = [None] * len(commands)
        groups: dict[tuple[str, str], list[int]] = {}
        for index, command in enumerate(commands):
            groups.setdefault((command.action, command.object_type), []).append(index)
        answers = await asyncio.gather(
            *(
                self._execute_group(action, object_type, [commands[i] for i in indexes])
                for (action, object_type), indexes in groups.items()
            ),
            return_exceptions=True,
        )
        for indexes, answer in zip(groups.values(), answers, strict=True):
            if isinstance(answer, BaseException):
                raise answer  # as a whole batch's failure, once every group has finished
            for i, outcome in zip(indexes, answer, strict=True):
                outcomes[i] = outcome
        return [o if o is not None else Failed(Classification(True, "no outcome")) for o in outcomes]

    async def _execute_group(
        self, action: str, object_type: str, commands: Sequence[CommandEnvelope]
    ) -> list[Outcome]:
        try:
            mapping = self.mapping(object_type)
        except CannotEncode as error:
            return [Failed(self.classify(error), str(error))] * len(commands)
        if action not in ACTIONS:
            unknown = CannotEncode(f"{self.name} does not know the action '{action}' for {object_type}")
            return [Failed(self.classify(unknown), str(unknown))] * len(commands)
        if action == "get":
            return await get_records(self, mapping, commands)
        if action == "list":
            return await list_records(self, mapping, commands)
        outcomes: list[Outcome | None] = [None] * len(commands)
        sendable: list[tuple[int, PlatformWrite]] = []
        # Where each record already is in this system: one look-up for the batch, not one per record.
        gids = [str(c.payload.get("global_id") or "") for c in commands]
        known = self.services.xref.system_ids([g for g in gids if g], self.name, mapping.canonical)
        with self.scope.batch():
            for index, command in enumerate(commands):
                try:
                    sendable.append((index, self._prepare(action, mapping, command, known)))
                except (CannotEncode, Rejected) as error:
                    outcomes[index] = Failed(self.classify(error), str(error))
        if sendable:
            writes = [w for _, w in sendable]
            if action == "upsert":
                results = await self.write(mapping, writes)
            elif action == "update":
                results = await self.update(mapping, writes)
            else:
                results = await self.remove(mapping, [w.system_id or "" for w in writes])
            links: list[tuple[str, str]] = []
            for (index, write), result in zip(sendable, results, strict=True):
                outcomes[index] = self._outcome(write, result)
                system_id = result.system_id or write.system_id
                if result.failure is None and system_id and action != "delete":
                    links.append((write.global_id, system_id))
            self.services.xref.link_many(self.name, mapping.canonical, links)
        return [o if o is not None else Failed(Classification(True, "no outcome")) for o in outcomes]

    def _prepare(
        self, action: str, mapping: ObjectMapping, command: CommandEnvelope, known: Mapping[str, str]
    ) -> PlatformWrite:
        payload = command.payload
        global_id = str(payload.get("global_id") or "")
        if not global_id:
            raise CannotEncode(f"a {action} of {mapping.canonical} needs the record's global_id")
        system_id = str(payload.get("system_id") or "") or known.get(global_id)
        if action == "delete":
            if not system_id:
                raise Rejected(f"{self.name} holds no {mapping.canonical} with global id {global_id}")
            return PlatformWrite(global_id, system_id, {})
        correlation = correlation_of(command.traceparent)
        if action == "update":
            if not system_id:
                raise Rejected(f"{self.name} holds no {mapping.canonical} with global id {global_id}")
            values = payload.get("values")
            if not isinstance(values, dict) or not values:
                raise CannotEncode(f"an update of {mapping.canonical} needs the values to change")
            body = mapping.to_platform(values, self.scope, correlation_id=correlation)
            flag = payload.get("flag")
            return PlatformWrite(global_id, system_id, body, correlation, str(flag) if flag else None)
        values = {k: v for k, v in payload.items() if k not in ENVELOPE_FIELDS and k != "system_id"}
        body = mapping.to_platform(values, self.scope, global_id=global_id, correlation_id=correlation)
        return PlatformWrite(global_id, system_id, body, correlation)

    def _outcome(self, write: PlatformWrite, result: WriteOutcome) -> Outcome:
        if result.failure is not None:
            return Failed(self.classify(result.failure), str(result.failure))
        system_id = result.system_id or write.system_id
        answer: JSON = {"system": self.name, "global_id": write.global_id, "system_id": system_id}
        if result.created:
            answer["created"] = True
        return Succeeded(answer)
