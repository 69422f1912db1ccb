"""Change detection on Salesforce: polling by ``SystemModstamp``, and the seam for change events.

**Polling** (``changed_since``) runs::

    SELECT Id, SystemModstamp, IsDeleted, <fields>[, (SELECT <fields> FROM <child list>)] FROM <Object>
    WHERE SystemModstamp >= <high-water mark - overlap> ORDER BY SystemModstamp, Id

through ``queryAll`` (deletes are changes too) and hands out each record version once. Many records share
one ``SystemModstamp`` (a whole transaction does, and real orgs stamp to the second), and a transaction
can commit after a poll has already read past its timestamp. So the cursor is not a single timestamp: it
holds the high-water mark and, for every record delivered within the overlap window below it, the version
delivered: its stamp and a digest of the values read (two updates within one stamp differ only there). A
re-read window row is skipped when that exact version was delivered, and delivered otherwise. Hence:

- nothing is missed at equal timestamps, however many records share one, and a poll can stop after any
  record (``take(limit)``) and resume there;
- a change committed during a poll, even with a stamp at or below what the poll already read, is
  delivered by the next poll (unless it is older than the overlap window);
- a version is delivered once; the inbox deduplicates anyway (``Change.version`` is stamp and digest).

The window's id map is bounded (``max_seen``); beyond it the oldest stamps are summarised by a floor
below which rows count as delivered, which only narrows the protection against late commits.

**Change events** (CDC) reach the real platform's clients over the Pub/Sub API (gRPC, Avro payloads).
That transport is not implemented here; ``ChangeEventTransport`` is the seam it will fill, and
``parse_change_event`` reads the decoded payload (the same shape CometD and the sandbox deliver).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from concord.connectors.http.governor import Priority
from concord.connectors.http.paging import Page
from concord.connectors.http.polling import Poll
from concord.connectors.http.watermark import StampState, Watermark
from concord.connectors.salesforce.client import Record, SalesforceClient
from concord.domain.messages import Change
from concord.engine.errors import CannotEncode, TransientError

DEFAULT_OVERLAP = timedelta(minutes=2)
MAX_SEEN = 50_000
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_SYSTEM_FIELDS = ("Id", "SystemModstamp", "IsDeleted")


def _ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def parse_stamp(text: str) -> datetime:
    """A Salesforce datetime (``2024-05-20T20:49:32.000+0000``) as an aware UTC datetime."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif re.search(r"[+-]\d{4}$", value):
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value).astimezone(UTC)


