"""Change polling that neither loses nor repeats a change, even when many share a timestamp.

Every platform's change query is "records stamped at or after X". A cursor made of a bare timestamp
either repeats the records at X or loses those committed at X after the poll read it. So a watermark
keeps the high-water stamp *and* the exact versions (stamp, digest of the values) delivered within an
overlap window below it. A re-read record is skipped when that exact version was delivered, and delivered
otherwise; a poll can stop after any record and resume there; a record committed late, stamped below
what was read, is caught while it is inside the window. The versions remembered are bounded
(``max_seen``): beyond it the oldest stamps fold into a ``floor`` below which records count as delivered.

Stamps are integers in whatever unit the platform offers (milliseconds for Salesforce and Kantata,
wall-clock seconds for NetSuite); each platform converts its own timestamps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

PRUNE_AT_LEAST = 1024


@dataclass(frozen=True)
class StampState:
    """A stored watermark: high-water stamp, versions seen inside the window, floor."""

    high: int | None = None
    seen: Mapping[str, tuple[int, str]] = field(default_factory=dict)
    floor: int | None = None

    def encode(self) -> str:
        """Compact JSON text, to store as the source's cursor."""
        doc: dict[str, Any] = {"v": 1, "seen": {k: list(v) for k, v in self.seen.items()}}
        if self.high is not None:
            doc["stamp"] = self.high
        if self.floor is not None:
            doc["floor"] = self.floor
        return orjson.dumps(doc).decode()

    @classmethod
    def decode(cls, text: str | None, what: str) -> StampState:
        """A stored watermark (None or empty: from the beginning).

        Raises:
            ValueError: the text is not a cursor this code wrote (``what`` names it in the message).
        """
        if not text:
            return cls()
        try:
            doc = orjson.loads(text)
            if doc.get("v") != 1:
                raise ValueError(f"unknown cursor version {doc.get('v')!r}")
            seen = {str(k): (int(v[0]), str(v[1])) for k, v in doc.get("seen", {}).items()}
            high = int(doc["stamp"]) if "stamp" in doc else None
            floor = int(doc["floor"]) if "floor" in doc else None
        except (orjson.JSONDecodeError, AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"not a {what}: {text[:80]!r} ({exc})") from exc
        return cls(high, seen, floor)


class Watermark:
    """The working form of a ``StampState`` during one poll.

    Args:
        state: Where the last poll stopped.
        overlap: How far below the high-water stamp to look again for late commits (stamp units).
        max_seen: Bound on the versions remembered within the window.
    """

    def __init__(self, state: StampState, overlap: int, max_seen: int) -> None:
        if overlap < 0:
            raise ValueError("overlap must not be negative")
        self.overlap = overlap
        self.high = state.high
        self.floor = state.floor
        self._seen = dict(state.seen)
        self._max_seen = max_seen
        self._prune_at = max(PRUNE_AT_LEAST, 2 * len(self._seen))

    def lower_bound(self) -> int | None:
        """The first stamp a poll must read, or None for everything."""
        if self.high is None:
            return None if self.floor is None else self.floor + 1
        bottom = self.high - self.overlap
        return bottom if self.floor is None else max(bottom, self.floor + 1)

    def is_new(self, key: str, stamp: int, version: str) -> bool:
        """Whether this version of ``key`` has not been delivered (nor lies below what is covered)."""
        if self.high is not None and stamp < self.high - self.overlap:
            return False
        if self.floor is not None and stamp <= self.floor:
            return False
        return self._seen.get(key) != (stamp, version)

    def deliver(self, key: str, stamp: int, version: str) -> None:
        """Record that this version was handed out."""
        self._seen[key] = (stamp, version)
        if self.high is None or stamp > self.high:
            self.high = stamp
        if len(self._seen) >= self._prune_at:
            self.prune()

    def state(self) -> StampState:
        """The watermark to store after the last version handed out."""
        self.prune()
        return StampState(self.high, dict(self._seen), self.floor)

    def prune(self) -> None:
        """Forget versions below the window; beyond ``max_seen``, fold the oldest into the floor."""
        if self.high is not None:
            bottom = self.high - self.overlap
            self._seen = {k: v for k, v in self._seen.items() if v[0] >= bottom}
            if len(self._seen) > self._max_seen:
                # Drop the oldest stamps, never the high-water group (needed to resume inside it).
                ordered = sorted(self._seen.items(), key=lambda item: item[1][0])
                excess = len(self._seen) - self._max_seen
                dropped = [item for item in ordered[:excess] if item[1][0] < self.high]
                for key, _ in dropped:
                    del self._seen[key]
                if dropped:
                    newest = dropped[-1][1][0]
                    self.floor = newest if self.floor is None else max(self.floor, newest)
        self._prune_at = max(PRUNE_AT_LEAST, 2 * len(self._seen))
