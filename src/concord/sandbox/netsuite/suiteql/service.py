"""``POST /services/rest/query/v1/suiteql``: parse, run and page a query.

Items carry ``links: []`` and the selected columns, lower-cased, every value a string; NULL columns are
left out of the item. ``limit`` (default and maximum 1000) and ``offset`` page the result; the envelope
has ``links``, ``count``, ``hasMore``, ``items``, ``offset`` and ``totalResults``. A query the emulator
cannot parse or run is answered 400 ``INVALID_PARAMETER`` with "Invalid search query...".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from concord.sandbox.netsuite.errors import NetSuiteError, error, invalid_content, invalid_parameter
from concord.sandbox.netsuite.render import collection
from concord.sandbox.netsuite.store import RecordRepository
from concord.sandbox.netsuite.suiteql.evaluate import execute, referenced_columns, render
from concord.sandbox.netsuite.suiteql.lexer import SuiteQLSyntaxError
from concord.sandbox.netsuite.suiteql.parser import parse
from concord.sandbox.netsuite.suiteql.pushdown import modified_lower_bound
from concord.sandbox.netsuite.suiteql.tables import UnknownTableError, cached_table

QUERY_PATH = "/services/rest/query/v1/suiteql"
MAX_LIMIT = 1000
MAX_RESULTS = 100_000
_PREFIX = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "


def run_suiteql(
    body: Any,
    params: Mapping[str, str],
    repo: RecordRepository,
    now: datetime,
    base_url: str,
) -> dict[str, Any]:
    """Answer one SuiteQL request.

    Args:
        body: The parsed JSON body (``{"q": "SELECT ..."}``).
        params: Query parameters (``limit``, ``offset``).
        repo: The records.
        now: The emulator clock (``SYSDATE``).
        base_url: Scheme and host for the paging links.

    Returns:
        The collection document.

    Raises:
        NetSuiteError: 400 for a bad body, bad paging parameters or a query that cannot run.
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("q"), str) or not body["q"].strip():
        raise invalid_content("Invalid content in the request body. The body must contain the query in q.")
    limit = _int_param(params, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    offset = _int_param(params, "offset", 0, 0, MAX_RESULTS)
    try:
        query = parse(body["q"])
        table = cached_table(
            query.table,
            repo,
            modified_since=modified_lower_bound(query.where, now),
            columns=referenced_columns(query),
        )
        result = execute(query, table.columns, table.rows, now, window=(offset, limit), cap=MAX_RESULTS)
    except UnknownTableError as exc:
        raise _search_error(f"Record '{exc.args[0]}' was not found.") from exc
    except SuiteQLSyntaxError as exc:
        raise _search_error(str(exc)) from exc
    except RecursionError as exc:
        raise _search_error("The query is nested too deeply.") from exc
    items = [_item(row) for row in result.rows]
    return collection(
        items,
        offset=offset,
        total=result.total,
        self_href=base_url.rstrip("/") + QUERY_PATH,
        limit=limit,
        params=params,
    )


def _item(row: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"links": []}
    for name, value in row.items():
        text = render(value)
        if text is not None:
            item[name] = text
    return item


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_parameter(
            f"Invalid value for the {name} query parameter: {raw}. Use a whole number from {low} to {high}.",
            query_param=name,
        )
    return int(raw)


def _search_error(reason: str) -> NetSuiteError:
    return error(400, "INVALID_PARAMETER", _PREFIX + reason)
