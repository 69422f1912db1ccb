"""Retry spacing and circuit breakers: how the engine treats a target that is failing or throttling.

Backoff is exponential with full jitter inside a band (``delay * (1 - jitter) .. delay``), capped, and never
shorter than the target's own Retry-After. A breaker per target opens after consecutive transient
failures, so a sick system is not hammered, lets one trial through after a cool-down (half-open) and
closes on success. A 429 pauses the whole target until its Retry-After has passed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried.

    Attributes:
        initial_s: delay before the second attempt.
        multiplier: growth of the delay per attempt.
        max_delay_s: cap on the delay.
        jitter: fraction of the delay that is randomised away (0 = fixed, 0.5 = between 50 % and 100 %).
        max_attempts: attempts before the command is parked as an exception (target unavailable).
    """

    initial_s: float = 0.5
    multiplier: float = 2.0
    max_delay_s: float = 300.0
    jitter: float = 0.2
    max_attempts: int = 25

    def __post_init__(self) -> None:
        if self.initial_s < 0 or self.multiplier < 1 or not 0 <= self.jitter < 1 or self.max_attempts < 1:
            raise ValueError(
                "retry policy needs initial_s >= 0, multiplier >= 1, 0 <= jitter < 1 and max_attempts >= 1"
            )

    def nominal_delay(self, attempt: int) -> float:
        """The delay after failed attempt number ``attempt`` (1-based), before jitter."""
        return float(min(self.max_delay_s, self.initial_s * self.multiplier ** max(0, attempt - 1)))

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """The delay to wait after failed attempt ``attempt``, honouring the target's Retry-After."""
        nominal = self.nominal_delay(attempt)
        draw = (rng or random).random()
        jittered = nominal * (1 - self.jitter * draw)
        return max(jittered, retry_after or 0.0)


class BreakerState(StrEnum):
    """A circuit breaker's state."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class CircuitBreaker:
    """One target's breaker."""

    target: str
    failure_threshold: int = 5
    cooldown_s: float = 5.0
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: datetime | None = None
    paused_until: datetime | None = None
    transitions: list[tuple[datetime, BreakerState]] = field(default_factory=list)

    def allows(self, now: datetime) -> bool:
        """Whether commands for this target may be claimed now (moves open → half-open when cooled)."""
        if self.paused_until is not None and now < self.paused_until:
            return False
        if self.state is BreakerState.OPEN:
            assert self.opened_at is not None
            if now - self.opened_at < timedelta(seconds=self.cooldown_s):
                return False
            self._move(BreakerState.HALF_OPEN, now)
        return True

    @property
    def trial_only(self) -> bool:
        """In half-open state only one command is let through as a trial."""
        return self.state is BreakerState.HALF_OPEN

    def succeeded(self, now: datetime) -> None:
        """A call to the target worked."""
        self.failures = 0
        if self.state is not BreakerState.CLOSED:
            self._move(BreakerState.CLOSED, now)

    def failed(self, now: datetime) -> None:
        """A call failed transiently (timeouts, 5xx)."""
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or (
            self.state is BreakerState.CLOSED and self.failures >= self.failure_threshold
        ):
            self.opened_at = now
            self._move(BreakerState.OPEN, now)

    def throttled(self, now: datetime, retry_after: float) -> None:
        """The target said slow down: pause it (throttling is not a sign of sickness)."""
        until = now + timedelta(seconds=retry_after)
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    def _move(self, state: BreakerState, now: datetime) -> None:
        self.state = state
        self.transitions.append((now, state))


class Breakers:
    """The breakers of every target, created on first use."""

    def __init__(self, failure_threshold: int = 5, cooldown_s: float = 5.0) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_s = cooldown_s
        self._by_target: dict[str, CircuitBreaker] = {}

    def __getitem__(self, target: str) -> CircuitBreaker:
        breaker = self._by_target.get(target)
        if breaker is None:
            breaker = CircuitBreaker(target, self.failure_threshold, self.cooldown_s)
            self._by_target[target] = breaker
        return breaker

    def blocked(self, now: datetime) -> set[str]:
        """Targets whose commands must not be claimed now."""
        return {target for target, breaker in self._by_target.items() if not breaker.allows(now)}

    def states(self) -> dict[str, BreakerState]:
        """Each known target's breaker state."""
        return {target: breaker.state for target, breaker in self._by_target.items()}

    def transitions(self) -> list[tuple[str, datetime, BreakerState]]:
        """Every state change of every breaker, oldest first."""
        moves = [(target, at, state) for target, b in self._by_target.items() for at, state in b.transitions]
        return sorted(moves, key=lambda move: move[1])
