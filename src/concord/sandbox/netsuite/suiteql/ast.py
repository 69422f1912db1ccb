"""Syntax tree of a parsed SuiteQL query."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Column:
    """A column reference; ``name`` is lower-cased, any table qualifier already removed."""

    name: str


@dataclass(frozen=True)
class Literal:
    """A string, number or NULL literal."""

    value: str | Decimal | None


@dataclass(frozen=True)
class Call:
    """A function call; ``name`` is upper-cased (``TO_DATE``, ``COUNT``...). ``star`` for ``COUNT(*)``."""

    name: str
    args: tuple[Expr, ...]
    star: bool = False


Expr = Column | Literal | Call


@dataclass(frozen=True)
class Compare:
    """``left op right`` with op one of ``= != < <= > >=``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InList:
    """``expr [NOT] IN (a, b, ...)``."""

    expr: Expr
    items: tuple[Expr, ...]
    negated: bool


@dataclass(frozen=True)
class IsNull:
    """``expr IS [NOT] NULL``."""

    expr: Expr
    negated: bool


@dataclass(frozen=True)
class Like:
    """``expr [NOT] LIKE pattern``."""

    expr: Expr
    pattern: Expr
    negated: bool


@dataclass(frozen=True)
class Between:
    """``expr [NOT] BETWEEN low AND high``."""

    expr: Expr
    low: Expr
    high: Expr
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    """``AND`` / ``OR`` of several conditions."""

    op: str
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    """``NOT cond``."""

    item: Cond


Cond = Compare | InList | IsNull | Like | Between | BoolOp | Not


@dataclass(frozen=True)
class SelectItem:
    """One output column and the name it is returned under (lower-cased)."""

    expr: Expr
    name: str


@dataclass(frozen=True)
class OrderItem:
    """One ``ORDER BY`` key."""

    expr: Expr
    descending: bool


@dataclass(frozen=True)
class Query:
    """A single-table ``SELECT``.

    Attributes:
        items: Output columns; empty for ``SELECT *``.
        table: The table name, lower-cased.
        where: The filter, if any.
        order: ``ORDER BY`` keys.
        top: ``SELECT TOP n`` or ``FETCH FIRST n ROWS ONLY`` row cap.
        distinct: ``SELECT DISTINCT``.
    """

    items: tuple[SelectItem, ...]
    table: str
    where: Cond | None
    order: tuple[OrderItem, ...]
    top: int | None
    distinct: bool
