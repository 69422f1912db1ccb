"""A recursive-descent parser for the SOQL subset the emulator supports:

``SELECT`` fields (relationship paths such as ``Account.Name``, parent-to-child subqueries,
``COUNT()``) ``FROM`` object ``WHERE`` conditions (``= != <> < <= > >= LIKE IN NOT IN``, ``AND``,
``OR``, ``NOT``, parentheses) ``ORDER BY`` keys (``ASC``/``DESC``, ``NULLS FIRST``/``LAST``)
``LIMIT`` n ``OFFSET`` n.

As on the platform, ``AND`` and ``OR`` cannot be mixed at one level without parentheses.
Unsupported clauses (``GROUP BY``, ``HAVING``, ``WITH``, ``FOR UPDATE``, aggregates other than
``COUNT()``) are refused with MALFORMED_QUERY rather than silently ignored.
"""

from __future__ import annotations

from decimal import Decimal

from concord.sandbox.salesforce.soql import dates
from concord.sandbox.salesforce.soql.ast import (
    BoolOp,
    Comparison,
    Condition,
    FieldPath,
    Literal,
    LiteralKind,
    Not,
    OrderItem,
    Query,
)
from concord.sandbox.salesforce.soql.errors import SoqlError
from concord.sandbox.salesforce.soql.lexer import Kind, Token, tokenize

_UNSUPPORTED = ("GROUP", "HAVING", "WITH", "FOR", "USING", "TYPEOF", "UPDATE")
_COMPARISON_OPS = ("=", "!=", "<>", "<", "<=", ">", ">=")


