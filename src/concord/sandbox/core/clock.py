"""The emulator's notion of now: real UTC time by default, settable and advanceable for simulations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import NamedTuple


class _ClockState(NamedTuple):
    frozen_at: datetime | None
    offset: timedelta


class ClockError(ValueError):
    """A clock update that cannot be applied (naive datetime, negative advance of a frozen clock...)."""


def _require_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClockError(f"datetime {value.isoformat()} has no timezone; give an offset such as 'Z'")
    return value.astimezone(UTC)


class Clock:
    """Now, as the emulator sees it (always an aware UTC datetime).

    The clock runs in one of two ways: *running* (real time plus an offset, so time keeps passing after a
    ``set``) or *frozen* (always the same instant until set or advanced). Reads take no lock: the state is
    one immutable tuple swapped atomically, because ``now()`` is on every request's path.
    """

    def __init__(self) -> None:
        self._state = _ClockState(frozen_at=None, offset=timedelta(0))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the current emulator time (aware, UTC)."""
        state = self._state
        if state.frozen_at is not None:
            return state.frozen_at
        return datetime.now(UTC) + state.offset

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still."""
        return self._state.frozen_at is not None

    @property
    def offset(self) -> timedelta:
        """How far the clock is ahead of (positive) or behind real time."""
        state = self._state
        if state.frozen_at is not None:
            return state.frozen_at - datetime.now(UTC)
        return state.offset

    def set(self, now: datetime, *, frozen: bool | None = None) -> datetime:
        """Jump to ``now``; keep running (or frozen) as before unless ``frozen`` says otherwise."""
        target = _require_aware(now)
        with self._lock:
            stay_frozen = self.frozen if frozen is None else frozen
            if stay_frozen:
                self._state = _ClockState(frozen_at=target, offset=timedelta(0))
            else:
                self._state = _ClockState(frozen_at=None, offset=target - datetime.now(UTC))
        return target

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (a timedelta or seconds); a negative delta moves it back."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            state = self._state
            if state.frozen_at is not None:
                self._state = _ClockState(frozen_at=state.frozen_at + step, offset=timedelta(0))
            else:
                self._state = _ClockState(frozen_at=None, offset=state.offset + step)
        return self.now()

    def freeze(self) -> datetime:
        """Stop the clock at the current emulator time."""
        return self.set(self.now(), frozen=True)

    def unfreeze(self) -> datetime:
        """Let the clock run again from where it stands."""
        return self.set(self.now(), frozen=False)

    def reset(self) -> None:
        """Back to real time, running."""
        with self._lock:
            self._state = _ClockState(frozen_at=None, offset=timedelta(0))
