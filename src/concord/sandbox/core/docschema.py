"""Collection definitions, SQL text and row decoding for ``DocStore`` (kept apart to keep it small)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import orjson

DocId = int | str
IdKind = Literal["int", "str"]

_COLLECTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COLUMNS = "id, body, created_at, modified_at, deleted_at"


class DocStoreError(Exception):
    """Base of the document store's errors."""


class UnknownCollectionError(DocStoreError):
    """The collection was never defined with ``DocStore.define``."""


class DocNotFoundError(DocStoreError):
    """No live document has this id."""

    def __init__(self, collection: str, doc_id: DocId) -> None:
        super().__init__(f"{collection} {doc_id!r} does not exist")
        self.collection = collection
        self.doc_id = doc_id


class DuplicateKeyError(DocStoreError):
    """A write would give two live documents the same value of a unique key (or the same id)."""

    def __init__(self, collection: str, key: str, value: object) -> None:
        super().__init__(f"{collection}.{key} = {value!r} is already used by another document")
        self.collection = collection
        self.key = key
        self.value = value


@dataclass(slots=True)
class Doc:
    """One stored document (a snapshot: changing it changes nothing in the store).

    Attributes:
        collection: Collection name.
        id: Integer (auto or given) or caller-given string id.
        data: The JSON document (a fresh dict the caller may mutate).
        created_at: First insert time (emulator clock).
        modified_at: Last write time, including soft delete (emulator clock).
        deleted_at: Soft-delete time, ``None`` while the document is live.
    """

    collection: str
    id: DocId
    data: dict[str, Any]
    created_at: datetime
    modified_at: datetime
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        """Whether the document is soft-deleted."""
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """How a collection is stored: its id kind, its unique secondary keys (top-level fields), and whether
    it has the ``(modified_at, id)`` index that change queries (``DocStore.changed``) use."""

    name: str
    id_kind: IdKind = "int"
    unique: tuple[str, ...] = ()
    change_index: bool = True

    @property
    def table(self) -> str:
        """Quoted table name."""
        return f'"doc_{self.name}"'

    @property
    def insert_sql(self) -> str:
        """The statement inserting one document: ``(id, body, created_at, modified_at)``."""
        return f"INSERT INTO {self.table} (id, body, created_at, modified_at) VALUES (?, ?, ?, ?)"

    def ddl(self) -> list[str]:
        """Statements that create the table and its indexes (idempotent)."""
        id_column = "id INTEGER PRIMARY KEY" if self.id_kind == "int" else "id TEXT PRIMARY KEY NOT NULL"
        index = f'"ix_{self.name}__modified"'
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.table} ({id_column}, body TEXT NOT NULL, "
            "created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, deleted_at INTEGER)",
            f"CREATE INDEX IF NOT EXISTS {index} ON {self.table} (modified_at, id)"
            if self.change_index
            # A file written before the collection gave up the index loses it (it only costs writes).
            else f"DROP INDEX IF EXISTS {index}",
        ]
        for key in self.unique:
            # A partial index: soft-deleted documents free their key, as on the real platforms.
            statements.append(
                f'CREATE UNIQUE INDEX IF NOT EXISTS "ux_{self.name}__{key}" ON {self.table} '
                f"({json_path(key)}) WHERE deleted_at IS NULL"
            )
        return statements


def check_collection_name(name: str) -> str:
    """Return ``name`` if it is a safe collection name, else raise ``ValueError``."""
    if not _COLLECTION_NAME.match(name):
        raise ValueError(
            f"invalid collection name {name!r}: use letters, digits and '_', starting with a letter"
        )
    return name


def json_path(field: str) -> str:
    """SQL expression extracting a top-level field; the name is validated because it is inlined."""
    if not _FIELD_NAME.match(field):
        raise ValueError(f"invalid field name {field!r}: use letters, digits and '_'")
    return f"json_extract(body, '$.{field}')"


def to_micros(moment: datetime) -> int:
    """Microseconds since the epoch (exact, sortable) for an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    """Inverse of ``to_micros``."""
    return _EPOCH + timedelta(microseconds=micros)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Exact digits in the stored JSON; money must not pass through float on the way in.
        return orjson.Fragment(format(value, "f").encode("ascii"))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_body(data: dict[str, Any]) -> str:
    """Serialise a document; ``Decimal`` becomes an exact JSON number, datetimes ISO strings."""
    return orjson.dumps(data, default=_json_default).decode()


def row_to_doc(collection: str, row: tuple[Any, ...]) -> Doc:
    """Decode a ``SELECT {COLUMNS}`` row."""
    doc_id, body, created, modified, deleted = row
    return Doc(
        collection=collection,
        id=doc_id,
        data=orjson.loads(body),
        created_at=from_micros(created),
        modified_at=from_micros(modified),
        deleted_at=None if deleted is None else from_micros(deleted),
    )
