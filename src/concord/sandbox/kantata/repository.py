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
from collections.abc import Iterable, Iterator
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


class KantataRepository:
    """Typed access to the emulator's records (a :class:`~concord.sandbox.kantata.hooks.RecordReader`)."""

    def __init__(self, store: DocStore, collections: Iterable[str]) -> None:
        self.store = store
        for collection in collections:
            store.define(collection, id_kind="int")
        self._cache: dict[str, dict[str, Record]] = {}
        self._views: dict[str, CollectionView] = {}
        self._lock = threading.RLock()

    def attach_view(self, collection: str, view: CollectionView) -> None:
        """Serve ``collection`` (read-only) from ``view`` instead of the store."""
        self._views[collection] = view

    def forget(self) -> None:
        """Drop the in-memory copy (after the store was wiped or changed behind the repository)."""
        with self._lock:
            self._cache.clear()
            for view in self._views.values():
                view.forget()

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
        return [record for record in self.all(collection) if record.get(attribute) == value]

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
            for record in saved:
                rows[record["id"]] = record
        return saved

    def replace(self, collection: str, record: Record) -> Record:
        """Overwrite a record's attributes (``record["id"]`` names it)."""
        key = _int_id(record["id"])
        if key is None:
            raise ValueError(f"not a record id: {record['id']!r}")
        with self.transaction():
            rows = self._rows(collection)
            saved = _record(self.store.put(collection, key, _body(record)))
            rows[saved["id"]] = saved
        return saved

    def remove(self, collection: str, record_id: str) -> None:
        """Delete a record (it disappears from every read)."""
        key = _int_id(record_id)
        if key is None:
            return
        with self.transaction():
            rows = self._rows(collection)
            self.store.delete(collection, key)
            rows.pop(str(key), None)


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
