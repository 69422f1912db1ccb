"""Read fewer records for incremental queries: a ``lastmodifieddate >= <constant>`` condition of the
top-level ``AND`` lets the table loader ask the document store only for documents written since then.

The store's write time is never earlier than the record's ``lastModifiedDate`` (which is the same clock,
truncated to the second), so the documents it returns are a superset of the rows the filter keeps; the
full condition is still evaluated on them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from concord.sandbox.netsuite.suiteql.ast import BoolOp, Column, Compare, Cond, Expr
from concord.sandbox.netsuite.suiteql.evaluate import columns_of, constant_value

MODIFIED = "lastmodifieddate"
_FLIPPED = {">=": "<=", ">": "<", "=": "="}


def modified_lower_bound(where: Cond | None, now: datetime) -> datetime | None:
    """The earliest ``lastmodifieddate`` a row can have and still pass ``where``, if the filter says."""
    if where is None:
        return None
    if isinstance(where, BoolOp):
        if where.op != "AND":
            return None
        bounds = [b for b in (modified_lower_bound(item, now) for item in where.items) if b is not None]
        return max(bounds, default=None)
    if not isinstance(where, Compare):
        return None
    if _is_modified(where.left) and where.op in _FLIPPED:
        return _bound(where.right, now)
    if _is_modified(where.right) and where.op in _FLIPPED.values():
        return _bound(where.left, now)
    return None


def _is_modified(expr: Expr) -> bool:
    return isinstance(expr, Column) and expr.name == MODIFIED


def _bound(expr: Expr, now: datetime) -> datetime | None:
    if any(True for _ in columns_of(expr)):
        return None
    value = constant_value(expr, now)
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None
