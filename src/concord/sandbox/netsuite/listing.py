"""The ``q`` filter of record lists: ``GET /record/v1/customer?q=email START_WITH barbara``.

Conditions are ``field OPERATOR [value]`` joined by ``AND``/``OR`` (``AND`` binds tighter). Values are
bare words, ``"quoted strings"`` or ``[a, b]`` lists; dates are ``MM/DD/YYYY`` or ``M/D/YY h:mm AM`` (the
account's format) or ISO. Operators: ``EMPTY``, ``EMPTY_NOT``, ``IS``, ``IS_NOT``, ``START_WITH``,
``CONTAIN`` (and their ``_NOT`` forms), ``ANY_OF``, ``ANY_OF_NOT``, ``EQUAL``, ``EQUAL_NOT``, ``GREATER``,
``GREATER_OR_EQUAL``, ``LESS``, ``LESS_OR_EQUAL``, ``AFTER``, ``BEFORE``, ``ON``, ``ON_OR_AFTER``,
``ON_OR_BEFORE``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from concord.sandbox.netsuite.errors import NetSuiteError, invalid_parameter
from concord.sandbox.netsuite.fields import Kind, RecordType
from concord.sandbox.netsuite.store import StoredRecord

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\[[^\]]*\])|([^\s"\[]+))')
_DATE_FORMATS = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d",
)
_NO_VALUE = frozenset({"EMPTY", "EMPTY_NOT"})
Predicate = Callable[[StoredRecord], bool]


@dataclass(frozen=True)
class _Condition:
    field: str
    operator: str
    value: str | list[str] | None


def compile_filter(record_type: RecordType, q: str) -> Predicate:
    """Compile a ``q`` expression into a predicate over stored records.

    Raises:
        NetSuiteError: 400 ``INVALID_PARAMETER`` (query parameter ``q``) when it cannot be understood.
    """
    words = _tokens(q)
    groups: list[list[_Condition]] = [[]]
    i = 0
    while i < len(words):
        if len(words) - i < 2:
            raise _bad(q)
        name, operator = words[i], words[i + 1].upper()
        i += 2
        value: str | list[str] | None = None
        if operator not in _NO_VALUE:
            if i >= len(words):
                raise _bad(q)
            value = _list(words[i]) if words[i].startswith("[") else words[i]
            i += 1
        if record_type.field(name) is None and name != "id":
            raise invalid_parameter(f"Invalid search query. Unknown field: {name}.", query_param="q")
        groups[-1].append(_Condition(name, operator, value))
        if i < len(words):
            joiner = words[i].upper()
            if joiner not in ("AND", "OR"):
                raise _bad(q)
            if joiner == "OR":
                groups.append([])
            i += 1
    predicates = [[_predicate(record_type, c, q) for c in group] for group in groups]
    return lambda record: any(all(p(record) for p in group) for group in predicates)


def _tokens(q: str) -> list[str]:
    out: list[str] = []
    position = 0
    while position < len(q):
        match = _TOKEN.match(q, position)
        if match is None or match.end() == position:
            break
        quoted, listed, bare = match.groups()
        out.append(quoted if quoted is not None else listed if listed is not None else bare)
        position = match.end()
        if q[position:].strip() == "":
            break
    return [w for w in out if w is not None]


def _list(text: str) -> list[str]:
    return [part.strip().strip('"') for part in text.strip("[]").split(",") if part.strip()]


def _bad(q: str) -> NetSuiteError:
    return invalid_parameter(f"Invalid search query: {q}", query_param="q")


def _predicate(record_type: RecordType, condition: _Condition, q: str) -> Predicate:
    spec = record_type.field(condition.field)
    kind = Kind.TEXT if spec is None else spec.kind
    op, expected = condition.operator, condition.value

    def current(record: StoredRecord) -> Any:
        return record.id if condition.field == "id" else record.body.get(condition.field)

    if op in _NO_VALUE:
        return lambda r: (current(r) in (None, "")) == (op == "EMPTY")
    negate = op.endswith("_NOT")
    base = op.removesuffix("_NOT")
    if base == "ANY_OF":
        options = {str(v) for v in (expected if isinstance(expected, list) else [str(expected)])}
        return lambda r: (str(current(r)) in options) != negate
    if isinstance(expected, list):
        raise _bad(q)
    assert expected is not None
    if kind in (Kind.DATE, Kind.DATETIME):
        return _date_predicate(base, expected, current, kind, q)
    if kind in (Kind.MONEY, Kind.DECIMAL, Kind.DURATION, Kind.INT) or condition.field == "id":
        return _number_predicate(base, negate, expected, current, q)
    return _text_predicate(base, negate, expected, current, kind, q)


def _text_predicate(
    base: str, negate: bool, expected: str, current: Callable[[StoredRecord], Any], kind: Kind, q: str
) -> Predicate:
    wanted = expected.lower()

    def text(record: StoredRecord) -> str:
        value = current(record)
        if kind is Kind.BOOL:
            return "true" if value else "false"
        return "" if value is None else str(value).lower()

    tests: dict[str, Callable[[str], bool]] = {
        "IS": lambda v: v == wanted,
        "START_WITH": lambda v: v.startswith(wanted),
        "CONTAIN": lambda v: wanted in v,
    }
    test = tests.get(base)
    if test is None:
        raise _bad(q)
    return lambda r: test(text(r)) != negate


def _number_predicate(
    base: str, negate: bool, expected: str, current: Callable[[StoredRecord], Any], q: str
) -> Predicate:
    try:
        wanted = Decimal(expected)
    except InvalidOperation as exc:
        raise _bad(q) from exc
    tests: dict[str, Callable[[Decimal], bool]] = {
        "EQUAL": lambda v: v == wanted,
        "IS": lambda v: v == wanted,
        "GREATER": lambda v: v > wanted,
        "GREATER_OR_EQUAL": lambda v: v >= wanted,
        "LESS": lambda v: v < wanted,
        "LESS_OR_EQUAL": lambda v: v <= wanted,
    }
    test = tests.get(base)
    if test is None:
        raise _bad(q)

    def check(record: StoredRecord) -> bool:
        value = current(record)
        return value is not None and test(Decimal(str(value))) != negate

    return check


def _date_predicate(
    base: str, expected: str, current: Callable[[StoredRecord], Any], kind: Kind, q: str
) -> Predicate:
    moment = _parse_date(expected, q)
    day_only = kind is Kind.DATE or len(expected.strip()) <= 10

    def key(value: Any) -> datetime | date:
        parsed = (
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if kind is Kind.DATETIME
            else date.fromisoformat(value)
        )
        return parsed.date() if day_only and isinstance(parsed, datetime) else parsed

    bound: datetime | date = moment.date() if day_only else moment
    tests: dict[str, Callable[[Any], bool]] = {
        "AFTER": lambda v: v > bound,
        "BEFORE": lambda v: v < bound,
        "ON": lambda v: v == bound,
        "ON_OR_AFTER": lambda v: v >= bound,
        "ON_OR_BEFORE": lambda v: v <= bound,
    }
    test = tests.get(base)
    if test is None:
        raise _bad(q)
    return lambda r: current(r) is not None and test(key(current(r)))


def _parse_date(text: str, q: str) -> datetime:
    cleaned = text.strip()
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _bad(q)
