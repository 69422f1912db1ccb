"""``RateGovernor``: one platform's call budget, spent so that the platform never has to throttle us.

Three brakes, applied in ``acquire`` before a request is sent:

1. **Concurrency**: at most ``max_concurrency`` calls in flight; waiters are served by ``Priority``
   (a person waiting before a backfill), then in arrival order.
2. **Pace**: a minimum spacing between call starts, from ``requests_per_second`` and from quota usage.
3. **Quota**: the platform's usage reports (``observe(ApiUsage(used, limit))``, fed from headers such as
   Salesforce's ``Sforce-Limit-Info: api-usage=N/M``). Above ``pace_at`` of the quota the spacing grows
   linearly up to ``max_pace_interval_s``; a call that would take usage above ``pause_at`` is not sent:
   ``acquire`` raises ``QuotaPaused`` (a ``Throttled``, so the engine waits and keeps its place) and the
   governor reports the pause. After ``pause_s`` one probe call is let through; its usage report decides
   whether calls resume.

Usage is estimated conservatively as the highest reported count plus every call in flight (any of them
may not be counted yet), so concurrent callers cannot overshoot between two reports. A report far below
the estimate (or with another limit) means the quota window rolled over and is taken as is.

The quota budgets of issue 4 item 6 sit on top: ``acquire(priority)`` is the single entry point, and
``status()`` is what they read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import TracebackType

import structlog
from pydantic import BaseModel, ConfigDict, Field, model_validator

from concord.connectors.http.slots import PrioritySlots
from concord.engine.errors import QuotaExhausted

log = structlog.get_logger(__name__)


class Priority(IntEnum):
    """Who is waiting for a call; lower values are served first."""

    INTERACTIVE = 0
    """A person waits for the answer (a validation before a save)."""
    NORMAL = 1
    """Flow commands and change detection."""
    BACKGROUND = 2
    """Backfills, reconciliation, anything that can wait."""


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """The platform's own count of calls in the current quota window."""

    used: int
    limit: int

    @property
    def ratio(self) -> float:
        """Share of the quota spent (0 when there is no limit)."""
        return self.used / self.limit if self.limit > 0 else 0.0


class GovernorPolicy(BaseModel):
    """How hard to brake; a section of every connector spec.

    Attributes:
        max_concurrency: Calls in flight at once.
        requests_per_second: Steady pace, if the platform has one (None = no pace).
        pace_at: Quota share above which calls are spaced out.
        pause_at: Quota share no call may take usage above; the rest is left for probes and other tools.
        background_pause_at: Quota share above which background work (backfills, reconciliation) waits,
            so that what is left goes to flows and to people waiting for an answer.
        max_pace_interval_s: Spacing between call starts when usage reaches ``pause_at``.
        pause_s: How long to hold calls back once paused, before one probe call is let through.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_concurrency: int = Field(default=10, ge=1, le=1000)
    requests_per_second: float | None = Field(default=None, gt=0)
    pace_at: float = Field(default=0.80, gt=0, le=1)
    pause_at: float = Field(default=0.95, gt=0, le=1)
    background_pause_at: float = Field(default=0.85, gt=0, le=1)
    max_pace_interval_s: float = Field(default=2.0, ge=0)
    pause_s: float = Field(default=300.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> GovernorPolicy:
        if self.pace_at > self.pause_at:
            raise ValueError(f"pace_at ({self.pace_at}) must not be above pause_at ({self.pause_at})")
        if self.background_pause_at > self.pause_at:
            raise ValueError(
                f"background_pause_at ({self.background_pause_at}) must not be above "
                f"pause_at ({self.pause_at})"
            )
        return self


class GovernorState(StrEnum):
    """How the governor treats calls right now."""

    NORMAL = "normal"
    PACING = "pacing"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class GovernorStatus:
    """A snapshot for dashboards, logs and quota budgets.

    Attributes:
        system: The platform.
        state: Normal, pacing or paused.
        used: Estimated calls spent in the quota window (reported count plus calls in flight).
        limit: The quota, once the platform has reported it.
        in_flight: Calls sent and not yet answered.
        waiting: Callers queued for a concurrency slot.
        paced: Calls that were spaced out because of quota usage.
        pauses: Times the governor paused.
        refused: Calls held back while paused (each raised ``QuotaPaused``).
    """

    system: str
    state: GovernorState
    used: int | None
    limit: int | None
    in_flight: int
    waiting: int
    paced: int
    pauses: int
    refused: int


class QuotaPaused(QuotaExhausted):
    """Nothing was sent: the platform's quota is nearly spent, so the governor holds calls back."""


class Permit:
    """The right to send one call; release it when the answer is in (or use ``async with``)."""

    __slots__ = ("_governor", "_released", "probe")

    def __init__(self, governor: RateGovernor, probe: bool) -> None:
        self._governor = governor
        self._released = False
        self.probe = probe

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        if not self._released:
            self._released = True
            self._governor._release(self)

    async def __aenter__(self) -> Permit:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