def digest(record: Mapping[str, Any]) -> str:
    """A short digest of a row's values (``attributes`` left out), telling apart versions with one stamp."""
    values = {k: v for k, v in record.items() if k != "attributes"}
    encoded = orjson.dumps(values, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(encoded, digest_size=6).hexdigest()


def subquery(relationship: str, fields: Sequence[str]) -> str:
    """A parent-to-child subquery of the select list: ``(SELECT Role__c FROM OpportunityLineItems)``."""
    return f"(SELECT {', '.join(dict.fromkeys(fields))} FROM {relationship})"


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal, rounded down to the second (``2024-05-20T20:49:32Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ModstampCursor:
    """Where a poll stands (see the module docstring); ``encode()`` it to store it.

    Attributes:
        stamp: The high-water ``SystemModstamp`` (None before the first record).
        seen: Versions delivered within the overlap window: record id → (stamp in epoch milliseconds,
            digest of the values).
        floor: Rows stamped at or before this count as delivered (``starting_at``, or ``seen`` overflow).
    """

    stamp: datetime | None = None
    seen: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    floor: datetime | None = None

    @classmethod
    def starting_at(cls, moment: datetime) -> ModstampCursor:
        """A cursor that delivers records stamped at or after ``moment`` (a backfill's ``--since``)."""
        if moment.tzinfo is None:
            raise ValueError("starting_at needs an aware datetime, e.g. datetime(2024, 1, 1, tzinfo=UTC)")
        return cls(stamp=moment, floor=moment - timedelta(milliseconds=1))

    def encode(self) -> str:
        """The cursor as compact JSON text."""
        return self.state().encode()

    @classmethod
    def decode(cls, text: str | None) -> ModstampCursor:
        """A stored cursor (None or empty: from the beginning).

        Raises:
            ValueError: the text is not a cursor this code wrote.
        """
        return cls.from_state(StampState.decode(text, "Salesforce change cursor"))

    def state(self) -> StampState:
        """The cursor in epoch milliseconds."""
        return StampState(
            None if self.stamp is None else _ms(self.stamp),
            self.seen,
            None if self.floor is None else _ms(self.floor),
        )

    @classmethod
    def from_state(cls, state: StampState) -> ModstampCursor:
        """The cursor of a watermark in epoch milliseconds."""
        return cls(
            None if state.high is None else _moment(state.high),
            dict(state.seen),
            None if state.floor is None else _moment(state.floor),
        )


@dataclass(frozen=True, slots=True)
class ChangedRecord:
    """One record version found by a poll."""

    record_id: str
    modstamp: datetime
    deleted: bool
    record: Record
    digest: str

    @property
    def version(self) -> str:
        """``<SystemModstamp in epoch ms>:<digest>``: unique per version, even within one stamp."""
        return f"{_ms(self.modstamp)}:{self.digest}"

    def to_change(self, system: str, object_type: str) -> Change:
        """The engine's ``Change`` (``version`` as above; ``attributes`` dropped)."""
        payload = {k: v for k, v in self.record.items() if k != "attributes"}
        return Change(
            system=system,
            object_type=object_type,
            source_id=self.record_id,
            payload=payload,
            changed_at=self.modstamp,
            version=self.version,
            deleted=self.deleted,
        )


class ChangePoll(Poll[ChangedRecord]):
    """One pass over the changes since a cursor: iterate it (or ``take(limit)``), then store ``cursor``.

    Create it with ``changed_since``. The cursor always stands just after the last record handed out, so
    stopping early loses nothing.
    """

    def __init__(
        self,
        client: SalesforceClient,
        sobject: str,
        fields: Sequence[str],
        cursor: ModstampCursor,
        overlap: timedelta,
        *,
        include_deleted: bool,
        batch_size: int | None,
        priority: Priority,
        max_seen: int,
        children: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._children = dict(children or {})
        for name in (sobject, *fields, *self._children, *(f for c in self._children.values() for f in c)):
            if not _NAME.match(name):
                raise CannotEncode(f"{name!r} is not a valid Salesforce object or field name")
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        super().__init__()
        self._client = client
        self._mark = Watermark(cursor.state(), int(overlap.total_seconds() * 1000), max_seen)
        self.soql = self._soql(sobject, fields, include_deleted)
        self._pages = client.query_pages(
            self.soql, include_deleted=include_deleted, batch_size=batch_size, priority=priority
        )
        self._buffer: list[Record] = []
        self._exhausted = False

    def _soql(self, sobject: str, fields: Sequence[str], include_deleted: bool) -> str:
        wanted = [f for f in _SYSTEM_FIELDS if include_deleted or f != "IsDeleted"]
        known = {f.lower() for f in wanted}
        wanted += [f for f in dict.fromkeys(fields) if f.lower() not in known]
        wanted += [subquery(name, child) for name, child in self._children.items()]
        where = ""
        bottom = self._mark.lower_bound()
        if bottom is not None:
            where = f" WHERE SystemModstamp >= {soql_datetime(_moment(bottom))}"
        return f"SELECT {', '.join(wanted)} FROM {sobject}{where} ORDER BY SystemModstamp ASC, Id ASC"

    @property
    def cursor(self) -> ModstampCursor:
        """The cursor after the last record handed out."""
        return ModstampCursor.from_state(self._mark.state())

    async def aclose(self) -> None:
        """Stop reading (the cursor stays valid)."""
        closer = getattr(self._pages, "aclose", None)
        if closer is not None:
            await closer()

    async def _next_new(self) -> ChangedRecord | None:
        while True:
            if not self._buffer:
                if self._exhausted:
                    return None
                page: Page[Record] | None = await anext(self._pages, None)
                if page is None:
                    self._exhausted = True
                    return None
                self._buffer = list(reversed(page.items))
                continue
            found = self._judge(self._buffer.pop())
            if found is not None:
                return found

    def _judge(self, record: Record) -> ChangedRecord | None:
        try:
            record_id = str(record["Id"])
            moment = parse_stamp(str(record["SystemModstamp"]))
        except (KeyError, ValueError) as exc:
            raise TransientError(
                f"Salesforce returned a row without a usable Id/SystemModstamp: {exc}"
            ) from exc
        stamp = _ms(moment)
        values = digest(record)
        if not self._mark.is_new(record_id, stamp, values):
            return None
        return ChangedRecord(record_id, moment, bool(record.get("IsDeleted", False)), record, values)

    def _deliver(self, item: ChangedRecord) -> None:
        self._mark.deliver(item.record_id, _ms(item.modstamp), item.digest)


def changed_since(
    client: SalesforceClient,
    sobject: str,
    fields: Sequence[str],
    cursor: ModstampCursor | str | None,
    overlap: timedelta = DEFAULT_OVERLAP,
    *,
    include_deleted: bool = True,
    batch_size: int | None = None,
    priority: Priority = Priority.NORMAL,
    max_seen: int = MAX_SEEN,
    children: Mapping[str, Sequence[str]] | None = None,
) -> ChangePoll:
    """The records of ``sobject`` changed since ``cursor`` (see the module docstring).

    Args:
        client: The org.
        sobject: The object (``Opportunity``).
        fields: Fields to read besides ``Id``, ``SystemModstamp`` and ``IsDeleted``.
        cursor: Where the last poll stopped (a cursor, its encoded text, or None for everything).
        overlap: How far below the high-water mark to look again for late commits.
        include_deleted: Read through ``queryAll`` so deletions are changes too.
        batch_size: Rows per query page.
        priority: Governor priority.
        max_seen: Bound on the versions remembered within the overlap window.
        children: Related lists read with each record (relationship name → its fields), as
            parent-to-child subqueries (``OpportunityLineItems``: ``Role__c``...).

    Example::

        poll = changed_since(client, "Opportunity", ["Name", "Amount"], stored_cursor)
        batch = await poll.take(500)
        ...record the batch, then store poll.cursor.encode() in the same transaction
    """
    start = cursor if isinstance(cursor, ModstampCursor) else ModstampCursor.decode(cursor)
    return ChangePoll(
        client,
        sobject,
        fields,
        start,
        overlap,
        include_deleted=include_deleted,
        batch_size=batch_size,
        priority=priority,
        max_seen=max_seen,
        children=children,
    )


# -- change events (the CDC seam) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A decoded change event (``ChangeEventHeader`` plus the changed values).

    Attributes:
        replay_id: Position in the event stream (resume after it).
        entity: The object (``Account``).
        change_type: ``CREATE``, ``UPDATE``, ``DELETE``, ``UNDELETE`` or a ``GAP_*`` variant.
        record_ids: The records it concerns (one event may cover many).
        changed_fields: Fields changed by an update.
        change_origin: Who made the change (``com/salesforce/api/rest/60.0;client=concord``).
        commit_timestamp: When the transaction committed.
        fields: The changed values (all non-null values for a create).
    """

    replay_id: int | None
    entity: str
    change_type: str
    record_ids: tuple[str, ...]
    changed_fields: tuple[str, ...]
    change_origin: str
    commit_timestamp: datetime | None
    fields: Mapping[str, Any]

    @property
    def client(self) -> str | None:
        """The ``client=`` of ``changeOrigin`` (``Sforce-Call-Options`` of the writer), if any."""
        match = re.search(r"client=([^;,\s]+)", self.change_origin)
        return None if match is None else match.group(1)

    @property
    def is_gap(self) -> bool:
        """A gap event: the values are not included and must be read from the record."""
        return self.change_type.startswith("GAP_")


def parse_change_event(message: Mapping[str, Any]) -> ChangeEvent:
    """Read a change event: a CometD message ``{"data": {"event": {"replayId"}, "payload": {...}}}`` or a
    decoded Pub/Sub payload ``{"ChangeEventHeader": {...}, ...}``.

    Raises:
        ValueError: it has no ``ChangeEventHeader``.
    """
    data = message.get("data") if isinstance(message.get("data"), Mapping) else None
    payload = data.get("payload") if data is not None else message
    header = payload.get("ChangeEventHeader") if isinstance(payload, Mapping) else None
    if not isinstance(header, Mapping):
        raise ValueError("not a change event: no ChangeEventHeader")
    replay = data.get("event", {}).get("replayId") if data is not None else message.get("replayId")
    committed = header.get("commitTimestamp")
    return ChangeEvent(
        replay_id=None if replay is None else int(replay),
        entity=str(header.get("entityName", "")),
        change_type=str(header.get("changeType", "")),
        record_ids=tuple(str(i) for i in header.get("recordIds") or ()),
        changed_fields=tuple(str(f) for f in header.get("changedFields") or ()),
        change_origin=str(header.get("changeOrigin") or ""),
        commit_timestamp=None if committed is None else _moment(int(committed)),
        fields={k: v for k, v in payload.items() if k != "ChangeEventHeader"},
    )


@dataclass(frozen=True, slots=True)
class ChangeEventBatch:
    """Events fetched from a channel, and the replay id to resume after."""

    events: Sequence[ChangeEvent]
    latest_replay_id: int | None


class ChangeEventTransport(Protocol):
    """Where change events come from (the seam for the Pub/Sub API's ``Subscribe`` over gRPC).

    ``channel`` is ``/data/AccountChangeEvent`` or ``/data/ChangeEvents``; ``replay_id`` None means only
    new events. Implementations decode each event's Avro payload and return ``parse_change_event`` results.
    """

    async def fetch(self, channel: str, replay_id: int | None, limit: int) -> ChangeEventBatch:
        """Up to ``limit`` events after ``replay_id``."""
        ...


async def drain(poll: ChangePoll) -> AsyncIterator[ChangedRecord]:
    """Every record of ``poll``, closing it at the end (a convenience for backfills and tests)."""
    try:
        async for found in poll:
            yield found
    finally:
        await poll.aclose()
