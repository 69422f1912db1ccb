"""Tokens of the SuiteQL subset the emulator understands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SuiteQLSyntaxError(ValueError):
    """The query text cannot be parsed or uses a construct the emulator does not support."""


class Tok(StrEnum):
    """Token kinds."""

    IDENT = "ident"
    KEYWORD = "keyword"
    STRING = "string"
    NUMBER = "number"
    SYMBOL = "symbol"
    END = "end"


KEYWORDS = frozenset(
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "ORDER", "BY", "ASC", "DESC",
        "AS", "LIKE", "BETWEEN", "TOP", "DISTINCT", "FETCH", "FIRST", "NEXT", "ROWS", "ROW", "ONLY",
        "JOIN", "INNER", "LEFT", "RIGHT", "OUTER", "ON", "GROUP", "HAVING", "UNION", "NULLS", "LAST",
    }
)  # fmt: skip
_SYMBOLS = ("<>", "!=", "<=", ">=", "=", "<", ">", "(", ")", ",", "*", ".")


@dataclass(frozen=True)
class Token:
    """One token; ``text`` is upper-cased for keywords and kept as written otherwise."""

    kind: Tok
    text: str
    pos: int


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens.

    Raises:
        SuiteQLSyntaxError: On an unterminated string or an unexpected character.
    """
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == "-" and query.startswith("--", i):
            end = query.find("\n", i)
            i = n if end < 0 else end
        elif ch == "'":
            text, i = _string(query, i)
            tokens.append(Token(Tok.STRING, text, i))
        elif ch.isdigit() or (ch == "-" and i + 1 < n and query[i + 1].isdigit() and _number_allowed(tokens)):
            start = i
            i += 1
            while i < n and (query[i].isdigit() or query[i] == "."):
                i += 1
            tokens.append(Token(Tok.NUMBER, query[start:i], start))
        elif ch.isalpha() or ch == "_":
            start = i
            while i < n and (query[i].isalnum() or query[i] in "_$"):
                i += 1
            word = query[start:i]
            kind = Tok.KEYWORD if word.upper() in KEYWORDS else Tok.IDENT
            tokens.append(Token(kind, word.upper() if kind is Tok.KEYWORD else word, start))
        else:
            symbol = next((s for s in _SYMBOLS if query.startswith(s, i)), None)
            if symbol is None:
                raise SuiteQLSyntaxError(f"Unexpected character '{ch}' at position {i}")
            tokens.append(Token(Tok.SYMBOL, symbol, i))
            i += len(symbol)
    tokens.append(Token(Tok.END, "", n))
    return tokens


def _string(query: str, start: int) -> tuple[str, int]:
    # SQL strings double a quote to escape it: 'O''Brien'.
    parts: list[str] = []
    i = start + 1
    while i < len(query):
        end = query.find("'", i)
        if end < 0:
            break
        parts.append(query[i:end])
        if query.startswith("''", end):
            parts.append("'")
            i = end + 2
            continue
        return "".join(parts), end + 1
    raise SuiteQLSyntaxError(f"Unterminated string starting at position {start}")


def _number_allowed(tokens: list[Token]) -> bool:
    # A minus sign starts a negative number only where an operand is expected.
    if not tokens:
        return True
    last = tokens[-1]
    return last.kind in (Tok.SYMBOL, Tok.KEYWORD) and last.text not in (")",)
