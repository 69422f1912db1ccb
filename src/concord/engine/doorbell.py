"""Waking an idle stage of a worker when another stage made work for it.

A stage that finds nothing to do sleeps, backing off, and asks the store again when it wakes: that is how
it learns of work other workers made. Work made in the same process need not wait for that: the stage that
made it rings the next stage's doorbell, and one sleeper wakes at once. A ring with nobody asleep is kept
(one, not counted), so a stage about to sleep does not miss it. asyncio's ``Event`` wakes every waiter
and ``Condition`` forgets a notification nobody waited for, hence this small class.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque


class Doorbell:
    """Wakes one sleeping stage per ring."""

    def __init__(self) -> None:
        self._sleepers: deque[asyncio.Future[None]] = deque()
        self._rung = False

    def ring(self) -> None:
        """Wake one sleeper, or the next stage to sleep if none sleeps now."""
        while self._sleepers:
            sleeper = self._sleepers.popleft()
            if not sleeper.done():
                sleeper.set_result(None)
                return
        self._rung = True

    async def sleep(self, timeout_s: float) -> bool:
        """Sleep until rung or ``timeout_s`` passed; returns whether it was rung."""
        if self._rung:
            self._rung = False
            return True
        sleeper: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append(sleeper)
        try:
            await asyncio.wait_for(sleeper, timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            with contextlib.suppress(ValueError):
                self._sleepers.remove(sleeper)
