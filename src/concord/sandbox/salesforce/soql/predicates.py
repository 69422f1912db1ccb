"""WHERE conditions compiled to Python predicates, with SOQL's typing rules and semantics.

Semantics kept from the platform: text comparisons (``=``, ``IN``, ``LIKE``, ordering) are
case-insensitive; ``!=`` and ``NOT IN`` match records whose field is null; ordering comparisons never
match null; a literal must have the field's type (quoted for text and ids, unquoted otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import (
    ID_TYPES,
    NUMBER_TYPES,
    TEXT_TYPES,
    FieldDef,
    FieldType,
    SObjectDef,
)
from concord.sandbox.salesforce.soql import dates
from concord.sandbox.salesforce.soql.ast import BoolOp, Comparison, Condition, Literal, LiteralKind, Not
from concord.sandbox.salesforce.soql.errors import SoqlError
from concord.sandbox.salesforce.soql.resolve import BoundPath, RowReader, StoredRecord, bind
from concord.sandbox.salesforce.values import parse_datetime, to_typed

Predicate = Callable[[StoredRecord, RowReader], bool]
_ORDERED_OPS = ("<", "<=", ">", ">=")


def compile_condition(condition: Condition, catalog: Catalog, root: SObjectDef, now: datetime) -> Predicate:
    """Compile ``condition`` (relative to the object ``root``) into a predicate over stored records.

    Raises:
        SoqlError: for unknown fields and literals of the wrong type.
    """
    if isinstance(condition, Not):
        inner = compile_condition(condition.item, catalog, root, now)
        return lambda record, reader: not inner(record, reader)
    if isinstance(condition, BoolOp):
        parts = [compile_condition(item, catalog, root, now) for item in condition.items]
        if condition.op == "AND":
            return lambda record, reader: all(p(record, reader) for p in parts)
        return lambda record, reader: any(p(record, reader) for p in parts)
    return _compile_comparison(condition, bind(catalog, root, condition.field), now)


def _compile_comparison(comparison: Comparison, path: BoundPath, now: datetime) -> Predicate:
    field_def = path.leaf
    test = _value_test(comparison, field_def, now)

    def predicate(record: StoredRecord, reader: RowReader) -> bool:
        value = to_typed(field_def, reader.stored(record, path))
        return test(comparable(field_def, value))

    return predicate


def comparable(field_def: FieldDef, value: Any) -> Any:
    """A typed value as SOQL compares and sorts it (text case-folded, dates as UTC midnight)."""
    if value is None:
        return None
    if field_def.type in TEXT_TYPES:
        return str(value).casefold()
    if field_def.type is FieldType.DATE and isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


def _value_test(comparison: Comparison, field_def: FieldDef, now: datetime) -> Callable[[Any], bool]:
    op = comparison.op
    if op == "LIKE":
        return _like_test(comparison, field_def)
    if op in ("IN", "NOT IN"):
        candidates = [_literal_value(lit, field_def, now) for lit in comparison.values]
        if any(isinstance(c, tuple) for c in candidates):
            raise SoqlError(
                "MALFORMED_QUERY", "date literals are not allowed in IN lists", comparison.position
            )
        members = set(candidates)
        if op == "IN":
            return lambda value: value is not None and value in members
        return lambda value: value not in members
    literal = comparison.values[0]
    if op in _ORDERED_OPS and field_def.type in (FieldType.BOOLEAN, *ID_TYPES):
        raise SoqlError(
            "INVALID_QUERY_FILTER_OPERATOR",
            f"invalid operator on {field_def.type.value} field",
            comparison.position,
        )
    expected = _literal_value(literal, field_def, now)
    if isinstance(expected, tuple):
        return _range_test(op, expected)
    return _scalar_test(op, expected)


def _scalar_test(op: str, expected: Any) -> Callable[[Any], bool]:
    if expected is None:
        if op == "=":
            return lambda value: value is None
        if op == "!=":
            return lambda value: value is not None
        return lambda value: False
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda value: value is not None and value == expected,
        "!=": lambda value: value is None or value != expected,
        "<": lambda value: value is not None and value < expected,
        "<=": lambda value: value is not None and value <= expected,
        ">": lambda value: value is not None and value > expected,
        ">=": lambda value: value is not None and value >= expected,
    }
    return tests[op]


def _range_test(op: str, bounds: tuple[datetime, datetime]) -> Callable[[Any], bool]:
    start, end = bounds
    tests: dict[str, Callable[[Any], bool]] = {
        "=": lambda value: value is not None and start <= value < end,
        "!=": lambda value: value is None or not start <= value < end,
        "<": lambda value: value is not None and value < start,
        "<=": lambda value: value is not None and value < end,
        ">": lambda value: value is not None and value >= end,
        ">=": lambda value: value is not None and value >= start,
    }
    return tests[op]


def _like_test(comparison: Comparison, field_def: FieldDef) -> Callable[[Any], bool]:
    literal = comparison.values[0]
    if field_def.type not in TEXT_TYPES:
        raise SoqlError(
            "INVALID_QUERY_FILTER_OPERATOR",
            f"invalid operator on {field_def.type.value} field",
            comparison.position,
        )
    if literal.kind is not LiteralKind.STRING or not isinstance(literal.value, str):
        raise _type_error(field_def, literal)
    pattern = re.compile(like_to_regex(literal.value), re.IGNORECASE | re.DOTALL)
    return lambda value: value is not None and pattern.fullmatch(value) is not None


def like_to_regex(pattern: str) -> str:
    """Translate a LIKE pattern (``%`` any run, ``_`` one character, ``\\%``/``\\_`` literal) to a regex."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern) and pattern[index + 1] in "%_":
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return "".join(out)


