"""The parsed form of a SOQL query (the supported subset)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum


@dataclass(frozen=True)
class FieldPath:
    """A field reference: ``Name``, or through relationships ``Account.Owner.Name``."""

    parts: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        """The path as written."""
        return ".".join(self.parts)


class LiteralKind(Enum):
    """What a literal is, which decides the field types it may be compared with."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    DATE = "date"
    DATETIME = "datetime"
    DATE_RANGE = "date literal"


@dataclass(frozen=True)
class Literal:
    """A value in a condition.

    ``value`` holds the decoded text of strings, dates and datetimes, a Decimal for numbers, a bool
    for booleans, None for null, and the literal's name (``LAST_N_DAYS``) for date ranges, whose
    ``n`` is in ``n``.
    """

    kind: LiteralKind
    value: str | Decimal | bool | None
    position: int
    n: int = 0


@dataclass(frozen=True)
class Comparison:
    """``field op value``; ``op`` is one of ``= != < <= > >= LIKE IN NOT IN``."""

    field: FieldPath
    op: str
    values: tuple[Literal, ...]
    position: int


@dataclass(frozen=True)
class BoolOp:
    """``AND`` / ``OR`` of two or more conditions."""

    op: str
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """``NOT condition``."""

    item: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderItem:
    """One ``ORDER BY`` key."""

    field: FieldPath
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    """A whole query. ``count_only`` is ``SELECT COUNT()``; ``subqueries`` are parent-to-child
    relationship queries in the select list."""

    fields: tuple[FieldPath, ...]
    subqueries: tuple[Query, ...]
    count_only: bool
    sobject: str
    sobject_position: int
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None
