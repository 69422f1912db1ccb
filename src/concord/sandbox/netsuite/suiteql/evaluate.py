"""Run a parsed SuiteQL query over rows of typed values.

Values inside the evaluator are Python types: ``str``, ``int``, ``Decimal``, ``date``, ``datetime``
(aware UTC) or ``None``. Booleans are the strings ``'T'``/``'F'`` as in SuiteQL. Conditions use SQL's
three-valued logic: a comparison with NULL is unknown, and only rows whose filter is true are kept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from concord.sandbox.netsuite.suiteql import formats
from concord.sandbox.netsuite.suiteql.ast import (
    Between,
    BoolOp,
    Call,
    Column,
    Compare,
    Cond,
    Expr,
    InList,
    IsNull,
    Like,
    Literal,
    Not,
    Query,
)
from concord.sandbox.netsuite.suiteql.lexer import SuiteQLSyntaxError

Value = str | int | Decimal | date | datetime | None
Row = Mapping[str, Value]
_AGGREGATES = frozenset({"COUNT", "SUM", "MIN", "MAX", "AVG"})


@dataclass(frozen=True)
class Result:
    """Output rows (column name → value) in order: all of them, or the window asked for.

    Attributes:
        columns: The output columns.
        rows: The rows (only those of the window, when ``execute`` was given one).
        total: How many rows the whole result has.
    """

    columns: tuple[str, ...]
    rows: list[dict[str, Value]]
    total: int = -1

    def __post_init__(self) -> None:
        if self.total < 0:
            object.__setattr__(self, "total", len(self.rows))


def execute(
    query: Query,
    columns: tuple[str, ...],
    rows: Iterable[Row],
    now: datetime,
    *,
    window: tuple[int, int] | None = None,
    cap: int | None = None,
) -> Result:
    """Filter, order, project and cap ``rows`` as ``query`` says.

    Args:
        query: The parsed query.
        columns: The table's columns, in ``SELECT *`` order.
        rows: The table's rows.
        now: ``SYSDATE``.
        window: ``(offset, limit)``: project only these rows of the result (a page); ``total`` still
            counts them all. Projecting is the costly part, and a page is all a request returns.
        cap: At most this many rows count as the result (before the window).

    Returns:
        The result rows.

    Raises:
        SuiteQLSyntaxError: On an unknown column, a bad function call or an impossible conversion.
    """
    known = set(columns)
    _check_columns(query, known)
    ev = _Evaluator(now)
    if query.where is None:
        kept = list(rows)
    else:
        test = ev.test(query.where)
        kept = [row for row in rows if test(row) is True]
    aliases = {item.name: item.expr for item in query.items}
    if query.order:
        kept = _ordered(ev, query, aliases, kept)
    if any(_is_aggregate(item.expr) for item in query.items):
        out = [{item.name: ev.aggregate(item.expr, kept) for item in query.items}]
        return Result(tuple(item.name for item in query.items), out)
    names = tuple(item.name for item in query.items) or columns

    def project(row: Row) -> dict[str, Value]:
        return {item.name: ev.value(item.expr, row) for item in query.items} if query.items else dict(row)

    limits = [n for n in (query.top, cap) if n is not None]
    if query.distinct or window is None:
        projected = [project(row) for row in kept]
        if query.distinct:
            projected = _distinct(projected, names)
        if limits:
            projected = projected[: min(limits)]
        if window is None:
            return Result(names, projected)
        offset, limit = window
        return Result(names, projected[offset : offset + limit], len(projected))
    # Without DISTINCT every kept row is one output row: project the window's rows only.
    total = min([len(kept), *limits])
    offset, limit = window
    return Result(names, [project(row) for row in kept[offset : min(offset + limit, total)]], total)


def render(value: Value) -> str | None:
    """A value as SuiteQL's JSON returns it (a string), or ``None`` when the column is left out."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return formats.display_datetime(value)
    if isinstance(value, date):
        return formats.display_date(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _check_columns(query: Query, known: set[str]) -> None:
    # ORDER BY may name a select-list alias; everything else must name a column of the table.
    aliases = {item.name for item in query.items}
    nodes: list[tuple[Expr | Cond, set[str]]] = [(item.expr, known) for item in query.items]
    if query.where is not None:
        nodes.append((query.where, known))
    nodes.extend((key.expr, known | aliases) for key in query.order)
    for node, allowed in nodes:
        for column in columns_of(node):
            if column not in allowed:
                raise SuiteQLSyntaxError(f"Unknown identifier '{column}'")


def referenced_columns(query: Query) -> frozenset[str] | None:
    """Every column the query reads, or ``None`` for ``SELECT *``."""
    if not query.items:
        return None
    nodes: list[Expr | Cond] = [item.expr for item in query.items]
    nodes.extend(key.expr for key in query.order)
    if query.where is not None:
        nodes.append(query.where)
    return frozenset(column for node in nodes for column in columns_of(node))


def columns_of(node: Expr | Cond) -> Iterable[str]:
    """The column names an expression or condition refers to."""
    if isinstance(node, Column):
        yield node.name
    elif isinstance(node, Call):
        for arg in node.args:
            yield from columns_of(arg)
    elif isinstance(node, Compare):
        yield from columns_of(node.left)
        yield from columns_of(node.right)
    elif isinstance(node, InList):
        for part in (node.expr, *node.items):
            yield from columns_of(part)
    elif isinstance(node, IsNull):
        yield from columns_of(node.expr)
    elif isinstance(node, Like):
        yield from columns_of(node.expr)
        yield from columns_of(node.pattern)
    elif isinstance(node, Between):
        for part in (node.expr, node.low, node.high):
            yield from columns_of(part)
    elif isinstance(node, BoolOp):
        for item in node.items:
            yield from columns_of(item)
    elif isinstance(node, Not):
        yield from columns_of(node.item)


def _is_aggregate(expr: Expr) -> bool:
    return isinstance(expr, Call) and expr.name in _AGGREGATES


def _distinct(rows: list[dict[str, Value]], names: tuple[str, ...]) -> list[dict[str, Value]]:
    seen: set[tuple[Value, ...]] = set()
    out: list[dict[str, Value]] = []
    for row in rows:
        key = tuple(row.get(name) for name in names)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


_NATIVE = (int, str, datetime, Decimal)
"""Types whose values compare among themselves exactly as ``compare`` compares them."""
_NUMBERS = (int, Decimal)
Getter = Callable[[Row], Value]
Test = Callable[[Row], bool | None]
_DECIDE: dict[str, Callable[[int], bool]] = {
    "=": lambda result: result == 0,
    "!=": lambda result: result != 0,
    "<": lambda result: result < 0,
    "<=": lambda result: result <= 0,
    ">": lambda result: result > 0,
    ">=": lambda result: result >= 0,
}


def _ordered(ev: _Evaluator, query: Query, aliases: Mapping[str, Expr], rows: list[Row]) -> list[Row]:
    """``rows`` in ``ORDER BY`` order (stable), each row's sort values computed once."""
    exprs = [aliases.get(k.expr.name, k.expr) if isinstance(k.expr, Column) else k.expr for k in query.order]
    getters = [ev.getter(expr) for expr in exprs]
    keyed: list[tuple[list[Value], Row]] = [([get(row) for get in getters], row) for row in rows]
    descending = {key.descending for key in query.order}
    if len(descending) == 1 and _homogeneous(keyed, len(exprs)):
        # No NULLs and one type per key: Python's own ordering is the SQL one, and much cheaper.
        keyed.sort(key=lambda pair: pair[0], reverse=descending.pop())
    else:
        order = [key.descending for key in query.order]

        def by_order(a: tuple[list[Value], Row], b: tuple[list[Value], Row]) -> int:
            return _row_order(order, a[0], b[0])

        keyed.sort(key=functools.cmp_to_key(by_order))
    return [row for _, row in keyed]


def _homogeneous(keyed: list[tuple[list[Value], Row]], width: int) -> bool:
    for position in range(width):
        kinds = {type(values[position]) for values, _ in keyed}
        if len(kinds) > 1 or not kinds <= set(_NATIVE):
            return False
    return True


def _row_order(descending: list[bool], a: list[Value], b: list[Value]) -> int:
    for desc, left, right in zip(descending, a, b, strict=True):
        # Oracle puts NULLs last in ascending order and first in descending order.
        if left is None or right is None:
            result = (left is None) - (right is None)
        else:
            result = compare(left, right)
            result = -result if desc else result
        if result:
            return result
    return 0


def compare(left: Value, right: Value) -> int:
    """Compare two non-null values after SQL-style implicit conversion (-1, 0 or 1)."""
    kind = type(left)
    if (kind is type(right) and kind in _NATIVE) or (kind in _NUMBERS and type(right) in _NUMBERS):
        # Same type, or int and Decimal (which compare exactly): the conversion below would change
        # nothing about the order.
        return int(left > right) - int(left < right)  # type: ignore[operator]
    a, b = _coerce(left, right)
    return int(a > b) - int(a < b)


def _coerce(left: Value, right: Value) -> tuple[Any, Any]:
    if isinstance(left, date | datetime) or isinstance(right, date | datetime):
        return _as_datetime(left), _as_datetime(right)
    if isinstance(left, int | Decimal) or isinstance(right, int | Decimal):
        try:
            return Decimal(str(left)), Decimal(str(right))
        except InvalidOperation:
            return str(left), str(right)
    return str(left), str(right)


def _as_datetime(value: Value) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return formats.parse_loose(value)
    raise SuiteQLSyntaxError(f"Cannot compare the number {value} with a date")


class _Evaluator:
    def __init__(self, now: datetime) -> None:
        self._now = now
        # Keyed by the node's id(): the query's syntax tree outlives the evaluator.
        self._constants: dict[int, Value] = {}
        self._varying: set[int] = set()
        self._functions: dict[str, Callable[[list[Value]], Value]] = {
            "TO_DATE": self._to_date,
            "TO_TIMESTAMP": self._to_date,
            "TO_CHAR": self._to_char,
            "NVL": lambda args: args[0] if args[0] is not None else args[1],
            "COALESCE": lambda args: next((a for a in args if a is not None), None),
            "UPPER": lambda args: None if args[0] is None else str(args[0]).upper(),
            "LOWER": lambda args: None if args[0] is None else str(args[0]).lower(),
            "TRUNC": self._trunc,
        }

    def value(self, expr: Expr, row: Row) -> Value:
        if isinstance(expr, Column):
            return row.get(expr.name)
        if isinstance(expr, Literal):
            return expr.value
        # A call that names no column (TO_TIMESTAMP('...', '...'), SYSDATE) has one value for every row.
        key = id(expr)
        if key in self._constants:
            return self._constants[key]
        found = self._call(expr, row)
        if key not in self._varying:
            if any(True for _ in columns_of(expr)):
                self._varying.add(key)
            else:
                self._constants[key] = found
        return found

    def _call(self, expr: Call, row: Row) -> Value:
        if expr.name in ("SYSDATE", "CURRENT_DATE", "SYSTIMESTAMP", "CURRENT_TIMESTAMP"):
            return self._now
        function = self._functions.get(expr.name)
        if function is None or _is_aggregate(expr):
            raise SuiteQLSyntaxError(f"Unsupported function {expr.name}")
        args = [self.value(arg, row) for arg in expr.args]
        if not args and expr.name not in ("COALESCE",):
            raise SuiteQLSyntaxError(f"{expr.name} needs arguments")
        try:
            return function(args)
        except IndexError as exc:
            raise SuiteQLSyntaxError(f"Wrong number of arguments for {expr.name}") from exc

    # -- compiled forms: the same results as value() and truth(), with the tree walked once per query --

    def getter(self, expr: Expr) -> Getter:
        """``expr``'s value of a row, as ``value`` gives it."""
        if isinstance(expr, Column):
            name = expr.name
            return lambda row: row.get(name)
        if isinstance(expr, Literal):
            constant = expr.value
            return lambda row: constant
        return lambda row: self.value(expr, row)

    def test(self, cond: Cond) -> Test:
        """``cond`` of a row, as ``truth`` gives it (every part evaluated, as there: no short cuts)."""
        if isinstance(cond, Compare) and cond.op in _DECIDE:
            left, right, decide = self.getter(cond.left), self.getter(cond.right), _DECIDE[cond.op]

            def compared(row: Row) -> bool | None:
                a, b = left(row), right(row)
                if a is None or b is None:
                    return None
                return decide(compare(a, b))

            return compared
        if isinstance(cond, BoolOp):
            tests = [self.test(item) for item in cond.items]
            if cond.op == "AND":

                def all_of(row: Row) -> bool | None:
                    results = [test(row) for test in tests]
                    return False if False in results else (None if None in results else True)

                return all_of

            def any_of(row: Row) -> bool | None:
                results = [test(row) for test in tests]
                return True if True in results else (None if None in results else False)

            return any_of
        if isinstance(cond, Not):
            inner = self.test(cond.item)

            def negated(row: Row) -> bool | None:
                found = inner(row)
                return None if found is None else not found

            return negated
        if isinstance(cond, IsNull):
            get, negate = self.getter(cond.expr), cond.negated
            return lambda row: (get(row) is None) != negate
        return lambda row: self.truth(cond, row)

    def aggregate(self, expr: Expr, rows: list[Row]) -> Value:
        if not _is_aggregate(expr):
            if isinstance(expr, Literal):
                return expr.value
            raise SuiteQLSyntaxError("Columns next to an aggregate need GROUP BY, which is not supported")
        assert isinstance(expr, Call)
        if expr.star:
            return len(rows)
        values = [v for v in (self.value(expr.args[0], row) for row in rows) if v is not None]
        if expr.name == "COUNT":
            return len(values)
        if not values:
            return None
        if expr.name in ("MIN", "MAX"):
            pick = min if expr.name == "MIN" else max
            return pick(values, key=functools.cmp_to_key(compare))
        try:
            total = sum((Decimal(str(v)) for v in values), Decimal(0))
        except InvalidOperation as exc:
            raise SuiteQLSyntaxError(f"{expr.name} needs numbers") from exc
        return total if expr.name == "SUM" else total / len(values)

    def truth(self, cond: Cond, row: Row) -> bool | None:
        if isinstance(cond, BoolOp):
            results = [self.truth(item, row) for item in cond.items]
            if cond.op == "AND":
                return False if False in results else (None if None in results else True)
            return True if True in results else (None if None in results else False)
        if isinstance(cond, Not):
            inner = self.truth(cond.item, row)
            return None if inner is None else not inner
        if isinstance(cond, IsNull):
            return (self.value(cond.expr, row) is None) != cond.negated
        if isinstance(cond, Compare):
            return self._compare(cond, row)
        if isinstance(cond, InList):
            return self._in(cond, row)
        if isinstance(cond, Like):
            return self._like(cond, row)
        return self._between(cond, row)

    def _compare(self, cond: Compare, row: Row) -> bool | None:
        left, right = self.value(cond.left, row), self.value(cond.right, row)
        if left is None or right is None:
            return None
        result = compare(left, right)
        return {
            "=": result == 0,
            "!=": result != 0,
            "<": result < 0,
            "<=": result <= 0,
            ">": result > 0,
            ">=": result >= 0,
        }[cond.op]

    def _in(self, cond: InList, row: Row) -> bool | None:
        value = self.value(cond.expr, row)
        if value is None:
            return None
        options = [self.value(item, row) for item in cond.items]
        found = any(option is not None and compare(value, option) == 0 for option in options)
        if found:
            return not cond.negated
        return None if None in options else cond.negated

    def _like(self, cond: Like, row: Row) -> bool | None:
        value, pattern = self.value(cond.expr, row), self.value(cond.pattern, row)
        if value is None or pattern is None:
            return None
        regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
        return (re.fullmatch(regex, str(value), re.DOTALL) is not None) != cond.negated

    def _between(self, cond: Between, row: Row) -> bool | None:
        value = self.value(cond.expr, row)
        low, high = self.value(cond.low, row), self.value(cond.high, row)
        if value is None or low is None or high is None:
            return None
        inside = compare(value, low) >= 0 and compare(value, high) <= 0
        return inside != cond.negated

    def _to_date(self, args: list[Value]) -> Value:
        text = args[0]
        if text is None:
            return None
        if isinstance(text, date | datetime):
            return _as_datetime(text)
        if len(args) > 1 and args[1] is not None:
            return formats.parse_with_mask(str(text), str(args[1]))
        return formats.parse_loose(str(text))

    def _to_char(self, args: list[Value]) -> Value:
        value = args[0]
        if value is None:
            return None
        if isinstance(value, date | datetime) and len(args) > 1 and args[1] is not None:
            return formats.format_with_mask(value, str(args[1]))
        return render(value)

    def _trunc(self, args: list[Value]) -> Value:
        value = args[0]
        if isinstance(value, datetime):
            return value.astimezone(UTC).date()
        return value


def constant_value(expr: Expr, now: datetime) -> Value:
    """The value of an expression that names no column (``TO_DATE('...', '...')``, ``SYSDATE``).

    Raises:
        SuiteQLSyntaxError: When the expression cannot be evaluated.
    """
    return _Evaluator(now).value(expr, {})
