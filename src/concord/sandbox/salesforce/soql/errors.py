"""SOQL errors in the platform's style: the query, a caret under the offending spot, its row and column,
then the reason, e.g.::

    SELECT Id FORM Account
              ^
    ERROR at Row:1:Column:11
    unexpected token: FORM
"""

from __future__ import annotations


class SoqlError(Exception):
    """A query the platform refuses.

    Attributes:
        code: ``MALFORMED_QUERY``, ``INVALID_FIELD``, ``INVALID_TYPE``, ``INVALID_QUERY_FILTER_OPERATOR``
            or ``NUMBER_OUTSIDE_VALID_RANGE``.
        detail: the reason, without the position banner.
        position: character offset of the offending token in the query, if known.
    """

    def __init__(self, code: str, detail: str, position: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.position = position

    def render(self, query: str) -> str:
        """The message Salesforce sends: the detail, prefixed with the position banner when known."""
        if self.position is None:
            return self.detail
        before = query[: self.position]
        row = before.count("\n") + 1
        line_start = before.rfind("\n") + 1
        line_end = query.find("\n", self.position)
        line = query[line_start : len(query) if line_end < 0 else line_end]
        column = self.position - line_start
        return f"\n{line}\n{' ' * column}^\nERROR at Row:{row}:Column:{column + 1}\n{self.detail}"
