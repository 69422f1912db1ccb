"""The platforms' clock, as a ``Clock`` for Concord's business SLAs in the sandbox.

A simulated month moves the emulators' clocks through its days while Concord runs in real time. The
platforms stamp when an SLA interval starts (a deal won, time approved), so its end must be read on the
same clock, or a month compressed into minutes would show every posting as done before it was approved.
Reading the clock over HTTP on every step would cost a request per step: the reading is kept for a
fraction of a second and moved on by real time in between, as the emulators' running clock moves.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx

__all__ = ["PlatformClock"]


class PlatformClock:
    """``now()`` of a sandbox emulator (``GET /__sandbox/clock``), read at most every ``fresh_s``."""

    def __init__(self, url: str, fresh_s: float = 0.25) -> None:
        self.url = url.rstrip("/")
        self.fresh_s = fresh_s
        self._lock = threading.Lock()
        self._read: tuple[float, datetime] | None = None

    def now(self) -> datetime:
        with self._lock:
            held = self._read
            if held is None or time.monotonic() - held[0] > self.fresh_s:
                answer = httpx.get(f"{self.url}/__sandbox/clock", timeout=10)
                answer.raise_for_status()
                held = (time.monotonic(), datetime.fromisoformat(str(answer.json()["now"])).astimezone(UTC))
                self._read = held
        return held[1] + timedelta(seconds=time.monotonic() - held[0])
