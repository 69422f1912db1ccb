"""Reading rows on the engine's hot path through the raw driver.

The claim, the settle and the dispatcher read thousands of rows a second. Core's result processing (a
type processor per column and row, then a Row per access) costs more there than the queries themselves,
so these paths run plain SQL and convert only the columns that need it (JSON text, UTC timestamps) by the
same rules as the column types in ``types.py``.

SQL is written once with ``?`` placeholders and adapted per driver (binary parameters on PostgreSQL:
psycopg's text form of an array escapes every element); a list of keys is matched with ``= ANY(array)``
on PostgreSQL (one statement whatever its length) and with ``IN (?, ...)`` chunks on SQLite (which caps
bound parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Table

from concord.storage.sql.types import JSONText, UTCDateTime

IN_CHUNK = 500
Convert = Callable[[Any], Any]


def placeholders(conn: Connection, sql: str) -> str:
    """``sql`` with its ``?`` placeholders in the driver's style."""
    return _pyformat(sql) if conn.dialect.name == "postgresql" else sql


def fetch(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    sql: str,
    params: Sequence[Any] = (),
) -> list[list[Any]]:
    """Run a query that selects ``names`` of ``table`` and return its rows with values converted."""
    result = conn.exec_driver_sql(placeholders(conn, sql), tuple(params))
    try:
        rows = result.cursor.fetchall()  # the driver's tuples: no Row objects built just to be unpacked
    finally:
        result.close()
    return decode(conn, table, names, rows)


def fetch_in(
    conn: Connection,
    table: Table,
    names: Sequence[str],
    sql: str,
    column: str,
    keys: Sequence[Any],
    params: Sequence[Any] = (),
) -> list[list[Any]]:
    """Rows of ``sql`` whose ``column`` is one of ``keys``; ``sql`` holds ``{keys}`` where the test goes.

    The key test comes first among the placeholders, then ``params``.
    """
    if not keys:
        return []
    if conn.dialect.name == "postgresql":
        array = f"{column} = ANY(?::{pg_type(table, column)}[])"
        return fetch(conn, table, names, sql.format(keys=array), (list(keys), *params))
    found: list[list[Any]] = []
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        test = f"{column} IN ({', '.join('?' * len(chunk))})"
        found += fetch(conn, table, names, sql.format(keys=test), (*chunk, *params))
    return found


def plan_as_probes(conn: Connection) -> None:
    """On PostgreSQL, plan the rest of this transaction's statements as index probes.

    The engine's statements touch a batch of rows by key in tables that grow by thousands of rows a
    second. With statistics that lag behind (autovacuum cannot keep up), the planner joins a batch to
    its table with a sequential scan and a hash join, so every batch reads the whole table and the cost
    grows with the table. ``SET LOCAL`` ends with the transaction, so nothing else is affected.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        )


def decode(conn: Connection, table: Table, names: Sequence[str], rows: Sequence[Any]) -> list[list[Any]]:
    """Driver rows as lists of Python values (JSON parsed, timestamps aware UTC)."""
    dialect = conn.dialect.name
    readers = [(i, _reader(table, n, dialect)) for i, n in enumerate(names)]
    needed = [(i, c if c is orjson.loads else once_per_value(c)) for i, c in readers if c is not None]
    out: list[list[Any]] = []
    for row in rows:
        values = list(row)
        for index, convert in needed:
            value = values[index]
            if value is not None:
                values[index] = convert(value)
        out.append(values)
    return out


def columns(names: Sequence[str], alias: str = "") -> str:
    """A select list."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{n}" for n in names)


def once_per_value(convert: Convert) -> Convert:
    """Timestamps repeat across rows (a transaction stamps all it writes with one ``now``)."""
    seen: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = convert(value)
            return converted

    return cached


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%b")


@lru_cache(maxsize=512)
def pg_type(table: Table, column: str) -> str:
    """The column's type as PostgreSQL spells it (for casts of bound arrays)."""
    from sqlalchemy.dialects import postgresql

    return str(table.c[column].type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


@lru_cache(maxsize=512)
def _reader(table: Table, name: str, dialect: str) -> Convert | None:
    column_type = table.c[name].type
    if isinstance(column_type, JSONText):
        return orjson.loads
    if isinstance(column_type, UTCDateTime):
        return _sqlite_time if dialect == "sqlite" else _utc
    return None


def _sqlite_time(value: str | datetime) -> datetime:
    # Stored as UTC text without an offset (see types.UTCDateTime); read back aware.
    if isinstance(value, datetime):
        return _utc(value)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if value.tzinfo is UTC else value.astimezone(UTC)
