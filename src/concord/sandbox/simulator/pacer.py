"""Moving the emulators' clocks through simulated time at the requested speed.

At each checkpoint of a day the clocks are set (frozen) to that instant, so every record written then
carries the simulated time. With a finite speed the pacer also waits between checkpoints (simulated
seconds ÷ speed, less the time the work took) and moves the clocks forward about once a real second
while it waits, so a Concord instance polling alongside sees time pass.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime, timedelta

from concord.sandbox.simulator.apis import SandboxClocks

TICK_S = 1.0


class Pacer:
    """Drives the emulators' clocks.

    Args:
        clocks: The emulators' admin clocks.
        speed: Simulated seconds per real second; 0 or infinity: as fast as possible.
    """

    def __init__(self, clocks: SandboxClocks, speed: float) -> None:
        if speed < 0 or math.isnan(speed):
            raise ValueError(f"speed must be 0 (as fast as possible) or positive, not {speed}")
        self.clocks = clocks
        self.speed = speed
        self.fast = speed == 0 or math.isinf(speed)
        self._mark: tuple[datetime, float] | None = None

    async def reach(self, when: datetime) -> None:
        """Wait (unless fast) until simulated time ``when``, then freeze the clocks there."""
        if not self.fast and self._mark is not None:
            simulated_from, real_from = self._mark
            span_s = (when - simulated_from).total_seconds()
            real_until = real_from + span_s / self.speed
            while (remaining := real_until - time.monotonic()) > 0:
                await asyncio.sleep(min(remaining, TICK_S))
                passed_s = min((time.monotonic() - real_from) * self.speed, span_s)
                await self.clocks.set(simulated_from + timedelta(seconds=passed_s), frozen=True)
        await self.clocks.set(when, frozen=True)
        self._mark = (when, time.monotonic())

    async def release(self, when: datetime) -> None:
        """Leave the clocks running (at real speed) from ``when``."""
        await self.clocks.set(when, frozen=False)
