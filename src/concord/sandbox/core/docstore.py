"""A small SQLite document store for an emulator's records.

Design: one table per collection (``doc_<name>``: id, JSON body, created/modified/deleted times as
integer microseconds). A table per collection rather than one generic table because each collection
chooses its id kind (``INTEGER PRIMARY KEY`` auto ids, or caller-given ``TEXT`` ids), gets its own
``(modified_at, id)`` index for change queries, and its unique secondary keys become partial expression
indexes (``json_extract(body, '$.key') WHERE deleted_at IS NULL``) that SQLite itself enforces, with no
key table to keep in step.

Concurrency: one connection guarded by a re-entrant lock. FastAPI runs sync handlers in a threadpool,
and a single connection also makes ``:memory:`` stores work; SQLite serialises writers anyway, and an
emulator's load is far below what one connection handles. WAL with ``synchronous=NORMAL`` because an
emulator's data need not survive a power cut. ``transaction()`` groups several calls atomically
(nested calls use savepoints).

Savepoints are taken lazily: a nested ``transaction()`` costs nothing until something is written inside
it, and levels opened one inside the other with no write in between share one savepoint (the data was
the same when each of them opened, so rolling back to it is right for each). A write that is a single
SQL statement needs no savepoint of its own (SQLite undoes a failed statement by itself). A batch of
record writes, each in its own nested transaction, thus costs one savepoint per record rather than one
per layer of code it passes through.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from concord.sandbox.core.clock import Clock
from concord.sandbox.core.docschema import (
    COLUMNS,
    CollectionSpec,
    Doc,
    DocId,
    DocNotFoundError,
    DuplicateKeyError,
    IdKind,
    UnknownCollectionError,
    check_collection_name,
    dump_body,
    json_path,
    row_to_doc,
    to_micros,
)

Where = Mapping[str, Any]


class DocStore:
    """Collections of JSON documents in one SQLite database. Thread-safe.

    Args:
        path: SQLite file (its folder is created), or ``None`` for a private in-memory database.
        clock: Source of ``created_at``/``modified_at``; the emulator's clock so simulated time shows.
    """

    def __init__(self, path: Path | str | None = None, *, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        target = ":memory:" if self.path is None else str(self.path)
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()
        self._depth = 0
        # One entry per open nested level: the savepoint it rolls back to and whether it releases it
        # (None while nothing was written in it). Unresolved entries are always the innermost ones.
        self._levels: list[tuple[str, bool] | None] = []
        self._savepoints = 0
        self._specs: dict[str, CollectionSpec] = {}

    # -- schema ---------------------------------------------------------------------------------------

    def define(
        self,
        collection: str,
        *,
        id_kind: IdKind = "int",
        unique: Sequence[str] = (),
        change_index: bool = True,
    ) -> CollectionSpec:
        """Create ``collection`` if needed (idempotent) and remember how it is stored.

        Args:
            collection: Name (letters, digits, ``_``).
            id_kind: ``"int"`` for integer ids (auto-assigned when not given) or ``"str"`` for
                caller-given ids.
            unique: Top-level fields whose values must be unique among live documents (external ids).
            change_index: Keep the ``(modified_at, id)`` index that makes ``changed`` fast. An append-only
                log read in id order may do without it: every insert then writes one index fewer
                (``changed`` still answers, by scanning).
        """
        spec = CollectionSpec(check_collection_name(collection), id_kind, tuple(unique), change_index)
        with self.transaction():
            self._will_write()
            for statement in spec.ddl():
                self._conn.execute(statement)
        self._specs[collection] = spec
        return spec

    @property
    def version(self) -> int:
        """A number that changes whenever a document is written (rows inserted, updated or deleted through
        this store's connection, which every write uses): equal versions mean unchanged data, so a reader
        may keep what it derived from the documents."""
        with self._lock:
            return self._conn.total_changes

    @property
    def collections(self) -> dict[str, CollectionSpec]:
        """The defined collections."""
        return dict(self._specs)

    def _spec(self, collection: str) -> CollectionSpec:
        try:
            return self._specs[collection]
        except KeyError:
            raise UnknownCollectionError(
                f"collection {collection!r} is not defined; call DocStore.define({collection!r}) first"
            ) from None

    # -- transactions ---------------------------------------------------------------------------------

    def transaction(self) -> _Transaction:
        """Run the enclosed calls atomically; re-entrant (inner levels are savepoints, taken lazily)."""
        return _Transaction(self)

    def _begin(self) -> None:
        self._lock.acquire()
        try:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            else:
                self._levels.append(None)
            self._depth += 1
        except BaseException:
            self._lock.release()
            raise

    def _end(self, failed: bool) -> None:
        try:
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("ROLLBACK" if failed else "COMMIT")
                return
            level = self._levels.pop()
            if level is None:
                return  # nothing was written inside this level
            name, owner = level
            if failed:
                self._conn.execute(f"ROLLBACK TO {name}")
            if owner:
                self._conn.execute(f"RELEASE {name}")
        finally:
            self._lock.release()

    def _will_write(self) -> None:
        """Give the open levels that have no savepoint yet one shared savepoint (call under the lock,
        before a write)."""
        levels = self._levels
        if not levels or levels[-1] is not None:
            return
        first = len(levels) - 1
        while first > 0 and levels[first - 1] is None:
            first -= 1
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self._conn.execute(f"SAVEPOINT {name}")
        levels[first] = (name, True)
        for index in range(first + 1, len(levels)):
            levels[index] = (name, False)

    # -- writes ---------------------------------------------------------------------------------------

    def insert(self, collection: str, data: Mapping[str, Any], *, doc_id: DocId | None = None) -> Doc:
        """Insert a new document; an int collection assigns the id when ``doc_id`` is ``None``.

        Raises:
            DuplicateKeyError: The id or a unique key is already used by a live document.
        """
        spec = self._spec(collection)
        body = data if type(data) is dict else dict(data)
        if doc_id is None:
            if spec.id_kind == "str":
                raise ValueError(f"collection {collection!r} has string ids: give doc_id/ids")
        else:
            self._check_id(spec, doc_id)
        now = self.clock.now()
        stamp = to_micros(now)
        row = (doc_id, dump_body(body), stamp, stamp)
        # One statement is atomic by itself: no transaction level of its own.
        with self._lock:
            self._will_write()
            try:
                cursor = self._conn.execute(spec.insert_sql, row)
            except sqlite3.IntegrityError as exc:
                raise _duplicate(spec, exc, body, doc_id) from exc
        return Doc(collection, int(cursor.lastrowid or 0) if doc_id is None else doc_id, body, now, now)

    def insert_many(
        self, collection: str, docs: Iterable[Mapping[str, Any]], *, ids: Sequence[DocId] | None = None
    ) -> list[Doc]:
        """Insert many documents in one transaction (all or none); ``ids`` gives their ids, if any.

        Raises:
            DuplicateKeyError: A document's id or unique key is already used (nothing is inserted).
        """
        spec = self._spec(collection)
        rows = [d if type(d) is dict else dict(d) for d in docs]
        if ids is None and spec.id_kind == "str":
            raise ValueError(f"collection {collection!r} has string ids: give doc_id/ids")
        if ids is not None and len(ids) != len(rows):
            raise ValueError(f"{len(ids)} ids for {len(rows)} documents")
        given = None if ids is None else [self._check_id(spec, doc_id) for doc_id in ids]
        now = self.clock.now()
        stamp = to_micros(now)
        params = [
            (None if given is None else given[i], dump_body(d), stamp, stamp) for i, d in enumerate(rows)
        ]
        if len(rows) == 1:
            return [self.insert(collection, rows[0], doc_id=None if given is None else given[0])]
        with self.transaction():
            self._will_write()
            highest = None
            if given is None:
                (highest,) = self._conn.execute(f"SELECT max(id) FROM {spec.table}").fetchone()
            changes_before = self._conn.total_changes
            try:
                self._conn.executemany(spec.insert_sql, params)
            except sqlite3.IntegrityError as exc:
                # executemany stops at the failing row: the rows inserted before it say which one.
                failed = self._conn.total_changes - changes_before
                raise _duplicate(spec, exc, rows[failed], params[failed][0]) from exc
        if given is None:
            # Under the lock and in one transaction SQLite gives rowids max(id)+1, +2, ... in order.
            first = (highest or 0) + 1
            given = list(range(first, first + len(rows)))
        return [Doc(collection, doc_id, data, now, now) for doc_id, data in zip(given, rows, strict=True)]

    def put(self, collection: str, doc_id: DocId, data: Mapping[str, Any]) -> Doc:
        """Create or replace the document ``doc_id`` (a soft-deleted one comes back to life)."""
        spec = self._spec(collection)
        key = self._check_id(spec, doc_id)
        with self._lock:  # a read, then one write statement: atomic under the lock
            current = self.get(collection, key, include_deleted=True)
            if current is None:
                return self.insert(collection, data, doc_id=key)
            return self._write(spec, current, dict(data), revive=True)

    def patch(self, collection: str, doc_id: DocId, changes: Mapping[str, Any]) -> Doc:
        """Merge ``changes`` into the live document's top level (``None`` values are stored as null).

        Raises:
            DocNotFoundError: No live document has this id.
        """
        spec = self._spec(collection)
        with self._lock:
            current = self.get(collection, doc_id)
            if current is None:
                raise DocNotFoundError(collection, doc_id)
            return self._write(spec, current, {**current.data, **changes}, revive=False)

    def upsert_by(
        self,
        collection: str,
        key: str,
        value: object,
        data: Mapping[str, Any],
        *,
        merge: bool = True,
        new_id: DocId | None = None,
    ) -> tuple[Doc, bool]:
        """Update the live document whose unique ``key`` equals ``value``, or insert one; atomic.

        The stored document always carries ``key: value``. ``merge`` patches an existing document
        (``False`` replaces its body); ``new_id`` is the id of a new document in a string-id collection.

        Returns:
            The document and whether it was created.
        """
        spec = self._spec(collection)
        body = {**data, key: value}
        with self._lock:
            current = self.find_by(collection, key, value)
            if current is None:
                return self.insert(collection, body, doc_id=new_id), True
            merged = {**current.data, **body} if merge else body
            return self._write(spec, current, merged, revive=False), False

    def delete(self, collection: str, doc_id: DocId) -> Doc | None:
        """Soft-delete a live document (it stays readable with ``include_deleted``); ``None`` if absent."""
        spec = self._spec(collection)
        with self._lock:
            current = self.get(collection, doc_id)
            if current is None:
                return None
            now = self.clock.now()
            stamp = to_micros(now)
            self._will_write()
            self._conn.execute(
                f"UPDATE {spec.table} SET deleted_at = ?, modified_at = ? WHERE id = ?",
                (stamp, stamp, current.id),
            )
            return Doc(collection, current.id, current.data, current.created_at, now, now)

    def undelete(self, collection: str, doc_id: DocId) -> Doc:
        """Bring a soft-deleted document back (its unique keys must still be free)."""
        spec = self._spec(collection)
        with self._lock:
            current = self.get(collection, doc_id, include_deleted=True)
            if current is None:
                raise DocNotFoundError(collection, doc_id)
            return self._write(spec, current, current.data, revive=True)

    def reset(self) -> None:
        """Delete every document of every collection (definitions stay)."""
        with self.transaction():
            self._will_write()
            for spec in self._specs.values():
                self._conn.execute(f"DELETE FROM {spec.table}")

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    # -- reads ----------------------------------------------------------------------------------------

    def get(self, collection: str, doc_id: DocId, *, include_deleted: bool = False) -> Doc | None:
        """The document with this id, or ``None`` (also for soft-deleted ones unless ``include_deleted``)."""
        spec = self._spec(collection)
        live = "" if include_deleted else " AND deleted_at IS NULL"
        return self._one(spec, f"SELECT {COLUMNS} FROM {spec.table} WHERE id = ?{live}", (doc_id,))

    def find_by(
        self, collection: str, key: str, value: object, *, include_deleted: bool = False
    ) -> Doc | None:
        """The live document whose field ``key`` equals ``value`` (a unique key is indexed)."""
        spec = self._spec(collection)
        live = "" if include_deleted else " AND deleted_at IS NULL"
        # Live documents first, so an include_deleted lookup prefers the current holder of the key.
        sql = (
            f"SELECT {COLUMNS} FROM {spec.table} WHERE {json_path(key)} = ?{live} "
            "ORDER BY deleted_at IS NULL DESC, id LIMIT 1"
        )
        return self._one(spec, sql, (value,))

    def changed(
        self,
        collection: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        include_deleted: bool = False,
        where: Where | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Doc]:
        """Documents with ``since <= modified_at < until``, ordered by ``(modified_at, id)``, paged."""
        spec = self._spec(collection)
        clauses, params = self._filters(include_deleted, where)
        if since is not None:
            clauses.append("modified_at >= ?")
            params.append(to_micros(since))
        if until is not None:
            clauses.append("modified_at < ?")
            params.append(to_micros(until))
        return self._many(spec, clauses, params, "modified_at, id", limit, offset)

    def scan(
        self,
        collection: str,
        *,
        where: Where | None = None,
        include_deleted: bool = False,
        limit: int | None = None,
        offset: int = 0,
        after: DocId | None = None,
    ) -> list[Doc]:
        """Documents ordered by id, optionally filtered by equality on top-level fields, paged; ``after``
        keeps those whose id is greater (a seek on the primary key, unlike ``offset``)."""
        spec = self._spec(collection)
        clauses, params = self._filters(include_deleted, where)
        if after is not None:
            clauses.append("id > ?")
            params.append(after)
        return self._many(spec, clauses, params, "id", limit, offset)

    def last_id(self, collection: str) -> DocId | None:
        """The greatest id in ``collection``, soft-deleted documents included (``None`` when empty). In an
        integer collection the next auto-assigned id is one more."""
        spec = self._spec(collection)
        with self._lock:
            (highest,) = self._conn.execute(f"SELECT max(id) FROM {spec.table}").fetchone()
        return cast(DocId | None, highest)

    def count(self, collection: str, *, where: Where | None = None, include_deleted: bool = False) -> int:
        """How many documents match."""
        spec = self._spec(collection)
        clauses, params = self._filters(include_deleted, where)
        sql = f"SELECT COUNT(*) FROM {spec.table}" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        with self._lock:
            (total,) = self._conn.execute(sql, params).fetchone()
        return int(total)

    # -- helpers --------------------------------------------------------------------------------------

    def _write(self, spec: CollectionSpec, current: Doc, data: dict[str, Any], *, revive: bool) -> Doc:
        now = self.clock.now()
        deleted_at = None if revive else current.deleted_at
        sql = f"UPDATE {spec.table} SET body = ?, modified_at = ?, deleted_at = ? WHERE id = ?"
        deleted_stamp = None if deleted_at is None else to_micros(deleted_at)
        self._will_write()
        try:
            self._conn.execute(sql, (dump_body(data), to_micros(now), deleted_stamp, current.id))
        except sqlite3.IntegrityError as exc:
            raise _duplicate(spec, exc, data, current.id) from exc
        return Doc(spec.name, current.id, data, current.created_at, now, deleted_at)

    @staticmethod
    def _check_id(spec: CollectionSpec, doc_id: DocId) -> DocId:
        expected = int if spec.id_kind == "int" else str
        if isinstance(doc_id, bool) or not isinstance(doc_id, expected):
            raise TypeError(f"collection {spec.name!r} has {spec.id_kind} ids, got {doc_id!r}")
        return doc_id

    @staticmethod
    def _filters(include_deleted: bool, where: Where | None) -> tuple[list[str], list[Any]]:
        clauses = [] if include_deleted else ["deleted_at IS NULL"]
        params: list[Any] = []
        for field, value in (where or {}).items():
            if value is None:
                clauses.append(f"{json_path(field)} IS NULL")
            else:
                clauses.append(f"{json_path(field)} = ?")
                params.append(value)
        return clauses, params

    def _one(self, spec: CollectionSpec, sql: str, params: Sequence[Any]) -> Doc | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row_to_doc(spec.name, row)

    def _many(
        self,
        spec: CollectionSpec,
        clauses: list[str],
        params: list[Any],
        order: str,
        limit: int | None,
        offset: int,
    ) -> list[Doc]:
        sql = f"SELECT {COLUMNS} FROM {spec.table}"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._conn.execute(sql, [*params, -1 if limit is None else limit, offset]).fetchall()
        return [row_to_doc(spec.name, row) for row in rows]


class _Transaction:
    """``DocStore.transaction()``: a plain context manager (cheaper than a generator-based one, and it is
    entered several times per record written)."""

    __slots__ = ("_store",)

    def __init__(self, store: DocStore) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._store._begin()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._store._end(failed=exc_type is not None)


def _duplicate(
    spec: CollectionSpec, exc: sqlite3.IntegrityError, data: Mapping[str, Any], doc_id: DocId | None
) -> DuplicateKeyError:
    """Name the unique key a failed write violated (SQLite names the index in its message)."""
    message = str(exc)
    key = next((k for k in spec.unique if f"ux_{spec.name}__{k}" in message), None)
    if key is None:
        return DuplicateKeyError(spec.name, "id", doc_id)
    return DuplicateKeyError(spec.name, key, data.get(key))
