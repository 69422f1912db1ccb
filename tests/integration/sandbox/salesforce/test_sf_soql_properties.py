"""Property tests of the SOQL engine (no HTTP): string literals survive quoting, arbitrary input never
crashes the parser, and WHERE evaluation agrees with a small reference model of SOQL semantics."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.errors import RecordError
from concord.sandbox.salesforce.schema.catalog import default_catalog
from concord.sandbox.salesforce.soql.errors import SoqlError
from concord.sandbox.salesforce.soql.executor import run_query
from concord.sandbox.salesforce.soql.lexer import Kind, tokenize
from concord.sandbox.salesforce.soql.parser import parse
from concord.sandbox.salesforce.values import to_stored

CATALOG = default_catalog()
NOW = datetime(2026, 2, 10, 12, tzinfo=UTC)


def quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


@given(st.text(alphabet=st.characters(exclude_characters="_%\\"), max_size=40))
def test_quoted_strings_round_trip(text: str) -> None:
    tokens = tokenize(f"SELECT Id FROM Account WHERE Name = {quote(text)}")
    assert tokens[-2].kind is Kind.STRING and tokens[-2].value == text


SOQL_PIECES = st.sampled_from(
    [
        "SELECT",
        "FROM",
        "WHERE",
        "Name",
        "Account",
        "Amount",
        "(",
        ")",
        ",",
        "=",
        "!=",
        "<",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "'x'",
        "'",
        "5",
        "-1.5",
        "2026-01-01",
        "2026-01-01T00:00:00Z",
        "ORDER",
        "BY",
        "LIMIT",
        "OFFSET",
        "NULL",
        "TODAY",
        "LAST_N_DAYS",
        ":",
        ".",
        "COUNT",
        "DESC",
        "NULLS",
        "LAST",
        "\\",
        "%",
        "@",
        "GROUP",
    ]
)


@given(st.lists(SOQL_PIECES, max_size=14), st.text(max_size=6))
def test_parser_refuses_garbage_cleanly(pieces: list[str], noise: str) -> None:
    text = " ".join(pieces) + noise
    try:
        parse(text)
    except SoqlError as error:
        assert error.code == "MALFORMED_QUERY"
        assert error.render(text)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30), st.decimals(allow_nan=True)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)


@settings(max_examples=300)
@given(st.sampled_from([f for s in CATALOG.all() for f in s.fields]), JSON_VALUES)
def test_any_client_value_is_stored_or_refused_with_a_platform_error(field: Any, raw: Any) -> None:
    try:
        stored = to_stored(field, raw)
    except RecordError as error:
        assert error.item.code.isupper() and error.item.fields == (field.name,)
    else:
        assert stored is None or isinstance(stored, str | int | bool)


# -- differential test of WHERE against a reference model ------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str
    amount: Decimal | None
    close: date
    won: bool


# Small value domains, so that ties (where < and <= differ) are common.
AMOUNTS = st.sampled_from([Decimal("-1"), Decimal("0"), Decimal("0.5"), Decimal("1.5"), Decimal("2")])
DATES = st.sampled_from([date(2026, 1, 5), date(2026, 2, 10), date(2026, 2, 11), date(2026, 3, 31)])
ROWS = st.lists(
    st.builds(
        Row,
        name=st.sampled_from(["acme", "ACME", "Beta", "gamma", ""]),
        amount=st.one_of(st.none(), AMOUNTS),
        close=DATES,
        won=st.booleans(),
    ),
    min_size=3,
    max_size=12,
)


def comparisons() -> st.SearchStrategy[tuple[str, Any]]:
    op = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    amount = st.tuples(op, st.one_of(st.none(), AMOUNTS)).map(
        lambda t: (f"Amount {t[0]} {'null' if t[1] is None else t[1]}", ("amount", t[0], t[1]))
    )
    close = st.tuples(op, DATES).map(
        lambda t: (f"CloseDate {t[0]} {t[1].isoformat()}", ("close", t[0], t[1]))
    )
    name = st.tuples(st.sampled_from(["=", "!="]), st.sampled_from(["acme", "beta", "Gamma", "zeta"])).map(
        lambda t: (f"Name {t[0]} '{t[1]}'", ("name", t[0], t[1]))
    )
    names_in = st.tuples(
        st.booleans(), st.lists(st.sampled_from(["acme", "BETA", "x"]), min_size=1, max_size=3)
    ).map(
        lambda t: (
            f"Name {'NOT IN' if t[0] else 'IN'} ({', '.join(repr(v) for v in t[1])})",
            ("in", t[0], [v.casefold() for v in t[1]]),
        )
    )
    won = st.booleans().map(lambda b: (f"IsWon = {str(b).lower()}", ("won", "=", b)))
    # Numbers and dates twice: their null and ordering rules are where SOQL differs from SQL.
    return st.one_of(amount, close, amount, close, name, names_in, won)


CONDITIONS = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        inner.map(lambda c: (f"NOT ({c[0]})", ("not", c[1]))),
        st.tuples(st.sampled_from(["AND", "OR"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: (f" {t[0]} ".join(f"({c[0]})" for c in t[1]), (t[0], [c[1] for c in t[1]]))
        ),
    ),
    max_leaves=4,
)


def expected(row: Row, tree: Any) -> bool:
    kind = tree[0]
    if kind == "not":
        return not expected(row, tree[1])
    if kind in ("AND", "OR"):
        results = [expected(row, t) for t in tree[1]]
        return all(results) if kind == "AND" else any(results)
    if kind == "in":
        negated, values = tree[1], tree[2]
        return (row.name.casefold() not in values) if negated else row.name.casefold() in values
    _, op, literal = tree
    value: Any = {"amount": row.amount, "close": row.close, "name": row.name, "won": row.won}[kind]
    if kind == "name":
        value, literal = value.casefold(), literal.casefold()
    if literal is None:
        return {"=": value is None, "!=": value is not None}.get(op, False)
    if value is None:
        return op == "!="
    return bool(
        {
            "=": value == literal,
            "!=": value != literal,
            "<": value < literal,
            "<=": value <= literal,
            ">": value > literal,
            ">=": value >= literal,
        }[op]
    )


class Source:
    def __init__(self, rows: Iterable[Row]) -> None:
        self.records: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            record_id = ids.to_18(f"0068d{index:010d}")
            self.records.append(
                {
                    "Id": record_id,
                    "Name": row.name,
                    "Amount": None if row.amount is None else str(row.amount),
                    "CloseDate": row.close.isoformat(),
                    "IsWon": row.won,
                    "IsDeleted": False,
                }
            )

    def scan(self, sobject: str, *, include_deleted: bool) -> list[dict[str, Any]]:
        return self.records if sobject == "Opportunity" else []

    def get(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        return next((r for r in self.records if r["Id"] == record_id), None)


NULL_ROW = Row("acme", None, date(2026, 1, 5), False)


@settings(max_examples=400, deadline=None)
@given(ROWS, CONDITIONS)
@example([NULL_ROW], ("Amount != 1.5", ("amount", "!=", Decimal("1.5"))))
@example([NULL_ROW], ("NOT (Amount < 1.5)", ("not", ("amount", "<", Decimal("1.5")))))
def test_where_agrees_with_the_reference_model(rows: list[Row], condition: tuple[str, Any]) -> None:
    text, tree = condition
    source = Source(rows)
    result = run_query(
        f"SELECT Id FROM Opportunity WHERE {text}",
        catalog=CATALOG,
        source=source,
        now=NOW,
        api_version="59.0",
        include_deleted=False,
    )
    chosen = {r["Id"] for r in result.records}
    assert chosen == {
        record["Id"] for record, row in zip(source.records, rows, strict=True) if expected(row, tree)
    }
