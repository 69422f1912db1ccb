"""Where the emulator keeps NetSuite records: the core ``DocStore``, one collection per id space.

NetSuite draws entity ids (customers, projects, employees) from one space and transaction ids (sales
orders, invoices, journals, expense reports) from another, so those record types share a collection
and its integer ids; every other type has its own. A document is
``{"recordType", "eidKey", "body": {field: stored value}, "lines": {sublist: [line, ...]}}`` where
``eidKey`` (``"invoice:INV-7"``) makes external ids unique per record type, as in NetSuite.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from concord.sandbox.core.docschema import Doc
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.netsuite.catalog import RECORD_TYPES
from concord.sandbox.netsuite.fields import RecordType

Lines = dict[str, list[dict[str, Any]]]
JOBS = "nsAsyncJob"
IDEMPOTENCY = "nsIdempotencyKey"


@dataclass(frozen=True)
class StoredRecord:
    """One record as stored.

    Attributes:
        type: Its record type.
        id: The internal id (a string, as in the REST API).
        body: Body field name → stored value.
        lines: Sublist name → lines, each with its ``line`` number.
        deleted_at: When it was deleted (only for records read with deleted ones).
        written_at: When the store last wrote it (its document's write time; ``None`` when not read from
            the store).
    """

    type: RecordType
    id: str
    body: dict[str, Any]
    lines: Lines = field(default_factory=dict)
    deleted_at: datetime | None = None
    written_at: datetime | None = None


def collection_of(record_type: RecordType) -> str:
    """The collection holding records of ``record_type``."""
    return "ns_" + record_type.sequence


class RecordRepository:
    """Reads and writes NetSuite records in a ``DocStore``. Thread-safe through the store.

    Args:
        store: The emulator's document store.
    """

    def __init__(self, store: DocStore) -> None:
        self.store = store
        for name in sorted({collection_of(t) for t in RECORD_TYPES.values()}):
            store.define(name, id_kind="int", unique=("eidKey",))
        store.define(JOBS, id_kind="int")
        store.define(IDEMPOTENCY, id_kind="str")

    def get(self, record_type: RecordType, record_id: str) -> StoredRecord | None:
        """The live record of this type and id, or ``None``."""
        doc = self._doc(record_type, record_id)
        if doc is None or doc.data.get("recordType") != record_type.name:
            return None
        return _record(doc)

    def family_type(self, record_type: RecordType, record_id: str) -> str | None:
        """The record type of the live record with this id in ``record_type``'s id space."""
        doc = self._doc(record_type, record_id)
        return None if doc is None else str(doc.data.get("recordType"))

    def get_any(self, type_names: Iterable[str], record_id: str) -> StoredRecord | None:
        """The live record with this id among several record types (a customer-or-project reference)."""
        for name in type_names:
            found = self.get(RECORD_TYPES[name], record_id)
            if found is not None:
                return found
        return None

    def find_external(self, record_type: RecordType, external_id: str) -> StoredRecord | None:
        """The live record of this type with this external id."""
        doc = self.store.find_by(collection_of(record_type), "eidKey", eid_key(record_type, external_id))
        return None if doc is None else _record(doc)

    def insert(self, record_type: RecordType, body: Mapping[str, Any], lines: Lines) -> StoredRecord:
        """Store a new record; the store assigns the internal id."""
        doc = self.store.insert(collection_of(record_type), _document(record_type, dict(body), lines))
        return _record(doc)

    def replace(self, record: StoredRecord, body: Mapping[str, Any], lines: Lines) -> StoredRecord:
        """Overwrite an existing record's body and lines."""
        data = _document(record.type, dict(body), lines)
        doc = self.store.put(collection_of(record.type), int(record.id), data)
        return _record(doc)

    def delete(self, record: StoredRecord) -> None:
        """Delete a record (soft in the store, so SuiteQL's ``deletedrecord`` can show it)."""
        self.store.delete(collection_of(record.type), int(record.id))

    def scan(self, record_type: RecordType) -> list[StoredRecord]:
        """All live records of a type, by id."""
        docs = self.store.scan(collection_of(record_type), where={"recordType": record_type.name})
        return [_record(doc) for doc in docs]

    def scan_types(
        self, record_types: Iterable[RecordType], *, modified_since: datetime | None = None
    ) -> list[StoredRecord]:
        """Live records of several types, reading each collection once, by type order then id.

        Args:
            record_types: The types wanted.
            modified_since: Only documents the store wrote at or after this time (a superset of the
                records whose ``lastModifiedDate`` is at or after it).
        """
        wanted = [t.name for t in record_types]
        found: list[StoredRecord] = []
        for collection in sorted({collection_of(RECORD_TYPES[name]) for name in wanted}):
            if modified_since is None:
                docs = self.store.scan(collection)
            else:
                docs = self.store.changed(collection, since=modified_since)
            found.extend(_record(doc) for doc in docs if doc.data.get("recordType") in wanted)
        found.sort(key=lambda r: (wanted.index(r.type.name), int(r.id)))
        return found

    def page(self, record_type: RecordType, offset: int, limit: int) -> tuple[list[StoredRecord], int]:
        """One page of live records of a type, by id, and how many there are in all."""
        collection, where = collection_of(record_type), {"recordType": record_type.name}
        docs = self.store.scan(collection, where=where, limit=limit, offset=offset)
        return [_record(doc) for doc in docs], self.store.count(collection, where=where)

    def deleted(self, record_type: RecordType) -> list[StoredRecord]:
        """Deleted records of a type, with their deletion time."""
        docs = self.store.scan(
            collection_of(record_type), where={"recordType": record_type.name}, include_deleted=True
        )
        return [_record(doc) for doc in docs if doc.deleted_at is not None]

    def _doc(self, record_type: RecordType, record_id: str) -> Doc | None:
        if not (record_id.isascii() and record_id.isdigit()) or len(record_id) > 18:
            return None
        return self.store.get(collection_of(record_type), int(record_id))


def eid_key(record_type: RecordType, external_id: str) -> str:
    """The unique key of an external id within its record type."""
    return f"{record_type.name}:{external_id}"


def _document(record_type: RecordType, body: dict[str, Any], lines: Lines) -> dict[str, Any]:
    external_id = body.get("externalId")
    return {
        "recordType": record_type.name,
        "eidKey": None if external_id is None else eid_key(record_type, str(external_id)),
        "body": body,
        "lines": lines,
    }


def _record(doc: Doc) -> StoredRecord:
    record_type = RECORD_TYPES[str(doc.data["recordType"])]
    return StoredRecord(
        type=record_type,
        id=str(doc.id),
        body=dict(doc.data.get("body") or {}),
        lines={name: list(items) for name, items in (doc.data.get("lines") or {}).items()},
        deleted_at=doc.deleted_at,
        written_at=doc.modified_at,
    )
