"""The cursor both Kantata change sources keep, and the scan that reads "everything stamped since".

Kantata filters lists by time (``updated_after``, ``created_after``: strictly after) and pages them by
number, with no server-side snapshot. Paging by number through a list that changes while it is read
skips rows: a record updated during the scan moves to the end, and every row behind it moves one place
forward, across a page boundary. So ``scan`` pages by *stamp* instead (keyset): each next page is page 1
of "stamped at or after the last stamp read". Only a group of rows sharing one stamp that is larger than a
page is paged by number; such a group is read once more after the scan has passed it (a *sweep*), which
picks up rows that shifted across a page boundary while the group was being read.

The cursor holds the high-water stamp and, for every row delivered within the overlap window below it,
the version delivered (stamp and digest). A re-read row is skipped when that exact version was
delivered, and delivered otherwise. Hence nothing is lost at equal stamps, a scan can stop after any row
and resume there, a row committed late (with a stamp below what was read) is caught while it is inside
the overlap window, and a version is delivered once. The window's id map is bounded (``max_seen``);
beyond it the oldest stamps fold into a ``floor`` below which rows count as delivered.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import orjson

from concord.connectors.http.watermark import StampState
from concord.connectors.http.watermark import Watermark as SharedWatermark
from concord.connectors.kantata.errors import SYSTEM
from concord.engine.errors import TransientError

MAX_SEEN = 50_000
MAX_SWEEPS = 3
T = TypeVar("T")
Row = dict[str, Any]


def ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.astimezone(UTC).timestamp() * 1000)


def moment(epoch_ms: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def parse_stamp(text: Any) -> datetime:
    """A Kantata timestamp (``2026-06-02T10:15:30.123Z`` or ``2013-07-31T10:43:32-07:00``) in UTC.

    Raises:
        TransientError: it is not an ISO-8601 datetime with a timezone.
    """
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise TransientError(f"{SYSTEM} sent a timestamp that is not ISO-8601: {text!r}") from exc
    if value.tzinfo is None:
        raise TransientError(f"{SYSTEM} sent a timestamp without a timezone: {text!r}")
    return value.astimezone(UTC)


def query_stamp(epoch_ms: int) -> str:
    """The filter value meaning "strictly after ``epoch_ms`` minus 1 ms", i.e. "at or after ``epoch_ms``"."""
    return moment(epoch_ms - 1).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def digest(record: Mapping[str, Any]) -> str:
    """A short digest of a record's values, telling apart two versions with one stamp."""
    encoded = orjson.dumps(record, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(encoded, digest_size=6).hexdigest()


@dataclass(frozen=True)
class StampCursor:
    """Where a scan stands (see the module docstring); ``encode()`` it to store it.

    Attributes:
        stamp: The high-water stamp (None before the first row).
        seen: Versions delivered within the overlap window: key → (stamp in epoch ms, digest).
        floor: Rows stamped at or before this count as delivered (``starting_at``, or ``seen`` overflow).
    """

    stamp: datetime | None = None
    seen: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    floor: datetime | None = None

    @classmethod
    def starting_at(cls, since: datetime) -> StampCursor:
        """A cursor that delivers rows stamped at or after ``since`` (a backfill's ``--since``)."""
        if since.tzinfo is None:
            raise ValueError("starting_at needs an aware datetime, e.g. datetime(2026, 1, 1, tzinfo=UTC)")
        return cls(stamp=since, floor=since - timedelta(milliseconds=1))

    def encode(self) -> str:
        """The cursor as compact JSON text."""
        return self.state().encode()

    @classmethod
    def decode(cls, text: str | None) -> StampCursor:
        """A stored cursor (None or empty: from the beginning).

        Raises:
            ValueError: the text is not a cursor this code wrote.
        """
        return cls.from_state(StampState.decode(text, "Kantata change cursor"))

    def state(self) -> StampState:
        """The cursor in epoch milliseconds."""
        return StampState(
            None if self.stamp is None else ms(self.stamp),
            self.seen,
            None if self.floor is None else ms(self.floor),
        )

    @classmethod
    def from_state(cls, state: StampState) -> StampCursor:
        """The cursor of a watermark in epoch milliseconds."""
        return cls(
            None if state.high is None else moment(state.high),
            dict(state.seen),
            None if state.floor is None else moment(state.floor),
        )


class Watermark(SharedWatermark):
    """The shared watermark over a ``StampCursor``, in epoch milliseconds.

    Args:
        cursor: Where the last scan stopped.
        overlap: How far below the high-water mark to look again for late commits.
        max_seen: Bound on the versions remembered within the window.
    """

    def __init__(self, cursor: StampCursor, overlap: timedelta, max_seen: int = MAX_SEEN) -> None:
        if overlap < timedelta(0):
            raise ValueError("overlap must not be negative")
        super().__init__(cursor.state(), int(overlap.total_seconds() * 1000), max_seen)

    def cursor(self) -> StampCursor:
        """The cursor after the last version handed out."""
        return StampCursor.from_state(self.state())


FetchStamped = Callable[[int | None, int], Awaitable[tuple[list[Row], bool]]]
"""``fetch(at_or_after_ms, page_number)`` → (rows in stamp order, whether this is the last page)."""


async def scan(
    fetch: FetchStamped,
    start: int | None,
    stamp_of: Callable[[Row], int],
    judge: Callable[[Row], T | None],
    *,
    sweep: bool,
) -> AsyncGenerator[T, None]:
    """Every row stamped at or after ``start`` that ``judge`` accepts, paging by stamp (module docstring).

    Args:
        fetch: Reads one page.
        start: The first stamp to read (None: from the beginning).
        stamp_of: A row's stamp in epoch ms.
        judge: The item to hand out for a row, or None to skip it (already delivered).
        sweep: Read a group larger than a page once more after passing it (rows of a changing list can
            shift across page boundaries; an append-only list needs no sweep).
    """
    after, page = start, 1
    while True:
        rows, last_page = await fetch(after, page)
        # Paging by number through the group stamped ``after``: its rows come first on the page.
        grouped = sweep and page > 1 and after is not None
        split = len(rows)
        if grouped:
            split = next((i for i, row in enumerate(rows) if stamp_of(row) != after), len(rows))
        head, tail = rows[:split], rows[split:]
        for row in head:
            if (item := judge(row)) is not None:
                yield item
        if grouped and after is not None and (tail or last_page or not rows):
            # Swept before anything newer is handed out, while the group is still the high-water mark.
            async for item in _sweep(fetch, after, stamp_of, judge):
                yield item
        for row in tail:
            if (item := judge(row)) is not None:
                yield item
        if last_page or not rows:
            return
        first, last = stamp_of(rows[0]), stamp_of(rows[-1])
        if first == last and (page == 1 or first == after):
            # One stamp fills the page: page by number through that group. On a first page nothing lies
            # between ``after`` and ``first``, so "at or after first" lists the same rows in the same order.
            after, page = first, page + 1
        else:
            after, page = last, 1


async def _sweep(
    fetch: FetchStamped, group: int, stamp_of: Callable[[Row], int], judge: Callable[[Row], T | None]
) -> AsyncIterator[T]:
    for _ in range(MAX_SWEEPS):
        found = False
        page = 1
        while True:
            rows, last_page = await fetch(group, page)
            for row in rows:
                # Rows past the group are left to the scan, which reads them next.
                if stamp_of(row) == group and (item := judge(row)) is not None:
                    found = True
                    yield item
            if last_page or not rows or stamp_of(rows[-1]) > group:
                break
            page += 1
        if not found:
            return
