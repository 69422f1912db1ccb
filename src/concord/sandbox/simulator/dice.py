"""Deterministic randomness: every decision draws from a generator seeded with the simulation seed and
the decision's own name (day, actor, natural key of the record), so the same seed and the same starting
data give the same actions whatever order the work runs in, and record ids assigned by the platforms
(which differ between two loads of the same firm) never steer a decision."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Dice:
    """A seeded random source for one decision or one actor's day.

    Args:
        seed: The simulation seed.
        parts: What the decision is about (day, actor, keys); joined into the generator's seed.
    """

    def __init__(self, seed: int, *parts: object) -> None:
        self._rng = random.Random(":".join(str(part) for part in (seed, *parts)))

    def chance(self, probability: float) -> bool:
        """True with ``probability``."""
        return self._rng.random() < probability

    def between(self, low: int, high: int, step: int = 1) -> int:
        """A whole number from ``low`` to ``high`` (inclusive) in steps of ``step``."""
        return self._rng.randrange(low, high + 1, step)

    def pick(self, items: Sequence[T]) -> T:
        """One of ``items`` (not empty)."""
        return items[self._rng.randrange(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        """One of ``items`` with the given weights."""
        return self._rng.choices(items, weights)[0]

    def sample(self, items: Sequence[T], count: int) -> list[T]:
        """``count`` distinct items (all of them when there are fewer)."""
        return self._rng.sample(list(items), min(count, len(items)))

    def shuffled(self, items: Sequence[T]) -> list[T]:
        """``items`` in a random order."""
        copy = list(items)
        self._rng.shuffle(copy)
        return copy

    def fraction(self) -> float:
        """A number in [0, 1)."""
        return self._rng.random()
