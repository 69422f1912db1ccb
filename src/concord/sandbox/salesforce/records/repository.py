"""sObject records in the sandbox core's DocStore: one collection per object (``sobj_<Object>``), the
record id as document id, soft delete for the recycle bin (queryAll, undelete).

External-id lookups are case-insensitive on the platform, so every external-id value is also stored
lower-cased in a shadow field ``_lc_<Field>`` (unique fields get the store's unique index on it).
Shadow fields never leave this module.

Children are found through the reference fields that have a child relationship (line items of an
opportunity, its change orders, an account's contacts ...): the store has no non-unique indexes, so a
small index collection (``sf_child_index``: one document per parent and field listing the live children)
is kept in step with every write, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from concord.sandbox.core.docschema import Doc
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import SObjectDef
from concord.sandbox.salesforce.values import Stored

Record = dict[str, Stored]
_SHADOW = "_lc_"
CHILD_INDEX = "sf_child_index"


def collection_name(sobject: SObjectDef | str) -> str:
    """The DocStore collection holding an object's records."""
    name = sobject if isinstance(sobject, str) else sobject.name
    return f"sobj_{name}"


def shadow_key(field_name: str) -> str:
    """The shadow field holding the lower-cased value of an external-id field."""
    return _SHADOW + field_name


class RecordRepository:
    """Reads and writes stored records (stored form: API name to stored value)."""

    def __init__(self, store: DocStore, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog
        for sobject in catalog.all():
            unique = [shadow_key(f.name) for f in sobject.fields if f.external_id and f.unique]
            unique += [f.name for f in sobject.fields if f.unique and not f.external_id]
            store.define(collection_name(sobject), id_kind="str", unique=unique)
        store.define(CHILD_INDEX, id_kind="str")
        self._indexed: dict[str, tuple[str, ...]] = {
            sobject.name: tuple(f.name for f in sobject.fields if f.child_relationship)
            for sobject in catalog.all()
        }

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes atomically (nested calls are savepoints)."""
        with self.store.transaction():
            yield

    # -- reads ----------------------------------------------------------------------------------------

    def get(self, sobject: str, record_id: str, *, include_deleted: bool = False) -> Record | None:
        """One record, or None (also for deleted ones unless ``include_deleted``)."""
        doc = self.store.get(collection_name(sobject), record_id, include_deleted=include_deleted)
        return None if doc is None else _public(doc)

    def scan(self, sobject: str, *, include_deleted: bool = False) -> list[Record]:
        """Every record of ``sobject`` in id (creation) order."""
        docs = self.store.scan(collection_name(sobject), include_deleted=include_deleted)
        return [_public(doc) for doc in docs]

    def scan_written_since(
        self, sobject: str, since: datetime, *, include_deleted: bool = False
    ) -> list[Record]:
        """In id order, the records of ``sobject`` the store wrote at or after ``since``: every write
        stamps ``SystemModstamp`` from the same clock just before the store's own time, so these include
        every record whose ``SystemModstamp`` is at or after ``since`` (a superset: callers still filter).
        """
        docs = self.store.changed(collection_name(sobject), since=since, include_deleted=include_deleted)
        docs.sort(key=lambda doc: str(doc.id))  # the store's id order (binary text order)
        return [_public(doc) for doc in docs]

    def find_by_external_id(self, sobject: SObjectDef, field_name: str, value: str) -> list[Record]:
        """Live records whose external-id field equals ``value`` (case-insensitive)."""
        docs = self.store.scan(collection_name(sobject), where={shadow_key(field_name): value.casefold()})
        return [_public(doc) for doc in docs]

    def find_by(self, sobject: SObjectDef, field_name: str, value: Stored) -> list[Record]:
        """Live records whose field equals ``value`` exactly (through the child index when it has one)."""
        if field_name in self._indexed[sobject.name] and isinstance(value, str):
            found = (
                self.get(sobject.name, child_id)
                for child_id in self._children(sobject.name, field_name, value)
            )
            return [record for record in found if record is not None]
        docs = self.store.scan(collection_name(sobject), where={field_name: value})
        return [_public(doc) for doc in docs]

    def count(self, sobject: str) -> int:
        """Live records of ``sobject``."""
        return self.store.count(collection_name(sobject))

    # -- writes ---------------------------------------------------------------------------------------

    def insert(self, sobject: SObjectDef, record: Record) -> None:
        """Store a new record (its ``Id`` is the document id)."""
        body = self._with_shadows(sobject, record)
        if not any(isinstance(record.get(name), str) for name in self._indexed[sobject.name]):
            # No parent to link it to: one statement, atomic by itself.
            self.store.insert(collection_name(sobject), body, doc_id=str(record["Id"]))
            return
        with self.store.transaction():
            self.store.insert(collection_name(sobject), body, doc_id=str(record["Id"]))
            self._link(sobject.name, record, add=True)

    def insert_many(self, items: Sequence[tuple[SObjectDef, Record]]) -> None:
        """Store new records together (one statement per object), as ``insert`` one by one would."""
        with self.store.transaction():
            grouped: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
            for sobject, record in items:
                bodies, ids = grouped.setdefault(collection_name(sobject), ([], []))
                bodies.append(self._with_shadows(sobject, record))
                ids.append(str(record["Id"]))
            for collection, (bodies, ids) in grouped.items():
                self.store.insert_many(collection, bodies, ids=ids)
            for sobject, record in items:
                if any(isinstance(record.get(name), str) for name in self._indexed[sobject.name]):
                    self._link(sobject.name, record, add=True)

    def replace(self, sobject: SObjectDef, record: Record) -> None:
        """Overwrite a live record with ``record`` (same ``Id``)."""
        record_id = str(record["Id"])
        with self.store.transaction():
            before = self.store.get(collection_name(sobject), record_id)
            moved = [
                name
                for name in self._indexed[sobject.name]
                if before is None or before.data.get(name) != record.get(name)
            ]
            if before is not None and moved:
                self._link(sobject.name, before.data, add=False, fields=moved)
            self.store.put(collection_name(sobject), record_id, self._with_shadows(sobject, record))
            if moved:
                self._link(sobject.name, record, add=True, fields=moved)

    def soft_delete(self, sobject: SObjectDef, record: Record) -> None:
        """Write ``record`` (already stamped ``IsDeleted``) and move it to the recycle bin."""
        with self.store.transaction():
            self.replace(sobject, record)
            self._link(sobject.name, record, add=False)
            self.store.delete(collection_name(sobject), str(record["Id"]))

    def undelete(self, sobject: SObjectDef, record: Record) -> None:
        """Bring a recycled record back with the field values of ``record``."""
        with self.store.transaction():
            self.store.undelete(collection_name(sobject), str(record["Id"]))
            self.replace(sobject, record)
            self._link(sobject.name, record, add=True)

    # -- child index ----------------------------------------------------------------------------------

    def _children(self, sobject: str, field_name: str, parent_id: str) -> list[str]:
        doc = self.store.get(CHILD_INDEX, f"{sobject}.{field_name}:{parent_id}")
        return list(doc.data["ids"]) if doc is not None else []

    def _link(
        self, sobject: str, record: Mapping[str, Any], *, add: bool, fields: Sequence[str] | None = None
    ) -> None:
        for field_name in self._indexed[sobject] if fields is None else fields:
            parent_id = record.get(field_name)
            if not isinstance(parent_id, str):
                continue
            key = f"{sobject}.{field_name}:{parent_id}"
            children = self._children(sobject, field_name, parent_id)
            child_id = str(record["Id"])
            if add and child_id not in children:
                self.store.put(CHILD_INDEX, key, {"ids": [*children, child_id]})
            elif not add and child_id in children:
                children.remove(child_id)
                self.store.put(CHILD_INDEX, key, {"ids": children})

    @staticmethod
    def _with_shadows(sobject: SObjectDef, record: Mapping[str, Stored]) -> dict[str, Any]:
        body: dict[str, Any] = dict(record)
        for field_def in sobject.external_id_fields():
            value = record.get(field_def.name)
            body[shadow_key(field_def.name)] = value.casefold() if isinstance(value, str) else None
        return body


def _public(doc: Doc) -> Record:
    record: Record = {k: v for k, v in doc.data.items() if not k.startswith(_SHADOW)}
    record["IsDeleted"] = doc.deleted
    return record