def parse(query: str) -> Query:
    """Parse ``query``.

    Raises:
        SoqlError: MALFORMED_QUERY (with the offending position) when it is not valid SOQL or uses
            an unsupported feature.
    """
    parser = _Parser(tokenize(query))
    result = parser.query(nested=False)
    parser.expect_end()
    return result


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0

    # -- token helpers --------------------------------------------------------------------------------

    @property
    def _current(self) -> Token:
        return self._tokens[self._index]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind is not Kind.EOF:
            self._index += 1
        return token

    def _peek(self, ahead: int = 1) -> Token:
        return self._tokens[min(self._index + ahead, len(self._tokens) - 1)]

    def _unexpected(self, token: Token | None = None) -> SoqlError:
        token = token or self._current
        if token.kind is Kind.EOF:
            return SoqlError("MALFORMED_QUERY", "unexpected token: '<EOF>'", token.position)
        if token.is_keyword(*_UNSUPPORTED):
            return SoqlError(
                "MALFORMED_QUERY",
                f"unexpected token: {token.text} (not supported by the Concord Salesforce sandbox)",
                token.position,
            )
        return SoqlError("MALFORMED_QUERY", f"unexpected token: {token.text}", token.position)

    def _keyword(self, *words: str) -> Token:
        if not self._current.is_keyword(*words):
            raise self._unexpected()
        return self._advance()

    def _expect(self, kind: Kind) -> Token:
        if self._current.kind is not kind:
            raise self._unexpected()
        return self._advance()

    def expect_end(self) -> None:
        """Fail unless every token was consumed."""
        if self._current.kind is not Kind.EOF:
            raise self._unexpected()

    # -- query ----------------------------------------------------------------------------------------

    def query(self, *, nested: bool) -> Query:
        self._keyword("SELECT")
        fields, subqueries, count_only = self._select_list(nested)
        self._keyword("FROM")
        sobject = self._expect(Kind.IDENT)
        where = self._where()
        order_by = self._order_by()
        limit = self._int_clause("LIMIT")
        offset = self._int_clause("OFFSET")
        return Query(
            fields=tuple(fields),
            subqueries=tuple(subqueries),
            count_only=count_only,
            sobject=sobject.text,
            sobject_position=sobject.position,
            where=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    def _select_list(self, nested: bool) -> tuple[list[FieldPath], list[Query], bool]:
        if self._current.is_keyword("COUNT") and self._peek().kind is Kind.LPAREN:
            self._advance()
            self._advance()
            if self._current.kind is not Kind.RPAREN:
                raise SoqlError(
                    "MALFORMED_QUERY",
                    "Only COUNT() is supported by the Concord Salesforce sandbox, not COUNT(field)",
                    self._current.position,
                )
            self._advance()
            return [], [], True
        fields: list[FieldPath] = []
        subqueries: list[Query] = []
        while True:
            if self._current.kind is Kind.LPAREN and not nested:
                self._advance()
                subqueries.append(self.query(nested=True))
                self._expect(Kind.RPAREN)
            else:
                fields.append(self._field_path())
            if self._current.kind is not Kind.COMMA:
                return fields, subqueries, False
            self._advance()

    def _field_path(self) -> FieldPath:
        first = self._expect(Kind.IDENT)
        if first.is_keyword("FROM", "WHERE"):
            raise self._unexpected(first)
        parts = [first.text]
        while self._current.kind is Kind.DOT:
            self._advance()
            parts.append(self._expect(Kind.IDENT).text)
        if self._current.kind is Kind.LPAREN:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"unexpected token: ( (function {first.text}() is not supported by the Concord sandbox)",
                self._current.position,
            )
        return FieldPath(tuple(parts), first.position)

    def _int_clause(self, keyword: str) -> int | None:
        if not self._current.is_keyword(keyword):
            return None
        self._advance()
        token = self._expect(Kind.NUMBER)
        if not token.text.isdigit():
            raise self._unexpected(token)
        return int(token.text)

    # -- ORDER BY -------------------------------------------------------------------------------------

    def _order_by(self) -> tuple[OrderItem, ...]:
        if not self._current.is_keyword("ORDER"):
            return ()
        self._advance()
        self._keyword("BY")
        items = [self._order_item()]
        while self._current.kind is Kind.COMMA:
            self._advance()
            items.append(self._order_item())
        return tuple(items)

    def _order_item(self) -> OrderItem:
        path = self._field_path()
        descending = False
        if self._current.is_keyword("ASC", "DESC"):
            descending = self._advance().text.upper() == "DESC"
        nulls_last = descending
        if self._current.is_keyword("NULLS"):
            self._advance()
            nulls_last = self._keyword("FIRST", "LAST").text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    # -- WHERE ----------------------------------------------------------------------------------------

    def _where(self) -> Condition | None:
        if not self._current.is_keyword("WHERE"):
            return None
        self._advance()
        return self._condition()

    def _condition(self) -> Condition:
        items = [self._unary()]
        operator: str | None = None
        while self._current.is_keyword("AND", "OR"):
            word = self._current.text.upper()
            if operator is not None and word != operator:
                raise self._unexpected()
            operator = word
            self._advance()
            items.append(self._unary())
        if operator is None:
            return items[0]
        return BoolOp(operator, tuple(items))

    def _unary(self) -> Condition:
        if self._current.is_keyword("NOT"):
            self._advance()
            return Not(self._unary())
        if self._current.kind is Kind.LPAREN:
            self._advance()
            inner = self._condition()
            self._expect(Kind.RPAREN)
            return inner
        return self._comparison()

    def _comparison(self) -> Comparison:
        path = self._field_path()
        token = self._current
        if token.kind is Kind.OP and token.text in _COMPARISON_OPS:
            self._advance()
            op = "!=" if token.text == "<>" else token.text
            return Comparison(path, op, (self._literal(),), token.position)
        if token.is_keyword("LIKE"):
            self._advance()
            return Comparison(path, "LIKE", (self._literal(),), token.position)
        if token.is_keyword("IN"):
            self._advance()
            return Comparison(path, "IN", self._literal_list(), token.position)
        if token.is_keyword("NOT") and self._peek().is_keyword("IN"):
            self._advance()
            self._advance()
            return Comparison(path, "NOT IN", self._literal_list(), token.position)
        raise self._unexpected()

    def _literal_list(self) -> tuple[Literal, ...]:
        self._expect(Kind.LPAREN)
        if self._current.is_keyword("SELECT"):
            raise SoqlError(
                "MALFORMED_QUERY",
                "semi-join subqueries are not supported by the Concord Salesforce sandbox",
                self._current.position,
            )
        values = [self._literal()]
        while self._current.kind is Kind.COMMA:
            self._advance()
            values.append(self._literal())
        self._expect(Kind.RPAREN)
        return tuple(values)

    def _literal(self) -> Literal:
        token = self._advance()
        position = token.position
        if token.kind is Kind.STRING:
            return Literal(LiteralKind.STRING, token.value, position)
        if token.kind is Kind.NUMBER:
            return Literal(LiteralKind.NUMBER, Decimal(token.text), position)
        if token.kind is Kind.DATE:
            return Literal(LiteralKind.DATE, token.text, position)
        if token.kind is Kind.DATETIME:
            return Literal(LiteralKind.DATETIME, token.text, position)
        if token.is_keyword("TRUE", "FALSE"):
            return Literal(LiteralKind.BOOLEAN, token.text.upper() == "TRUE", position)
        if token.is_keyword("NULL"):
            return Literal(LiteralKind.NULL, None, position)
        if token.kind is Kind.IDENT and dates.is_fixed(token.text):
            return Literal(LiteralKind.DATE_RANGE, token.text.upper(), position)
        if token.kind is Kind.IDENT and dates.takes_n(token.text):
            return self._date_literal_with_n(token)
        raise self._unexpected(token)

    def _date_literal_with_n(self, token: Token) -> Literal:
        if self._current.kind is not Kind.COLON:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: {token.text}", token.position)
        self._advance()
        number = self._expect(Kind.NUMBER)
        if not number.text.isdigit():
            raise self._unexpected(number)
        return Literal(LiteralKind.DATE_RANGE, token.text.upper(), token.position, int(number.text))
