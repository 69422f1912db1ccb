"""Change detection on NetSuite: SuiteQL polling by ``lastmodifieddate`` with an exact cursor.

A poll reads::

    SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS concord_stamp, <columns> FROM <table>
    WHERE lastmodifieddate >= TO_TIMESTAMP('<high-water mark - overlap>', 'YYYY-MM-DD HH24:MI:SS')
    ORDER BY lastmodifieddate, id

and hands out each record version once. Three NetSuite facts shape it:

- SuiteQL shows a date-time as ``1/5/2026 3:07 pm``, without seconds; ``TO_CHAR`` with an explicit mask
  gives the whole second, which is what the cursor keeps. Many records share one second (a CSV import, a
  scheduled script), and a transaction can commit after a poll has read past its second. So the cursor
  is not a single timestamp: it holds the high-water mark and, for every record delivered within the
  overlap window below it, the version delivered (its second and a digest of the values read; two
  updates within one second differ only there). A re-read row is skipped when that exact version was
  delivered, and delivered otherwise. Nothing is missed at equal timestamps, a poll can stop after any
  record (``take(limit)``) and resume there, and a late commit inside the window is caught next time.
- ``limit``/``offset`` paging re-runs the query for each page. Over rows that change while the poll
  runs, offsets shift: a row updated during the poll moves to the end and the rows after it move up one
  place, so the next page would skip one. The poll therefore pages by key instead: each page is a new
  query for the rows after the last one read, ``(lastmodifieddate, id) > (stamp, id)``. A row changed
  during the poll only moves further ahead, where the poll (or the next) finds it. This also keeps
  polls clear of SuiteQL's 100,000-row cap on offset paging.
- Dates are shown in the integration user's time zone (``spec.time_zone``); the cursor keeps that wall
  clock as read (comparisons in the query use the same zone), and ``changed_at`` converts it to UTC.

Deletions are not rows of the record's table: ``deletions_since`` polls SuiteQL's ``deletedrecord``
table (``recordid``, ``deleteddate``, ``type``) with the same machinery.

A few small setup tables have no ``lastmodifieddate`` column (``UNSTAMPED_TABLES``: NetSuite's Records
Catalog lists none on ``accountingperiod``). A poll of one reads the whole table, by id, every time, and
hands out the rows whose values differ from the version it delivered last: every row of such a table
counts as stamped at one fixed moment, so the cursor remembers each row's digest. A cursor starting at a
moment (``since``) cannot narrow such a table, so it reads every row; ``changed_at`` is when the poll
read the row.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import structlog

from concord.connectors.http.governor import Priority
from concord.connectors.http.polling import Poll
from concord.connectors.netsuite.client import NetSuiteClient
from concord.connectors.netsuite.cursor import StampCursor, wall_clock, wall_seconds
from concord.connectors.netsuite.errors import SYSTEM
from concord.connectors.netsuite.links import Record
from concord.domain.messages import Change
from concord.engine.errors import CannotEncode, TransientError

log = structlog.get_logger(__name__)

DEFAULT_OVERLAP = timedelta(minutes=2)
MAX_SEEN = 50_000
STAMP_MASK = "YYYY-MM-DD HH24:MI:SS"
STAMP_ALIAS = "concord_stamp"
_STAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$", re.I)

UNSTAMPED_TABLES = frozenset({"accountingperiod"})
"""SuiteQL tables without a ``lastmodifieddate`` column: polled whole (see the module docstring)."""

UNSTAMPED = wall_clock(0)
"""The stamp every row of an unstamped table counts as having."""


def _literal(seconds: int) -> str:
    return f"TO_TIMESTAMP('{wall_clock(seconds).strftime(_STAMP_FORMAT)}', '{STAMP_MASK}')"


def digest(row: Mapping[str, Any]) -> str:
    """A short digest of a row's values, telling apart versions within one second."""
    encoded = orjson.dumps(dict(row), option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(encoded, digest_size=6).hexdigest()


@dataclass(frozen=True, slots=True)
class ChangedRecord:
    """One record version (or deletion) found by a poll.

    Attributes:
        record_id: The internal id.
        stamp: ``lastmodifieddate`` (or ``deleteddate``) as NetSuite shows it: the account's wall clock.
        changed_at: The same instant in UTC.
        deleted: Whether this is a deletion.
        record: The columns read (lower-case names, string values, as SuiteQL returns them).
        digest: A digest of ``record``.
    """

    record_id: str
    stamp: datetime
    changed_at: datetime
    deleted: bool
    record: Record
    digest: str

    @property
    def version(self) -> str:
        """``<second>:<digest>``: unique per version, even within one second."""
        return f"{wall_seconds(self.stamp)}:{self.digest}"

    def to_change(self, system: str, object_type: str) -> Change:
        """The engine's ``Change`` (``version`` as above)."""
        return Change(
            system=system,
            object_type=object_type,
            source_id=self.record_id,
            payload=dict(self.record),
            changed_at=self.changed_at,
            version=self.version,
            deleted=self.deleted,
        )


@dataclass(frozen=True, slots=True)
class ChangeSource:
    """What a poll reads: a SuiteQL table, its columns, and which columns are the key and the stamp.

    Attributes:
        table: The SuiteQL table (``customer``, ``job``, ``timebill``, ``transaction``).
        columns: Columns to read besides the key and the stamp (lower-case SuiteQL names).
        id_column: The internal id column.
        stamp_column: The last-modified column; None for a table without one (read whole, by id).
        where: An extra SuiteQL condition (``type = 'CustInvc'``); trusted configuration, not user input.
        deleted: Rows are deletions.
    """

    table: str
    columns: tuple[str, ...] = ()
    id_column: str = "id"
    stamp_column: str | None = "lastmodifieddate"
    where: str | None = None
    deleted: bool = False

    def __post_init__(self) -> None:
        for name in (self.table, self.id_column, self.stamp_column or "id", *self.columns):
            if not _NAME.match(name):
                raise CannotEncode(f"{name!r} is not a valid SuiteQL table or column name")

    def sql(self, lower: int | None, after_id: int | None) -> str:
        """The query for the rows at or after second ``lower`` (after id ``after_id`` within it)."""
        wanted = [c for c in dict.fromkeys(self.columns) if c not in (self.id_column, STAMP_ALIAS)]
        if self.stamp_column is None:
            return self._unstamped_sql(wanted, after_id)
        select = ", ".join(
            [self.id_column, f"TO_CHAR({self.stamp_column}, '{STAMP_MASK}') AS {STAMP_ALIAS}", *wanted]
        )
        conditions = []
        if lower is not None:
            conditions.append(f"{self.stamp_column} >= {_literal(lower)}")
            if after_id is not None:
                conditions.append(
                    f"({self.stamp_column} > {_literal(lower)} OR {self.id_column} > {after_id})"
                )
        if self.where:
            conditions.append(f"({self.where})")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"SELECT {select} FROM {self.table}{where} ORDER BY {self.stamp_column}, {self.id_column}"

    def _unstamped_sql(self, wanted: list[str], after_id: int | None) -> str:
        conditions = [] if after_id is None else [f"{self.id_column} > {after_id}"]
        if self.where:
            conditions.append(f"({self.where})")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        select = ", ".join([self.id_column, *wanted])
        return f"SELECT {select} FROM {self.table}{where} ORDER BY {self.id_column}"

    def stamp_of(self, row: Mapping[str, Any]) -> datetime:
        """The row's stamp as read (``UNSTAMPED`` for a table without one).

        Raises:
            KeyError, ValueError, TypeError: the row has no usable stamp.
        """
        return UNSTAMPED if self.stamp_column is None else _parse(row[STAMP_ALIAS])


class ChangePoll(Poll[ChangedRecord]):
    """One pass over the changes since a cursor: iterate it (or ``take(limit)``), then store ``cursor``.

    Create it with ``changed_since`` or ``deletions_since``. The cursor always stands just after the last
    record handed out, so stopping early loses nothing.
    """

    def __init__(
        self,
        client: NetSuiteClient,
        source: ChangeSource,
        cursor: StampCursor,
        overlap: timedelta,
        *,
        page_size: int | None,
        priority: Priority,
        max_seen: int,
    ) -> None:
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        super().__init__()
        self._client = client
        self._source = source
        self._zone: ZoneInfo = client.spec.zone
        self._overlap = int(overlap.total_seconds())
        self._max_seen = max_seen
        unstamped = source.stamp_column is None
        if unstamped and (cursor.floor is not None or cursor.stamp not in (None, UNSTAMPED)):
            # A moment cannot narrow a table without stamps: read it all (rows are judged by digest).
            cursor = StampCursor()
        self._cursor = cursor.watermark(self._overlap, max_seen)
        self._page_size = page_size
        self._priority = priority
        high = self._cursor.high
        self._position: tuple[int, int] | None = None
        self._lower = None if high is None else high - self._overlap
        self._buffer: list[Record] = []
        self._exhausted = False

    @property
    def cursor(self) -> StampCursor:
        """The cursor after the last record handed out."""
        return StampCursor.from_state(self._cursor.state())

    def _deliver(self, item: ChangedRecord) -> None:
        self._cursor.deliver(item.record_id, wall_seconds(item.stamp), item.digest)

    async def aclose(self) -> None:
        """Stop reading (the cursor stays valid; nothing is held open between pages)."""
        self._exhausted = True
        self._buffer.clear()

    async def _next_new(self) -> ChangedRecord | None:
        while True:
            if not self._buffer:
                if self._exhausted:
                    return None
                await self._fetch()
                continue
            found = self._judge(self._buffer.pop())
            if found is not None:
                return found

    async def _fetch(self) -> None:
        before = self._position
        lower, after = (self._lower, None) if before is None else before
        sql = self._source.sql(lower, after)
        page = await self._client.query_page(sql, limit=self._page_size, priority=self._priority)
        rows = list(page.items)
        for row in reversed(rows):
            position = self._position_of(row)
            if position is not None:
                self._position = position
                break
        self._exhausted = page.next is None
        if not self._exhausted and self._position == before:
            raise TransientError(
                f"{SYSTEM} answered a change query on {self._source.table} with rows that do not move past "
                f"the last one read; the poll stops here (its cursor is still valid)"
            )
        self._buffer = list(reversed(rows))

    def _position_of(self, row: Record) -> tuple[int, int] | None:
        try:
            return wall_seconds(self._source.stamp_of(row)), int(row[self._source.id_column])
        except (KeyError, ValueError, TypeError):
            return None

    def _judge(self, row: Record) -> ChangedRecord | None:
        source = self._source
        try:
            record_id = str(row[source.id_column])
            stamp = source.stamp_of(row)
        except (KeyError, ValueError, TypeError):
            log.warning(
                "netsuite row without a usable id or stamp skipped", table=source.table, columns=sorted(row)
            )
            return None
        values = _values(row)
        row_digest = digest(values)
        if not self._cursor.is_new(record_id, wall_seconds(stamp), row_digest):
            return None
        if source.stamp_column is None:
            changed_at = datetime.now(UTC)
        else:
            changed_at = stamp.replace(tzinfo=self._zone).astimezone(UTC)
        return ChangedRecord(record_id, stamp, changed_at, source.deleted, values, row_digest)


def _parse(text: Any) -> datetime:
    return datetime.strptime(str(text), _STAMP_FORMAT)


def _values(row: Record) -> Record:
    return {k: v for k, v in row.items() if k != STAMP_ALIAS}


def _start(cursor: StampCursor | str | None) -> StampCursor:
    return cursor if isinstance(cursor, StampCursor) else StampCursor.decode(cursor)


def changed_since(
    client: NetSuiteClient,
    table: str,
    columns: Sequence[str],
    cursor: StampCursor | str | None,
    overlap: timedelta = DEFAULT_OVERLAP,
    *,
    where: str | None = None,
    page_size: int | None = None,
    priority: Priority = Priority.NORMAL,
    max_seen: int = MAX_SEEN,
) -> ChangePoll:
    """The rows of ``table`` changed since ``cursor`` (see the module docstring).

    Args:
        client: The account.
        table: The SuiteQL table (``customer``, ``job``, ``timebill``, ``transaction`` ...).
        columns: Columns to read besides ``id`` and the stamp.
        cursor: Where the last poll stopped (a cursor, its encoded text, or None for everything).
        overlap: How far below the high-water mark to look again for late commits.
        where: An extra condition (``type = 'CustInvc'`` on ``transaction``).
        page_size: Rows per query (default ``spec.query_page_size``).
        priority: Governor priority.
        max_seen: Bound on the versions remembered within the overlap window.

    Example::

        poll = changed_since(client, "timebill", ["employee", "hours", "trandate"], stored_cursor)
        batch = await poll.take(500)
        ...record the batch, then store poll.cursor.encode() in the same transaction
    """
    stamp_column = None if table in UNSTAMPED_TABLES else "lastmodifieddate"
    source = ChangeSource(table, tuple(columns), stamp_column=stamp_column, where=where)
    return ChangePoll(
        client, source, _start(cursor), overlap, page_size=page_size, priority=priority, max_seen=max_seen
    )


def deletions_since(
    client: NetSuiteClient,
    record_type: str,
    cursor: StampCursor | str | None,
    overlap: timedelta = DEFAULT_OVERLAP,
    *,
    page_size: int | None = None,
    priority: Priority = Priority.NORMAL,
    max_seen: int = MAX_SEEN,
) -> ChangePoll:
    """Records of ``record_type`` deleted since ``cursor``, from SuiteQL's ``deletedrecord`` table.

    ``record_type`` is the table's ``type`` value, the record type id in lower case (``customer``,
    ``timebill``). Each result has ``deleted=True`` and the columns ``name``, ``externalid``, ``type``.
    Keep this cursor apart from the ``changed_since`` cursor of the same records.
    """
    if not _NAME.match(record_type):
        raise CannotEncode(f"{record_type!r} is not a valid record type id")
    source = ChangeSource(
        "deletedrecord",
        ("type", "name", "externalid"),
        id_column="recordid",
        stamp_column="deleteddate",
        where=f"type = '{record_type.lower()}'",
        deleted=True,
    )
    return ChangePoll(
        client, source, _start(cursor), overlap, page_size=page_size, priority=priority, max_seen=max_seen
    )


async def drain(poll: ChangePoll) -> AsyncIterator[ChangedRecord]:
    """Every record of ``poll``, closing it at the end (a convenience for backfills and tests)."""
    try:
        async for found in poll:
            yield found
    finally:
        await poll.aclose()