def _type_name(field_def: FieldDef) -> str:
    return "dateTime" if field_def.type is FieldType.DATETIME else field_def.type.value


def _type_error(field_def: FieldDef, literal: Literal) -> SoqlError:
    quoted = field_def.type in TEXT_TYPES or field_def.type in ID_TYPES
    should = "should" if quoted else "should not"
    return SoqlError(
        "INVALID_FIELD",
        f"value of filter criterion for field '{field_def.name}' must be of type {_type_name(field_def)} "
        f"and {should} be enclosed in quotes",
        literal.position,
    )


def _literal_value(literal: Literal, field_def: FieldDef, now: datetime) -> Any:
    """The literal as a value comparable with the field's values (a range tuple for date literals)."""
    if literal.kind is LiteralKind.NULL:
        return None
    kind = field_def.type
    if kind in TEXT_TYPES and literal.kind is LiteralKind.STRING:
        return str(literal.value).casefold()
    if kind in ID_TYPES and literal.kind is LiteralKind.STRING:
        canonical = ids.normalize(str(literal.value))
        if canonical is None:
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal.value}", literal.position
            )
        return canonical
    if kind is FieldType.BOOLEAN and literal.kind is LiteralKind.BOOLEAN:
        return literal.value
    if kind in NUMBER_TYPES and literal.kind is LiteralKind.NUMBER and isinstance(literal.value, Decimal):
        return literal.value
    if kind in (FieldType.DATE, FieldType.DATETIME) and literal.kind is LiteralKind.DATE_RANGE:
        try:
            return dates.date_range(str(literal.value), literal.n, now)
        except (OverflowError, ValueError):
            raise SoqlError(
                "MALFORMED_QUERY", f"invalid date literal: {literal.value}:{literal.n}", literal.position
            ) from None
    if kind is FieldType.DATE and literal.kind is LiteralKind.DATE:
        try:
            day = date.fromisoformat(str(literal.value))
        except ValueError:
            raise SoqlError("MALFORMED_QUERY", f"invalid date: {literal.value}", literal.position) from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if kind is FieldType.DATETIME and literal.kind is LiteralKind.DATETIME:
        moment = parse_datetime(str(literal.value))
        if moment is None:
            raise SoqlError("MALFORMED_QUERY", f"invalid datetime: {literal.value}", literal.position)
        return moment
    raise _type_error(field_def, literal)
