"""Recursive-descent parser for the SuiteQL subset: one table, filters, ordering, row caps.

Joins, grouping, sub-queries and set operations are refused with a clear message rather than being
answered wrongly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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
    OrderItem,
    Query,
    SelectItem,
)
from concord.sandbox.netsuite.suiteql.lexer import SuiteQLSyntaxError, Tok, Token, tokenize

_COMPARISONS = {"=": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_UNSUPPORTED = {"JOIN", "INNER", "LEFT", "RIGHT", "OUTER", "GROUP", "HAVING", "UNION"}
_NILADIC = {"SYSDATE", "CURRENT_DATE", "SYSTIMESTAMP", "CURRENT_TIMESTAMP"}


def parse(query: str) -> Query:
    """Parse a SuiteQL query.

    Raises:
        SuiteQLSyntaxError: When the text is not valid or not supported.
    """
    return _Parser(tokenize(query)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._i = 0
        self._qualifiers = _table_names(tokens)
        self._unnamed = 0

    # -- token helpers -------------------------------------------------------------------------
    def _peek(self, offset: int = 0) -> Token:
        return self._tokens[min(self._i + offset, len(self._tokens) - 1)]

    def _next(self) -> Token:
        token = self._peek()
        self._i += 1
        return token

    def _at(self, *texts: str) -> bool:
        token = self._peek()
        return token.kind in (Tok.KEYWORD, Tok.SYMBOL) and token.text in texts

    def _accept(self, *texts: str) -> bool:
        if self._at(*texts):
            self._i += 1
            return True
        return False

    def _expect(self, text: str) -> None:
        if not self._accept(text):
            raise self._error(f"expected {text}")

    def _error(self, what: str) -> SuiteQLSyntaxError:
        token = self._peek()
        if token.kind is Tok.KEYWORD and token.text in _UNSUPPORTED:
            return SuiteQLSyntaxError(f"{token.text} is not supported by the emulator's SuiteQL subset")
        found = token.text or "end of query"
        return SuiteQLSyntaxError(f"Syntax error near '{found}' at position {token.pos}: {what}")

    # -- query ---------------------------------------------------------------------------------
    def query(self) -> Query:
        self._expect("SELECT")
        top = self._int_after("TOP")
        distinct = self._accept("DISTINCT")
        star = self._accept("*")
        items = () if star else self._select_list()
        self._expect("FROM")
        table = self._ident().lower()
        if self._peek().kind is Tok.IDENT or self._at("AS"):
            self._accept("AS")
            self._ident()
        if self._at(","):
            raise SuiteQLSyntaxError("Joins are not supported by the emulator's SuiteQL subset")
        where = self._condition() if self._accept("WHERE") else None
        order = self._order_by() if self._accept("ORDER") else ()
        if self._accept("FETCH"):
            if not self._accept("FIRST", "NEXT"):
                raise self._error("expected FIRST or NEXT")
            top = self._number_int()
            if not self._accept("ROWS", "ROW"):
                raise self._error("expected ROWS")
            self._expect("ONLY")
        if self._peek().kind is not Tok.END:
            raise self._error("unexpected text after the query")
        return Query(items, table, where, order, top, distinct)

    def _int_after(self, keyword: str) -> int | None:
        return self._number_int() if self._accept(keyword) else None

    def _number_int(self) -> int:
        token = self._next()
        if token.kind is not Tok.NUMBER or not token.text.isdigit():
            raise SuiteQLSyntaxError(f"Expected a whole number at position {token.pos}")
        return int(token.text)

    def _ident(self) -> str:
        token = self._next()
        if token.kind is not Tok.IDENT:
            self._i -= 1
            raise self._error("expected a name")
        return token.text

    def _select_list(self) -> tuple[SelectItem, ...]:
        items = [self._select_item()]
        while self._accept(","):
            items.append(self._select_item())
        return tuple(items)

    def _select_item(self) -> SelectItem:
        expr = self._expr()
        if self._accept("AS") or self._peek().kind is Tok.IDENT:
            return SelectItem(expr, self._ident().lower())
        if isinstance(expr, Column):
            return SelectItem(expr, expr.name)
        # SuiteQL names unaliased expressions expr1, expr2... in select-list order.
        self._unnamed += 1
        return SelectItem(expr, f"expr{self._unnamed}")

    def _order_by(self) -> tuple[OrderItem, ...]:
        self._expect("BY")
        keys = [self._order_item()]
        while self._accept(","):
            keys.append(self._order_item())
        return tuple(keys)

    def _order_item(self) -> OrderItem:
        expr = self._expr()
        descending = self._accept("DESC")
        if not descending:
            self._accept("ASC")
        if self._accept("NULLS"):
            self._accept("FIRST", "LAST")
        return OrderItem(expr, descending)

    # -- conditions ----------------------------------------------------------------------------
    def _condition(self) -> Cond:
        items = [self._conjunction()]
        while self._accept("OR"):
            items.append(self._conjunction())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def _conjunction(self) -> Cond:
        items = [self._negation()]
        while self._accept("AND"):
            items.append(self._negation())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def _negation(self) -> Cond:
        if self._accept("NOT"):
            return Not(self._negation())
        if self._at("(") and self._parenthesised_condition():
            self._next()
            inner = self._condition()
            self._expect(")")
            return inner
        return self._predicate()

    def _parenthesised_condition(self) -> bool:
        # "(" opens a condition unless it wraps a plain value followed by a comparison.
        token = self._peek(1)
        return not (token.kind in (Tok.STRING, Tok.NUMBER) and self._peek(2).text == ")")

    def _predicate(self) -> Cond:
        left = self._expr()
        if self._peek().text in _COMPARISONS and self._peek().kind is Tok.SYMBOL:
            op = _COMPARISONS[self._next().text]
            return Compare(op, left, self._expr())
        if self._accept("IS"):
            negated = self._accept("NOT")
            self._expect("NULL")
            return IsNull(left, negated)
        negated = self._accept("NOT")
        if self._accept("IN"):
            self._expect("(")
            if self._at("SELECT"):
                raise SuiteQLSyntaxError("Sub-queries are not supported by the emulator's SuiteQL subset")
            items = [self._expr()]
            while self._accept(","):
                items.append(self._expr())
            self._expect(")")
            return InList(left, tuple(items), negated)
        if self._accept("LIKE"):
            return Like(left, self._expr(), negated)
        if self._accept("BETWEEN"):
            low = self._expr()
            self._expect("AND")
            return Between(left, low, self._expr(), negated)
        raise self._error("expected a comparison")

    # -- expressions ---------------------------------------------------------------------------
    def _expr(self) -> Expr:
        token = self._next()
        if token.kind is Tok.NUMBER:
            try:
                return Literal(Decimal(token.text))
            except InvalidOperation as exc:
                raise SuiteQLSyntaxError(f"Invalid number '{token.text}' at position {token.pos}") from exc
        if token.kind is Tok.STRING:
            return Literal(token.text)
        if token.kind is Tok.KEYWORD and token.text == "NULL":
            return Literal(None)
        if token.kind is Tok.SYMBOL and token.text == "(":
            inner = self._expr()
            self._expect(")")
            return inner
        if token.kind is not Tok.IDENT:
            self._i -= 1
            raise self._error("expected a value or a column")
        name = token.text
        if self._at(".") and self._peek(1).kind is Tok.IDENT:
            self._next()
            member = self._ident()
            if self._at("("):
                return self._call(f"{name}.{member}".upper())
            if name.lower() not in self._qualifiers:
                raise SuiteQLSyntaxError(f"Unknown table alias '{name}'")
            return Column(member.lower())
        if self._at("("):
            return self._call(name.upper())
        if name.upper() in _NILADIC:
            return Call(name.upper(), ())
        return Column(name.lower())

    def _call(self, name: str) -> Call:
        self._expect("(")
        if self._accept("*"):
            self._expect(")")
            return Call(name, (), star=True)
        args: list[Expr] = []
        if not self._at(")"):
            args.append(self._expr())
            while self._accept(","):
                args.append(self._expr())
        self._expect(")")
        return Call(name, tuple(args))


def _table_names(tokens: list[Token]) -> set[str]:
    # Column qualifiers (t.id) may appear before FROM is reached, so collect table and alias first.
    for index, token in enumerate(tokens):
        if token.kind is Tok.KEYWORD and token.text == "FROM":
            following = [*tokens[index + 1 : index + 4], Token(Tok.END, "", 0), Token(Tok.END, "", 0)]
            table, maybe_alias, after_as = following[0], following[1], following[2]
            if maybe_alias.kind is Tok.KEYWORD and maybe_alias.text == "AS":
                maybe_alias = after_as
            return {t.text.lower() for t in (table, maybe_alias) if t.kind is Tok.IDENT}
    return set()
