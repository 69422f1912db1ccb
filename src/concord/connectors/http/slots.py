"""A counting semaphore for asyncio that serves waiters by priority (lower number first), then in
arrival order."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class PrioritySlots:
    """At most ``capacity`` holders at once; when full, the most urgent waiter gets the next free slot.

    Args:
        capacity: Slots available (at least 1).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._free = capacity
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def taken(self) -> int:
        """Slots held right now."""
        return self.capacity - self._free

    @property
    def waiting(self) -> int:
        """Callers queued for a slot."""
        return sum(1 for _, _, future in self._waiters if not future.done())

    async def take(self, priority: int) -> None:
        """Wait for a slot; a cancelled waiter never keeps one."""
        if self._free > 0:
            # A free slot means nobody is queued: ``give`` hands slots to waiters before freeing them.
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                # Granted in the same instant as the cancellation: pass the slot on.
                self.give()
            raise

    def give(self) -> None:
        """Return a slot: to the most urgent live waiter, else to the pool."""
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1
