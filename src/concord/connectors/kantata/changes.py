"""Change detection on Kantata by polling: records updated since a cursor, each version handed out once.

A poll reads ``GET /{collection}.json?updated_after=...&order=updated_at:asc`` from the cursor's high-water
mark minus an overlap window, paging by stamp (see ``concord.connectors.kantata.cursor``): records
updated while the poll runs move to the end of the list and are read there, with their new values, and
no record shifts past a page boundary unseen. Each record version (``updated_at`` and a digest of its
values) is delivered once; the cursor remembers the versions inside the overlap window, so that records
sharing one timestamp (a bulk create stamps a hundred at once) are neither lost nor repeated when a poll
stops among them, and a record committed late is caught while inside the window.

Deletions: time entries and most records disappear from lists when deleted, so a poll cannot see them;
tasks are only marked (``deleted_at``, with ``show_deleted=true`` in ``params``). The subscribed-events
feed (``concord.connectors.kantata.feed``) reports every deletion.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from concord.connectors.http.governor import Priority
from concord.connectors.http.polling import Poll
from concord.connectors.kantata.client import KantataClient, collection_name
from concord.connectors.kantata.cursor import (
    MAX_SEEN,
    Row,
    StampCursor,
    Watermark,
    digest,
    ms,
    parse_stamp,
    query_stamp,
    scan,
)
from concord.connectors.kantata.envelope import Record
from concord.connectors.kantata.errors import SYSTEM
from concord.domain.messages import Change
from concord.engine.errors import TransientError

DEFAULT_OVERLAP = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class ChangedRecord:
    """One record version found by a poll.

    Attributes:
        record_id: Kantata's id.
        updated_at: The record's ``updated_at``.
        deleted: Whether it is marked deleted (``deleted_at``, tasks only).
        record: The record as read (joined with the poll's ``include``).
        digest: Digest of the record's own values (not the joined ones).
    """

    record_id: str
    updated_at: datetime
    deleted: bool
    record: Record
    digest: str

    @property
    def version(self) -> str:
        """``<updated_at in epoch ms>:<digest>``: unique per version, even within one timestamp."""
        return f"{ms(self.updated_at)}:{self.digest}"

    def to_change(self, system: str, object_type: str) -> Change:
        """The engine's ``Change`` (``version`` as above)."""
        return Change(
            system=system,
            object_type=object_type,
            source_id=self.record_id,
            payload=dict(self.record),
            changed_at=self.updated_at,
            version=self.version,
            deleted=self.deleted,
        )


class ChangePoll(Poll[ChangedRecord]):
    """One pass over the changes since a cursor: iterate it (or ``take(limit)``), then store ``cursor``.

    Create it with ``changed_since``. The cursor always stands just after the last record handed out, so
    stopping early loses nothing.
    """

    def __init__(
        self,
        client: KantataClient,
        collection: str,
        cursor: StampCursor,
        overlap: timedelta,
        *,
        params: Mapping[str, str],
        include: Sequence[str],
        per_page: int,
        priority: Priority,
        max_seen: int,
    ) -> None:
        super().__init__()
        self._client = client
        self._collection = collection_name(collection)
        self._params = {**params, "order": "updated_at:asc"}
        self._include = tuple(include)
        self._per_page = per_page
        self._priority = priority
        self._mark = Watermark(cursor, overlap, max_seen)
        self._items = scan(self._fetch, self._mark.lower_bound(), _stamp, self._judge, sweep=True)

    @property
    def cursor(self) -> StampCursor:
        """The cursor after the last record handed out."""
        return self._mark.cursor()

    async def _next_new(self) -> ChangedRecord | None:
        return await anext(self._items, None)

    def _deliver(self, item: ChangedRecord) -> None:
        self._mark.deliver(item.record_id, ms(item.updated_at), item.digest)

    async def aclose(self) -> None:
        """Stop reading (the cursor stays valid)."""
        await self._items.aclose()

    async def _fetch(self, at_or_after: int | None, page: int) -> tuple[list[Row], bool]:
        params = dict(self._params)
        if at_or_after is not None:
            params["updated_after"] = query_stamp(at_or_after)
        envelope = await self._client.list_page(
            self._collection,
            params,
            page=page,
            per_page=self._per_page,
            include=self._include,
            priority=self._priority,
        )
        rows = envelope.joined(self._include)
        last = len(envelope.records) < self._per_page or envelope.page_number >= envelope.page_count
        return rows, last

    def _judge(self, row: Row) -> ChangedRecord | None:
        try:
            rid = str(row["id"])
        except KeyError as exc:
            raise TransientError(f"{SYSTEM} returned a {self._collection} record without an id") from exc
        stamp = _stamp(row)
        own = {key: value for key, value in row.items() if key not in self._include}
        values = digest(own)
        if not self._mark.is_new(rid, stamp, values):
            return None
        return ChangedRecord(rid, parse_stamp(row["updated_at"]), bool(row.get("deleted_at")), row, values)


def _stamp(row: Mapping[str, Any]) -> int:
    if "updated_at" not in row:
        raise TransientError(f"{SYSTEM} returned a record without updated_at")
    return ms(parse_stamp(row["updated_at"]))


def changed_since(
    client: KantataClient,
    collection: str,
    cursor: StampCursor | str | None,
    overlap: timedelta = DEFAULT_OVERLAP,
    *,
    params: Mapping[str, str] | None = None,
    include: Sequence[str] = (),
    per_page: int | None = None,
    priority: Priority = Priority.NORMAL,
    max_seen: int = MAX_SEEN,
) -> ChangePoll:
    """The records of ``collection`` changed since ``cursor`` (see the module docstring).

    Args:
        client: The account.
        collection: The list (``time_entries``, ``workspaces``, ``stories``...).
        cursor: Where the last poll stopped (a cursor, its encoded text, or None for everything).
        overlap: How far below the high-water mark to look again for late commits.
        params: Further filters (``workspace_id``, ``from_archived_workspaces=true``...).
        include: Associations to read and join into each record (``approvals.APPROVAL_INCLUDES``).
        per_page: Records per page (default: the spec's).
        priority: Governor priority.
        max_seen: Bound on the versions remembered within the overlap window.

    Example::

        poll = changed_since(client, "time_entries", stored_cursor, include=APPROVAL_INCLUDES)
        batch = await poll.take(500)
        ...record the batch, then store poll.cursor.encode() in the same transaction
    """
    start = cursor if isinstance(cursor, StampCursor) else StampCursor.decode(cursor)
    return ChangePoll(
        client,
        collection,
        start,
        overlap,
        params=params or {},
        include=include,
        per_page=per_page or client.spec.per_page,
        priority=priority,
        max_seen=max_seen,
    )


async def drain(poll: ChangePoll) -> AsyncIterator[ChangedRecord]:
    """Every record of ``poll``, closing it at the end (a convenience for backfills and tests)."""
    try:
        async for found in poll:
            yield found
    finally:
        await poll.aclose()
