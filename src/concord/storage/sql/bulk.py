"""Updating many rows by key in one round trip.

SQLite's executemany runs in C and is fast. On PostgreSQL, psycopg's executemany sends one statement per
row, and a SQLAlchemy ``VALUES`` construct must be recompiled for every batch size; instead the batch goes
as one array per column through ``unnest``, in a statement whose text never changes (so it is prepared
once). Values pass through each column type's own bind processing, exactly as Core would apply it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Table, bindparam, update

CHUNK = 5000


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
    columns = tuple(c for c in rows[0] if c != key)
    if conn.dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c[key] == bindparam(f"k_{key}"))
            .values({**{c: bindparam(f"k_{c}") for c in columns}, **constants})
        )
        conn.execute(statement, [{f"k_{c}": v for c, v in row.items()} for row in rows])
        return
    dialect = conn.dialect
    sql = _unnest_sql(table, key, columns, tuple(constants), dialect)
    fixed = {f"k_{name}": _processor(table, name, dialect)(value) for name, value in constants.items()}
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        arrays = {
            f"a_{name}": [convert(row[name]) for row in chunk]
            for name, convert in ((n, _processor(table, n, dialect)) for n in (key, *columns))
        }
        conn.exec_driver_sql(sql, {**arrays, **fixed})


@lru_cache(maxsize=64)
def _unnest_sql(
    table: Table, key: str, columns: tuple[str, ...], constants: tuple[str, ...], dialect: Dialect
) -> str:
    names = (key, *columns)
    arrays = ", ".join(f"%(a_{n})s::{table.c[n].type.compile(dialect=dialect)}[]" for n in names)
    sets = [f"{c} = s.{c}" for c in columns] + [f"{c} = %(k_{c})s" for c in constants]
    return (
        f"UPDATE {table.name} AS t SET {', '.join(sets)} "
        f"FROM unnest({arrays}) AS s({', '.join(names)}) WHERE t.{key} = s.{key}"
    )


def _processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any]:
    process = table.c[name].type.bind_processor(dialect)
    return process if process is not None else _identity


def _identity(value: Any) -> Any:
    return value
