"""Query cursors behind ``nextRecordsUrl`` (``/services/data/v59.0/query/01gXXXXXXXXXXXXXXX-2000``).

A query whose rows do not fit one batch keeps its rows here; the locator's suffix is the offset of the
next batch. As on the platform, a user has at most 10 open cursors (opening another releases the
oldest), a cursor idle for 15 minutes expires, and an unknown locator is ``INVALID_QUERY_LOCATOR``.
Batch size defaults to 2,000 and follows ``Sforce-Query-Options: batchSize=N`` within 200..2,000.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from concord.sandbox.salesforce.errors import SalesforceApiError
from concord.sandbox.salesforce.ids import IdGenerator

DEFAULT_BATCH = 2000
MIN_BATCH = 200
MAX_CURSORS_PER_USER = 10
IDLE_TIMEOUT_S = 15 * 60.0
_LOCATOR = re.compile(r"^(01g[A-Za-z0-9]{15})-(\d+)$")
_BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def batch_size(query_options: str | None) -> int:
    """The batch size asked for in ``Sforce-Query-Options``, clamped to 200..2,000."""
    match = _BATCH_OPTION.search(query_options or "")
    if match is None:
        return DEFAULT_BATCH
    return min(max(int(match.group(1)), MIN_BATCH), DEFAULT_BATCH)


@dataclass
class _Cursor:
    user_id: str
    records: Sequence[dict[str, Any]]
    batch: int
    touched: float = field(default_factory=time.monotonic)


class QueryCursors:
    """Open query cursors, per user."""

    def __init__(self, id_generator: IdGenerator) -> None:
        self._ids = id_generator
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def first_page(
        self, user_id: str, records: Sequence[dict[str, Any]], batch: int, *, version: str, resource: str
    ) -> dict[str, Any]:
        """The response to a query: the first batch, and a ``nextRecordsUrl`` when rows remain."""
        if len(records) <= batch:
            return {"totalSize": len(records), "done": True, "records": list(records)}
        locator = self._ids.new_id("01g")
        with self._lock:
            self._evict(user_id)
            self._cursors[locator] = _Cursor(user_id, records, batch)
        return self._page(locator, records, 0, batch, version, resource)

    def next_page(
        self, user_id: str, locator_text: str, batch: int | None, *, version: str, resource: str
    ) -> dict[str, Any]:
        """The batch a ``nextRecordsUrl`` points at.

        Raises:
            SalesforceApiError: 400 INVALID_QUERY_LOCATOR for an unknown, expired or foreign cursor.
        """
        match = _LOCATOR.match(locator_text)
        with self._lock:
            cursor = self._cursors.get(match.group(1)) if match else None
            if match is None or cursor is None or cursor.user_id != user_id or self._expired(cursor):
                raise SalesforceApiError.single(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            cursor.touched = time.monotonic()
            self._cursors.move_to_end(match.group(1))
        start = int(match.group(2))
        page = self._page(match.group(1), cursor.records, start, batch or cursor.batch, version, resource)
        if page["done"]:
            with self._lock:
                self._cursors.pop(match.group(1), None)
        return page

    @staticmethod
    def _page(
        locator: str, records: Sequence[dict[str, Any]], start: int, batch: int, version: str, resource: str
    ) -> dict[str, Any]:
        end = min(start + batch, len(records))
        page: dict[str, Any] = {
            "totalSize": len(records),
            "done": end >= len(records),
            "records": list(records[start:end]),
        }
        if not page["done"]:
            page["nextRecordsUrl"] = f"/services/data/v{version}/{resource}/{locator}-{end}"
        return page

    @staticmethod
    def _expired(cursor: _Cursor) -> bool:
        return time.monotonic() - cursor.touched > IDLE_TIMEOUT_S

    def _evict(self, user_id: str) -> None:
        for locator in [k for k, c in self._cursors.items() if self._expired(c)]:
            del self._cursors[locator]
        owned = [k for k, c in self._cursors.items() if c.user_id == user_id]
        for locator in owned[: max(len(owned) - MAX_CURSORS_PER_USER + 1, 0)]:
            del self._cursors[locator]

    def clear(self) -> None:
        """Forget every cursor (after a data reset)."""
        with self._lock:
            self._cursors.clear()
