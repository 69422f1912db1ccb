"""The iteration every change poll shares: hand out one record at a time, or ``take(n)`` and say whether
more remain, delivering each record to the watermark as it is handed out (so stopping early loses
nothing). A platform's poll supplies only how to find the next new record and how to deliver it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class Poll(ABC, Generic[T]):
    """An async iterator of new records with look-ahead for ``take``."""

    def __init__(self) -> None:
        self._peeked: T | None = None
        self.more: bool | None = None
        """After ``take``: whether records remain beyond it."""

    @abstractmethod
    async def _next_new(self) -> T | None:
        """The next record not delivered before, or None when the poll is exhausted."""

    @abstractmethod
    def _deliver(self, item: T) -> None:
        """Count ``item`` as handed out (advance the watermark)."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        found = self._peeked
        self._peeked = None
        if found is None:
            found = await self._next_new()
        if found is None:
            raise StopAsyncIteration
        self._deliver(found)
        return found

    async def take(self, limit: int) -> list[T]:
        """Up to ``limit`` records; sets ``more`` to whether others remain."""
        taken: list[T] = []
        while len(taken) < limit:
            try:
                taken.append(await self.__anext__())
            except StopAsyncIteration:
                self.more = False
                return taken
        if self._peeked is None:
            self._peeked = await self._next_new()
        self.more = self._peeked is not None
        return taken
