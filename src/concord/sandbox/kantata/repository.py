"""Kantata records kept in the core ``DocStore``: one integer-id collection per resource.

A record's id is the DocStore id, rendered as a string (Kantata renders every id as a string); the stored
body holds every other attribute. Kantata deletes are hard deletes from the API's point of view; the
DocStore's soft delete gives exactly that (gone from reads) while keeping history for debugging.

Reads are served from a write-through, in-memory copy of each collection, loaded from the store on first
use: index requests filter and sort whole collections (tens of thousands of time entries), which decoding
from SQLite on every request would make far slower than the platform. The copy is dropped when a
transaction fails and when the store is wiped (:meth:`KantataRepository.forget`). Returned records are
shared with the cache: callers copy before changing them.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from concord.sandbox.core.docschema import Doc
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.kantata.hooks import Record


class CollectionView(Protocol):
    """A collection whose records another component keeps (the events feed)."""

    def rows(self) -> dict[str, Record]:
        """Live records by id, in id order."""
        ...

    def forget(self) -> None:
        """Drop any in-memory copy."""
        ...


def _record(doc: Doc) -> Record:
    data = doc.data
    data["id"] = str(doc.id)
    return data


def _body(record: Record) -> dict[str, Any]:
    if "id" not in record:
        return record
    return {key: value for key, value in record.items() if key != "id"}


def _int_id(record_id: str) -> int | None:
    text = str(record_id).strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


class _Lookups:
    """Equality indexes over one cached collection, kept in step with its rows: ``find`` in a collection
    of tens of thousands (external references, one per synced record) without reading all of them.

    ``order`` mirrors the position of each record in the rows (a dict keeps a key's place when its value
    is replaced, and puts a new key last), so that answers come in the rows' order, as a scan gives them.
    """

    def __init__(self, rows: dict[str, Record]) -> None:
        self.order = {rid: position for position, rid in enumerate(rows)}
        self.next = len(self.order)
        self.rows = rows
        self.by: dict[str, dict[Any, dict[str, Record]]] = {}

    def index(self, attribute: str) -> dict[Any, dict[str, Record]]:
        found = self.by.get(attribute)
        if found is None:
            found = self.by[attribute] = {}
            for rid, record in self.rows.items():
                self._add(found, attribute, rid, record)
        return found

    @staticmethod
    def _add(index: dict[Any, dict[str, Record]], attribute: str, rid: str, record: Record) -> None:
        value = record.get(attribute)
        if isinstance(value, Hashable):  # an unhashable value never equals a looked-up str or bool
            index.setdefault(value, {})[rid] = record

    @staticmethod
    def _drop(index: dict[Any, dict[str, Record]], attribute: str, rid: str, record: Record) -> None:
        value = record.get(attribute)
        if isinstance(value, Hashable):
            bucket = index.get(value)
            if bucket is not None:
                bucket.pop(rid, None)

    def stored(self, rid: str, before: Record | None, after: Record) -> None:
        """``after`` now sits in the rows under ``rid`` (replacing ``before``, if there was one)."""
        if before is None:
            self.order[rid] = self.next
            self.next += 1
        for attribute, index in self.by.items():
            if before is not None:
                self._drop(index, attribute, rid, before)
            self._add(index, attribute, rid, after)

    def removed(self, rid: str, before: Record) -> None:
        self.order.pop(rid, None)
        for attribute, index in self.by.items():
            self._drop(index, attribute, rid, before)

    def find(self, attribute: str, value: Any) -> list[Record]:
        bucket = self.index(attribute).get(value)
        if not bucket:
            return []
        order = self.order
        return [bucket[rid] for rid in sorted(bucket, key=order.__getitem__)]


class KantataRepository:
    """Typed access to the emulator's records (a :class:`~concord.sandbox.kantata.hooks.RecordReader`)."""

    def __init__(self, store: DocStore, collections: Iterable[str]) -> None:
        self.store = store
        for collection in collections:
            store.define(collection, id_kind="int")
        self._cache: dict[str, dict[str, Record]] = {}
        self._lookups: dict[str, _Lookups] = {}
        self._views: dict[str, CollectionView] = {}
        self._lock = threading.RLock()
        self.version = 0
        """Changes after every write (and ``forget``): what a reader derived from the records at one
        version (a sorted list) holds as long as it is unchanged. Collections served by a view are not
        counted."""

    def attach_view(self, collection: str, view: CollectionView) -> None:
        """Serve ``collection`` (read-only) from ``view`` instead of the store."""
        self._views[collection] = view

    def has_view(self, collection: str) -> bool:
        """Whether ``collection`` is served by a view (its changes do not move ``version``)."""
        return collection in self._views

    def forget(self) -> None:
        """Drop the in-memory copy (after the store was wiped or changed behind the repository)."""
        with self._lock:
            self._cache.clear()
            self._lookups.clear()
            for view in self._views.values():
                view.forget()
            self.version += 1

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes atomically (re-entrant); a failure drops the in-memory copy."""
        try:
            with self._lock, self.store.transaction():
                yield
        except BaseException:
            self.forget()
            raise

    def _rows(self, collection: str) -> dict[str, Record]:
        view = self._views.get(collection)
        if view is not None:
            return view.rows()
        rows = self._cache.get(collection)
        if rows is None:
            with self._lock:
                rows = self._cache.get(collection)
                if rows is None:
                    rows = {str(doc.id): _record(doc) for doc in self.store.scan(collection)}
                    self._cache[collection] = rows
        return rows

    def get(self, collection: str, record_id: str) -> Record | None:
        """The live record with this id, or ``None`` (also for ids that are not positive integers)."""
        key = _int_id(record_id)
        return None if key is None else self._rows(collection).get(str(key))

    def find(self, collection: str, attribute: str, value: str | bool) -> list[Record]:
        """Live records whose ``attribute`` equals ``value``, by id."""
        if collection in self._views or not isinstance(value, Hashable):
            return [record for record in self.all(collection) if record.get(attribute) == value]
        with self._lock:
            lookups = self._lookups.get(collection)
            if lookups is None:
                lookups = self._lookups[collection] = _Lookups(self._rows(collection))
            return lookups.find(attribute, value)

    def all(self, collection: str) -> list[Record]:
        """Every live record of ``collection``, by id."""
        return list(self._rows(collection).values())

    def count(self, collection: str) -> int:
        """How many live records ``collection`` has."""
        return len(self._rows(collection))

    def insert_many(self, collection: str, records: list[Record]) -> list[Record]:
        """Store new records in one transaction; returns them with their new ids."""
        with self.transaction():
            rows = self._rows(collection)
            docs = self.store.insert_many(collection, [_body(record) for record in records])
            saved = [_record(doc) for doc in docs]
            lookups = self._lookups.get(collection)
            for record in saved:
                before = rows.get(record["id"])
                rows[record["id"]] = record
                if lookups is not None:
                    lookups.stored(record["id"], before, record)
            self.version += 1
        return saved

    def replace(self, collection: str, record: Record) -> Record:
        """Overwrite a record's attributes (``record["id"]`` names it)."""
        key = _int_id(record["id"])
        if key is None:
            raise ValueError(f"not a record id: {record['id']!r}")
        with self.transaction():
            rows = self._rows(collection)
            saved = _record(self.store.put(collection, key, _body(record)))
            before = rows.get(saved["id"])
            rows[saved["id"]] = saved
            lookups = self._lookups.get(collection)
            if lookups is not None:
                lookups.stored(saved["id"], before, saved)
            self.version += 1
        return saved

    def remove(self, collection: str, record_id: str) -> None:
        """Delete a record (it disappears from every read)."""
        key = _int_id(record_id)
        if key is None:
            return
        with self.transaction():
            rows = self._rows(collection)
            self.store.delete(collection, key)
            before = rows.pop(str(key), None)
            lookups = self._lookups.get(collection)
            if lookups is not None and before is not None:
                lookups.removed(str(key), before)
            self.version += 1


class RequestReader:
    """A read-through cache over the repository for the span of one request.

    Validating a bulk create looks up the same project, task and participations for every object; the
    cache turns those hundreds of look-ups into a handful. Cached records must not be mutated.
    """

    def __init__(self, repo: KantataRepository) -> None:
        self._repo = repo
        self._gets: dict[tuple[str, str], Record | None] = {}
        self._finds: dict[tuple[str, str, str | bool], list[Record]] = {}

    def get(self, collection: str, record_id: str) -> Record | None:
        """Cached :meth:`KantataRepository.get`."""
        key = (collection, str(record_id))
        if key not in self._gets:
            self._gets[key] = self._repo.get(collection, str(record_id))
        return self._gets[key]

    def find(self, collection: str, attribute: str, value: str | bool) -> list[Record]:
        """Cached :meth:`KantataRepository.find`."""
        key = (collection, attribute, value)
        if key not in self._finds:
            self._finds[key] = self._repo.find(collection, attribute, value)
        return self._finds[key]
