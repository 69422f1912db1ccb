"""Writing many rows in one round trip, on the engine's hot path.

Core's per-row parameter processing costs more than SQLite's own executemany, so batches are written as
driver-level statements with values converted once per column by the same rules as the column types in
``types.py`` (UTC timestamps, JSON text). On PostgreSQL a batch goes as one array per column through
``unnest``, in a statement whose text never changes: one round trip, prepared once, where psycopg's
executemany would send a statement per row. The arrays travel in binary (``%b``): psycopg's text form of
an array quotes and escapes every element, which for JSON documents cost more than the statement did.
A column that holds one value in every row of a batch (a status, ``now``, the step's name) goes as that
one value instead of an array: building arrays element by element is most of the client's work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection, Table

from concord.storage.sql.rows import once_per_value, pg_type, plan_as_probes
from concord.storage.sql.types import JSONText, UTCDateTime

CHUNK = 5000
Convert = Callable[[Any], Any]


def insert_many(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys)."""
    if not rows:
        return
    names = tuple(rows[0])
    dialect = conn.dialect.name
    converters = [converter(table, n, dialect) for n in names]
    if dialect == "postgresql":
        for chunk in _chunks(rows):
            arrays, constants = _pg_columns(table, chunk, names, converters)
            conn.exec_driver_sql(_pg_insert_sql(table, names, tuple(constants)), {**arrays, **constants})
        return
    conn.exec_driver_sql(_sqlite_insert_sql(table, names), _tuples(rows, names, converters))


def update_many(
    conn: Connection,
    table: Table,
    key: str,
    rows: Sequence[dict[str, Any]],
    constants: dict[str, Any] | None = None,
) -> None:
    """Set each row's columns (and ``constants``) on the record whose ``key`` equals the row's."""
    if not rows:
        return
    constants = constants or {}
    dialect = conn.dialect.name
    columns = tuple(c for c in rows[0] if c != key)
    fixed = tuple(converter(table, n, dialect)(v) for n, v in constants.items())
    if dialect == "postgresql":
        plan_as_probes(conn)  # else each batch is hash-joined to a full scan of the table
        names = (key, *columns)
        converters = [converter(table, n, dialect) for n in names]
        fixed_params = {f"k_{n}": v for n, v in zip(constants, fixed, strict=True)}
        for chunk in _chunks(rows):
            arrays, same = _pg_columns(table, chunk, names, converters, keep=key)
            varying = tuple(n for n in columns if f"k_{n}" not in same)
            sql = _pg_update_sql(table, key, varying, (*constants, *(k[2:] for k in same)))
            conn.exec_driver_sql(sql, {**arrays, **same, **fixed_params})
        return
    names = (*columns, key)
    params = _tuples(rows, names, [converter(table, n, dialect) for n in names])
    if fixed:
        params = [(*values[:-1], *fixed, values[-1]) for values in params]
    conn.exec_driver_sql(_sqlite_update_sql(table, key, columns, tuple(constants)), params)


def _tuples(rows: Sequence[dict[str, Any]], names: tuple[str, ...], converters: list[Convert]) -> list[Any]:
    """Row values in column order, converted only where the column type needs it."""
    needed = [
        (i, c if c is _json else once_per_value(c)) for i, c in enumerate(converters) if c is not _identity
    ]
    out: list[Any] = []
    for row in rows:
        values = [row[name] for name in names]
        for index, convert in needed:
            values[index] = convert(values[index])
        out.append(tuple(values))
    return out


def _chunks(rows: Sequence[dict[str, Any]]) -> list[Sequence[dict[str, Any]]]:
    return [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]


def _pg_columns(
    table: Table,
    rows: Sequence[dict[str, Any]],
    names: tuple[str, ...],
    converters: list[Convert],
    keep: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parameters for a batch: ``a_<name>`` arrays, and ``k_<name>`` for columns with one value throughout.

    The first column (or ``keep``) stays an array whatever it holds, so the batch always has its rows.
    JSON columns always go as arrays: equal documents can still differ in how they are written.
    """
    keep = keep or names[0]
    arrays: dict[str, Any] = {}
    constants: dict[str, Any] = {}
    for name, convert in zip(names, converters, strict=True):
        values = [row[name] for row in rows]
        if name != keep and convert is not _json and values.count(values[0]) == len(values):
            constants[f"k_{name}"] = convert(values[0])
        else:
            arrays[f"a_{name}"] = values if convert is _identity else [convert(v) for v in values]
    return arrays, constants


@lru_cache(maxsize=128)
def _sqlite_insert_sql(table: Table, names: tuple[str, ...]) -> str:
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"


@lru_cache(maxsize=128)
def _sqlite_update_sql(table: Table, key: str, columns: tuple[str, ...], constants: tuple[str, ...]) -> str:
    sets = ", ".join(f"{c} = ?" for c in (*columns, *constants))
    return f"UPDATE {table.name} SET {sets} WHERE {key} = ?"


@lru_cache(maxsize=256)
def _pg_insert_sql(table: Table, names: tuple[str, ...], constants: tuple[str, ...]) -> str:
    """``constants`` holds the ``k_<name>`` parameters that go as one value for every row."""
    varying = tuple(n for n in names if f"k_{n}" not in constants)
    select = ", ".join(f"s.{n}" if n in varying else f"%(k_{n})s::{pg_type(table, n)}" for n in names)
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {select} "
        f"FROM unnest({_pg_arrays(table, varying)}) AS s({', '.join(varying)})"
    )


@lru_cache(maxsize=256)
def _pg_update_sql(table: Table, key: str, columns: tuple[str, ...], constants: tuple[str, ...]) -> str:
    names = (key, *columns)
    sets = [f"{c} = s.{c}" for c in columns] + [f"{c} = %(k_{c})s" for c in constants]
    return (
        f"UPDATE {table.name} AS t SET {', '.join(sets)} "
        f"FROM unnest({_pg_arrays(table, names)}) AS s({', '.join(names)}) WHERE t.{key} = s.{key}"
    )


def _pg_arrays(table: Table, names: tuple[str, ...]) -> str:
    return ", ".join(f"%(a_{n})b::{pg_type(table, n)}[]" for n in names)


@lru_cache(maxsize=512)
def converter(table: Table, name: str, dialect: str) -> Convert:
    """How a Python value of ``table.name`` is bound through the raw driver of ``dialect``."""
    column_type = table.c[name].type
    if isinstance(column_type, JSONText):
        return _json
    if isinstance(column_type, UTCDateTime):
        return _sqlite_time if dialect == "sqlite" else _aware_time
    return _identity


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


def _sqlite_time(value: datetime | None) -> str | None:
    # The same text SQLAlchemy's SQLite DATETIME writes, so reads and comparisons agree.
    if value is None:
        return None
    return _aware_time(value).replace(tzinfo=None).isoformat(" ", "microseconds")  # type: ignore[union-attr]


def _aware_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use an aware UTC datetime")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def _identity(value: Any) -> Any:
    return value
