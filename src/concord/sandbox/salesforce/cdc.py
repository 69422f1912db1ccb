"""Change Data Capture: every create, update, delete and undelete appends a change event to a durable
per-org log (a DocStore collection whose integer ids are the replay ids).

Real CDC is delivered over the Pub/Sub API (gRPC) or CometD. The emulator offers a sandbox-only pull
transport with the real event payload, ``GET /services/data/vNN.0/sandbox-cdc/{Channel}?replayId=N``
(see ``api.routes_cdc``); each event is rendered as a CometD message::

    {"channel": "/data/AccountChangeEvent",
     "data": {"schema": "...", "event": {"replayId": 42},
              "payload": {"ChangeEventHeader": {"entityName": "Account", "changeType": "UPDATE",
                          "changedFields": ["Name", "LastModifiedDate"], "recordIds": ["001..."],
                          "changeOrigin": "com/salesforce/api/rest/59.0;client=concord",
                          "commitUser": "005...",
                          "commitTimestamp": 1716238172000, "commitNumber": ..., "transactionKey": "...",
                          "sequenceNumber": 1, "nulledFields": [], "diffFields": []},
                          "Name": "Acme"}}}

Storage: one row per event, whose id is its replay id, or one row for the events a call appends together
(``ChangeLog.append_many``), whose id is the replay id of the last of them.

Payload values: CREATE and UNDELETE carry every non-null field, UPDATE the changed fields (nulled ones
as null), DELETE none. Updates that change nothing emit no event. Events are kept until the data is
reset (the platform keeps them 72 hours).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from concord.sandbox.core.docstore import DocStore
from concord.sandbox.salesforce.records.context import CallContext
from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import FieldType, SObjectDef
from concord.sandbox.salesforce.values import Stored, parse_datetime, to_json

COLLECTION = "cdc_events"
ALL_CHANGES = "ChangeEvents"
_SCAN_WINDOW = 5000
_NOT_IN_EVENTS = frozenset({"Id", "IsDeleted", "SystemModstamp"})
_PRESENT_CACHE = 4096
_GROUP = "events"
"""A stored row holding several events (``append_many``) keeps them under this key."""


def channel_for(entity: str) -> str:
    """CDC channel of an object: ``/data/AccountChangeEvent``, ``/data/Change_Order__ChangeEvent``."""
    base = entity[:-1] if entity.endswith("__c") else entity
    return f"/data/{base}ChangeEvent"


def entity_for_channel(name: str) -> str | None:
    """The object behind a channel name (``AccountChangeEvent`` → ``Account``); None for all changes."""
    if name == ALL_CHANGES:
        return None
    if name.endswith("__ChangeEvent"):
        return name[: -len("__ChangeEvent")] + "__c"
    if name.endswith("ChangeEvent"):
        return name[: -len("ChangeEvent")]
    return ""


def _schema_id(entity: str) -> str:
    digest = hashlib.sha256(f"concord-sandbox:{entity}:v1".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


@dataclass(frozen=True)
class PulledEvents:
    """A page of the log: the events, and the last replay id looked at (resume from it)."""

    events: list[dict[str, Any]]
    latest_replay_id: int


class ChangeLog:
    """Appends and reads change events."""

    def __init__(self, store: DocStore, catalog: Catalog) -> None:
        self._store = store
        self._catalog = catalog
        self._event_names: dict[str, tuple[str, ...]] = {}
        self._present_names: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}
        self._last_stamp: tuple[Stored, int] | None = None
        # Read in replay-id order only (never by modified time): no change index to keep up per event.
        store.define(COLLECTION, id_kind="int", change_index=False)

    def append(
        self,
        sobject: SObjectDef,
        change_type: str,
        record: Mapping[str, Stored],
        changed: list[str],
        ctx: CallContext,
    ) -> int:
        """Record one change of ``record`` (``changed`` fields for UPDATE); returns the replay id (0 when
        ``ctx`` records no changes)."""
        event = self.event(sobject, change_type, record, changed, ctx)
        if event is None:
            return 0
        return int(self._store.insert(COLLECTION, event).id)

    def append_many(self, events: list[dict[str, Any]]) -> None:
        """Record events made by ``event``, in order (consecutive replay ids).

        Several events are stored as one row holding them all, under the replay id of the last of them
        (the one before the first is the log's latest): a row per event cost a collection call's store a
        third of its time. Readers see the same events with the same replay ids either way.
        """
        if len(events) == 1:
            self._store.insert(COLLECTION, events[0])
        elif events:
            with self._store.transaction():  # holds the store's lock from reading the latest id to writing
                last = int(self._store.last_id(COLLECTION) or 0) + len(events)
                self._store.insert(COLLECTION, {_GROUP: events}, doc_id=last)

    def event(
        self,
        sobject: SObjectDef,
        change_type: str,
        record: Mapping[str, Stored],
        changed: list[str],
        ctx: CallContext,
    ) -> dict[str, Any] | None:
        """The stored form of one change event (``None`` when ``ctx`` records no changes); takes the
        next ``sequenceNumber`` of ``ctx``'s transaction."""
        if not ctx.record_changes:
            return None
        header = {
            "entityName": sobject.name,
            "recordIds": [record["Id"]],
            "changeType": change_type,
            "changeOrigin": ctx.change_origin,
            "transactionKey": ctx.transaction_key,
            "sequenceNumber": ctx.next_sequence(),
            "commitTimestamp": self._commit_timestamp(record.get("SystemModstamp")),
            "commitNumber": ctx.commit_number,
            "commitUser": ctx.user_id,
            "nulledFields": [],
            "diffFields": [],
            "changedFields": [],
        }
        payload: dict[str, Any] = {"ChangeEventHeader": header}
        names: Sequence[str]
        if change_type in ("CREATE", "UNDELETE"):
            names = self._present_fields(sobject, record)
        elif change_type == "UPDATE":
            names = changed
            header["changedFields"] = list(changed)
            header["nulledFields"] = [name for name in changed if record.get(name) is None]
        else:
            names = []
        # Stored forms go into the log (numbers as decimal text); read() renders them.
        payload.update({name: record.get(name) for name in names})
        return {"entity": sobject.name, "payload": payload}

    def _event_fields(self, sobject: SObjectDef) -> tuple[str, ...]:
        """The fields a CREATE or UNDELETE event may carry, in the object's order (computed once)."""
        names = self._event_names.get(sobject.name)
        if names is None:
            names = tuple(f.name for f in sobject.fields if f.name not in _NOT_IN_EVENTS)
            self._event_names[sobject.name] = names
        return names

    def _commit_timestamp(self, stamp: Stored) -> int:
        """``_epoch_ms`` of a record's stamp; the last one is kept (a call's records share a few)."""
        last = self._last_stamp
        if last is not None and last[0] == stamp:
            return last[1]
        millis = _epoch_ms(stamp)
        self._last_stamp = (stamp, millis)
        return millis

    def _present_fields(self, sobject: SObjectDef, record: Mapping[str, Stored]) -> tuple[str, ...]:
        """The event fields ``record`` has a value for, in the object's order. Records of one object
        mostly carry the same fields, so the answer is kept per object and set of non-null fields."""
        present = tuple(name for name, value in record.items() if value is not None)
        key = (sobject.name, present)
        names = self._present_names.get(key)
        if names is None:
            names = tuple(name for name in self._event_fields(sobject) if record.get(name) is not None)
            if len(self._present_names) >= _PRESENT_CACHE:
                self._present_names.clear()
            self._present_names[key] = names
        return names

    def latest_replay_id(self) -> int:
        """The newest replay id (0 when the log is empty)."""
        return int(self._store.last_id(COLLECTION) or 0)

    def stored(self, after: int = 0, window: int | None = None) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """The stored events with replay id > ``after`` (and at most ``after + window``), in order, as
        ``(replay id, entity, stored payload)``."""
        start = max(after, 0)
        end = None if window is None else start + window
        for doc in self._store.scan(COLLECTION, after=start, limit=window):
            row_id = int(doc.id)
            group = doc.data.get(_GROUP)
            entries: list[dict[str, Any]] = [doc.data] if group is None else group
            first = row_id - len(entries) + 1
            for replay_id, entry in enumerate(entries, first):
                if replay_id <= start:
                    continue
                if end is not None and replay_id > end:
                    return
                yield replay_id, entry["entity"], entry["payload"]

    def read(self, entity: str | None, after: int, limit: int) -> PulledEvents:
        """Events with replay id > ``after`` (of ``entity``, or all), at most ``limit`` of them.

        Looks at no more than a window of the log per call, so a channel with few events among many
        others still answers quickly; ``latest_replay_id`` tells where to resume.
        """
        events: list[dict[str, Any]] = []
        latest = max(after, 0)
        for replay_id, name, payload in self.stored(after, _SCAN_WINDOW):
            if len(events) >= limit:
                break
            latest = replay_id
            if entity is None or name == entity:
                events.append(self._message(replay_id, name, payload))
        return PulledEvents(events, latest)

    def _message(self, replay_id: int, entity: str, stored: dict[str, Any]) -> dict[str, Any]:
        sobject = self._catalog.get(entity)
        payload: dict[str, Any] = {}
        for name, value in stored.items():
            field_def = sobject.field(name) if sobject is not None else None
            payload[name] = (
                value if field_def is None else _event_value(field_def.type, to_json(field_def, value))
            )
        return {
            "channel": channel_for(entity),
            "data": {"schema": _schema_id(entity), "payload": payload, "event": {"replayId": replay_id}},
        }


def _event_value(kind: FieldType, value: Any) -> Any:
    # CometD renders datetimes with a 'Z' suffix rather than the REST API's '+0000'.
    if kind is FieldType.DATETIME and isinstance(value, str):
        return value.replace("+0000", "Z")
    return value


def _epoch_ms(stamp: Stored) -> int:
    moment = parse_datetime(stamp) if isinstance(stamp, str) else None
    return 0 if moment is None else int(moment.timestamp() * 1000)
