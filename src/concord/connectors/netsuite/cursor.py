"""``StampCursor``: where a NetSuite change poll stands, exact at equal timestamps.

Stamps are NetSuite's wall clock as SuiteQL shows it (``TO_CHAR(..., 'YYYY-MM-DD HH24:MI:SS')``): naive
datetimes in the account's time zone, whole seconds. They are stored as seconds since 1970-01-01 00:00
of that wall clock, which is plain arithmetic and needs no time zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

_EPOCH = datetime(1970, 1, 1)
_PRUNE_AT_LEAST = 1024


def wall_seconds(moment: datetime) -> int:
    """A naive wall-clock time as seconds since 1970-01-01 00:00 of the same wall clock."""
    return calendar.timegm(moment.timetuple())


def wall_clock(seconds: int) -> datetime:
    """Inverse of ``wall_seconds``."""
    return _EPOCH + timedelta(seconds=seconds)


@dataclass(frozen=True)
class StampCursor:
    """Where a poll stands; ``encode()`` it to store it.

    Attributes:
        stamp: The high-water mark (the account's wall clock, whole seconds; None before any record).
        seen: Versions delivered within the overlap window: record id → (stamp in wall-clock seconds,
            digest of the values).
        floor: Rows stamped at or before this count as delivered (``starting_at``, or ``seen`` overflow).
    """

    stamp: datetime | None = None
    seen: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    floor: datetime | None = None

    @classmethod
    def starting_at(cls, moment: datetime, zone: ZoneInfo | None = None) -> StampCursor:
        """A cursor that delivers records stamped at or after ``moment`` (a backfill's ``--since``).

        Args:
            moment: A naive wall-clock time of the account, or an aware time (converted to ``zone``).
            zone: The account's time zone (``spec.zone``), needed for an aware ``moment``.
        """
        if moment.tzinfo is not None:
            if zone is None:
                raise ValueError("an aware moment needs the account's zone (spec.zone) to become a stamp")
            moment = moment.astimezone(zone).replace(tzinfo=None)
        start = moment.replace(microsecond=0)
        if start < moment:
            start += timedelta(seconds=1)
        return cls(stamp=start, floor=start - timedelta(seconds=1))

    def encode(self) -> str:
        """The cursor as compact JSON text."""
        doc: dict[str, Any] = {"v": 1, "seen": {k: list(v) for k, v in self.seen.items()}}
        if self.stamp is not None:
            doc["stamp"] = wall_seconds(self.stamp)
        if self.floor is not None:
            doc["floor"] = wall_seconds(self.floor)
        return orjson.dumps(doc).decode()

    @classmethod
    def decode(cls, text: str | None) -> StampCursor:
        """A stored cursor (None or empty: from the beginning).

        Raises:
            ValueError: the text is not a cursor this code wrote.
        """
        if not text:
            return cls()
        try:
            doc = orjson.loads(text)
            if doc.get("v") != 1:
                raise ValueError(f"unknown cursor version {doc.get('v')!r}")
            seen = {str(k): (int(v[0]), str(v[1])) for k, v in doc.get("seen", {}).items()}
            stamp = wall_clock(int(doc["stamp"])) if "stamp" in doc else None
            floor = wall_clock(int(doc["floor"])) if "floor" in doc else None
        except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"not a NetSuite change cursor: {text[:80]!r} ({exc})") from exc
        return cls(stamp, seen, floor)

    def mutable(self) -> CursorState:
        """A working copy for a poll."""
        return CursorState(
            None if self.stamp is None else wall_seconds(self.stamp),
            dict(self.seen),
            None if self.floor is None else wall_seconds(self.floor),
        )


class CursorState:
    """A poll's working cursor (seconds): which versions count as delivered, and delivering more."""

    def __init__(self, high: int | None, seen: dict[str, tuple[int, str]], floor: int | None) -> None:
        self.high = high
        self.seen = seen
        self.floor = floor
        self._prune_at = max(_PRUNE_AT_LEAST, 2 * len(seen))

    def is_new(self, record_id: str, stamp: int, overlap: int, digest: str) -> bool:
        """Whether this version has not been delivered (nor lies below what the cursor covers)."""
        if self.high is not None and stamp < self.high - overlap:
            return False
        if self.floor is not None and stamp <= self.floor:
            return False
        return self.seen.get(record_id) != (stamp, digest)

    def deliver(self, record_id: str, stamp: int, digest: str) -> None:
        """Count a version as delivered."""
        self.seen[record_id] = (stamp, digest)
        if self.high is None or stamp > self.high:
            self.high = stamp

    def prune_if_large(self, overlap: int, max_seen: int) -> None:
        """Prune when the seen map has doubled since the last pruning (amortised)."""
        if len(self.seen) >= self._prune_at:
            self.prune(overlap, max_seen)

    def prune(self, overlap: int, max_seen: int) -> None:
        """Forget versions below the window; beyond ``max_seen``, fold the oldest into ``floor``."""
        if self.high is not None:
            bottom = self.high - overlap
            self.seen = {k: v for k, v in self.seen.items() if v[0] >= bottom}
            if len(self.seen) > max_seen:
                # Drop the oldest stamps, never the high-water group (needed to resume inside it).
                ordered = sorted(self.seen.items(), key=lambda item: item[1][0])
                dropped = [item for item in ordered[: len(self.seen) - max_seen] if item[1][0] < self.high]
                for key, _ in dropped:
                    del self.seen[key]
                if dropped:
                    newest = dropped[-1][1][0]
                    self.floor = newest if self.floor is None else max(self.floor, newest)
        self._prune_at = max(_PRUNE_AT_LEAST, 2 * len(self.seen))

    def frozen(self, overlap: int, max_seen: int) -> StampCursor:
        """The cursor to store (pruned)."""
        self.prune(overlap, max_seen)
        return StampCursor(
            None if self.high is None else wall_clock(self.high),
            dict(self.seen),
            None if self.floor is None else wall_clock(self.floor),
        )
