"""SOQL tokens: identifiers (keywords are identifiers the parser recognises, case-insensitively),
quoted strings with backslash escapes, numbers, unquoted date and datetime literals, operators and
punctuation. Every token keeps its offset for error messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from concord.sandbox.salesforce.soql.errors import SoqlError


class Kind(Enum):
    """Token kinds."""

    IDENT = "identifier"
    STRING = "string"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    OP = "operator"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    DOT = "."
    COLON = ":"
    EOF = "end of query"


@dataclass(frozen=True)
class Token:
    """One token; ``text`` is the source text, ``value`` the decoded value for strings."""

    kind: Kind
    text: str
    position: int
    value: str = ""

    def is_keyword(self, *words: str) -> bool:
        """Whether this is an identifier spelling one of ``words`` (case-insensitive)."""
        return self.kind is Kind.IDENT and self.text.upper() in words


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?![\dT])")
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile(r"!=|<>|<=|>=|=|<|>")
_PUNCTUATION = {"(": Kind.LPAREN, ")": Kind.RPAREN, ",": Kind.COMMA, ".": Kind.DOT, ":": Kind.COLON}
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
# Kept escaped so LIKE can tell a literal wildcard from a wildcard.
_LIKE_ESCAPES = {"_": "\\_", "%": "\\%"}


def tokenize(query: str) -> list[Token]:
    """Split ``query`` into tokens, ending with an EOF token.

    Raises:
        SoqlError: MALFORMED_QUERY for an unterminated string, a bad escape or a stray character.
    """
    tokens: list[Token] = []
    position = 0
    while position < len(query):
        char = query[position]
        if char.isspace():
            position += 1
            continue
        token = _next_token(query, position, tokens[-1] if tokens else None)
        tokens.append(token)
        position += len(token.text)
    tokens.append(Token(Kind.EOF, "", len(query)))
    return tokens


def _next_token(query: str, position: int, previous: Token | None) -> Token:
    char = query[position]
    if char == "'":
        return _string(query, position)
    if char in _PUNCTUATION:
        return Token(_PUNCTUATION[char], char, position)
    for pattern, kind in ((_DATETIME, Kind.DATETIME), (_DATE, Kind.DATE)):
        match = pattern.match(query, position)
        if match:
            return Token(kind, match.group(), position)
    match = _NUMBER.match(query, position)
    if match and (char != "-" or _sign_allowed(previous)):
        return Token(Kind.NUMBER, match.group(), position)
    match = _IDENT.match(query, position)
    if match:
        return Token(Kind.IDENT, match.group(), position)
    match = _OPERATOR.match(query, position)
    if match:
        return Token(Kind.OP, match.group(), position)
    raise SoqlError(
        "MALFORMED_QUERY", f"line 1:{position} no viable alternative at character '{char}'", position
    )


def _sign_allowed(previous: Token | None) -> bool:
    """A leading minus belongs to a number after an operator, a comma or an opening parenthesis."""
    return previous is not None and previous.kind in (Kind.OP, Kind.COMMA, Kind.LPAREN)


def _string(query: str, start: int) -> Token:
    decoded: list[str] = []
    position = start + 1
    while position < len(query):
        char = query[position]
        if char == "'":
            return Token(Kind.STRING, query[start : position + 1], start, "".join(decoded))
        if char == "\\":
            position += 1
            escaped = query[position] if position < len(query) else ""
            if escaped in _ESCAPES:
                decoded.append(_ESCAPES[escaped])
            elif escaped in _LIKE_ESCAPES:
                decoded.append(_LIKE_ESCAPES[escaped])
            elif escaped == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", query[position + 1 : position + 5]):
                decoded.append(chr(int(query[position + 1 : position + 5], 16)))
                position += 4
            else:
                raise SoqlError(
                    "MALFORMED_QUERY",
                    "Invalid string literal. Illegal character sequence '\\"
                    + escaped
                    + "' in string literal.",
                    position - 1,
                )
        else:
            decoded.append(char)
        position += 1
    raise SoqlError("MALFORMED_QUERY", f"line 1:{start} mismatched character '<EOF>' expecting '''", start)
