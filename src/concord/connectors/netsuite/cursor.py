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
from zoneinfo import ZoneInfo

from concord.connectors.http.watermark import StampState, Watermark

_EPOCH = datetime(1970, 1, 1)


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
        return self.state().encode()

    @classmethod
    def decode(cls, text: str | None) -> StampCursor:
        """A stored cursor (None or empty: from the beginning).

        Raises:
            ValueError: the text is not a cursor this code wrote.
        """
        return cls.from_state(StampState.decode(text, "NetSuite change cursor"))

    @classmethod
    def from_state(cls, state: StampState) -> StampCursor:
        """The cursor of a watermark in wall-clock seconds."""
        return cls(
            None if state.high is None else wall_clock(state.high),
            dict(state.seen),
            None if state.floor is None else wall_clock(state.floor),
        )

    def state(self) -> StampState:
        """The cursor in wall-clock seconds."""
        return StampState(
            None if self.stamp is None else wall_seconds(self.stamp),
            self.seen,
            None if self.floor is None else wall_seconds(self.floor),
        )

    def watermark(self, overlap: int, max_seen: int) -> Watermark:
        """A working copy for a poll (``overlap`` in seconds)."""
        return Watermark(self.state(), overlap, max_seen)