class RateGovernor:
    """The call budget of one platform connection (share one instance per system and credentials).

    Args:
        system: The platform's name, for reasons and logs.
        policy: The brakes.
        clock: Monotonic seconds (tests pass a fake).
        sleep: How to wait (tests pass a fake that advances their clock).
        on_change: Called with the new status whenever the state changes (normal, pacing, paused).
    """

    def __init__(
        self,
        system: str,
        policy: GovernorPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_change: Callable[[GovernorStatus], None] | None = None,
    ) -> None:
        self.system = system
        self.policy = policy or GovernorPolicy()
        self._clock = clock
        self._sleep = sleep
        self._on_change = on_change
        self._slots = PrioritySlots(self.policy.max_concurrency)
        self._in_flight = 0
        self._reported = 0
        self._limit: int | None = None
        self._next_start = 0.0
        self._paused_until: float | None = None
        self._probing = False
        self._paced = self._pauses = self._refused = 0
        self._last_state = GovernorState.NORMAL

    async def acquire(self, priority: Priority = Priority.NORMAL) -> Permit:
        """Wait for the right to send one call.

        Raises:
            QuotaPaused: the quota is nearly spent; nothing may be sent before ``retry_after`` seconds.
        """
        self._check_budget(priority)
        await self._slots.take(int(priority))
        try:
            probe = self._check_budget(priority)
        except QuotaPaused:
            self._slots.give()
            raise
        self._in_flight += 1
        self._probing = self._probing or probe
        permit = Permit(self, probe)
        try:
            await self._pace()
        except BaseException:
            permit.release()
            raise
        self._notify()
        return permit

    @asynccontextmanager
    async def slot(self, priority: Priority = Priority.NORMAL) -> AsyncIterator[Permit]:
        """``acquire`` and release around a block."""
        permit = await self.acquire(priority)
        try:
            yield permit
        finally:
            permit.release()

    def observe(self, usage: ApiUsage) -> None:
        """Take in the platform's usage report from a response (call it before releasing the permit)."""
        if usage.limit <= 0:
            return
        window_rolled = usage.used + self.policy.max_concurrency < self._reported
        if usage.limit != self._limit or window_rolled:
            self._reported = usage.used
        else:
            self._reported = max(self._reported, usage.used)
        self._limit = usage.limit
        if self._paused_until is not None:
            # The reporting call is still counted in flight; the question is whether the next one may go.
            if self._projected(extra=0) <= self.policy.pause_at * usage.limit:
                self._paused_until = None
                log.info("api quota pause lifted", system=self.system, used=usage.used, limit=usage.limit)
            elif self._probing:
                self._paused_until = self._clock() + self.policy.pause_s
        self._notify()

    def status(self) -> GovernorStatus:
        """Where the budget stands."""
        return GovernorStatus(
            system=self.system,
            state=self._state(),
            used=None if self._limit is None else self._reported + self._in_flight,
            limit=self._limit,
            in_flight=self._in_flight,
            waiting=self._slots.waiting,
            paced=self._paced,
            pauses=self._pauses,
            refused=self._refused,
        )

    # -- internals ---------------------------------------------------------------------------------

    def _projected(self, extra: int = 1) -> int:
        """Calls spent if ``extra`` more were sent now, counting every call in flight as uncounted."""
        return self._reported + self._in_flight + extra

    def _check_budget(self, priority: Priority = Priority.NORMAL) -> bool:
        """True when the next call is the probe after a pause; raises ``QuotaPaused`` when held back."""
        now = self._clock()
        if (
            priority >= Priority.BACKGROUND
            and self._limit is not None
            and self._projected() > self.policy.background_pause_at * self._limit
        ):
            self._refused += 1
            raise QuotaPaused(
                f"{self.system}: {self._reported} of {self._limit} API calls spent; background work waits "
                "so the rest of the quota goes to flows and people",
                retry_after=self.policy.pause_s,
            )
        if self._paused_until is not None:
            if now < self._paused_until or self._probing:
                self._refuse(now)
            return True
        if self._limit is not None and self._projected() > self.policy.pause_at * self._limit:
            self._paused_until = now + self.policy.pause_s
            self._pauses += 1
            log.warning(
                "api quota nearly spent; holding calls back",
                system=self.system,
                used=self._reported,
                limit=self._limit,
                pause_s=self.policy.pause_s,
            )
            self._notify()
            self._refuse(now)
        return False

    def _refuse(self, now: float) -> None:
        self._refused += 1
        until = self._paused_until if self._paused_until is not None else now
        raise QuotaPaused(
            f"{self.system}: API quota nearly spent ({self._reported} of {self._limit} calls); "
            "calls are paused to stay under it",
            retry_after=max(until - now, 1.0),
        )

    def _interval(self) -> float:
        policy = self.policy
        interval = 1.0 / policy.requests_per_second if policy.requests_per_second else 0.0
        if self._limit:
            ratio = self._projected(extra=0) / self._limit
            if ratio > policy.pace_at:
                span = policy.pause_at - policy.pace_at
                share = 1.0 if span <= 0 else min((ratio - policy.pace_at) / span, 1.0)
                self._paced += 1
                interval = max(interval, policy.max_pace_interval_s * share)
        return interval

    async def _pace(self) -> None:
        interval = self._interval()
        now = self._clock()
        start = max(now, self._next_start)
        self._next_start = start + interval
        if start > now:
            await self._sleep(start - now)

    def _release(self, permit: Permit) -> None:
        self._in_flight -= 1
        if permit.probe:
            self._probing = False
        self._slots.give()
        self._notify()

    def _state(self) -> GovernorState:
        if self._paused_until is not None:
            return GovernorState.PAUSED
        # From the platform's figures alone, so the state does not flicker as calls start and end.
        if self._limit and self._reported + 1 > self.policy.pace_at * self._limit:
            return GovernorState.PACING
        return GovernorState.NORMAL

    def _notify(self) -> None:
        state = self._state()
        if state is self._last_state:
            return
        self._last_state = state
        if self._on_change is not None:
            self._on_change(self.status())
