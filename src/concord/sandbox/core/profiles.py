"""Profiles: ``instant`` (no latency, no limits) and ``realistic`` (the platform's latency and limits)."""

from __future__ import annotations

import asyncio
import random
import threading
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from concord.sandbox.core.asgi import is_platform_http, record_fault, send_platform_error
from concord.sandbox.core.clock import Clock
from concord.sandbox.core.errors import ErrorFormatter, ErrorKind
from concord.sandbox.core.settings import ProfileMode


class PlatformProfile(BaseModel):
    """How the real platform behaves under load, declared by each emulator for the realistic profile.

    Attributes:
        latency_ms: Typical added latency per call.
        jitter_ms: Extra uniform(0, jitter_ms) latency.
        max_concurrency: Calls in flight at once before the platform refuses more (``None`` = unlimited).
        concurrency_status: Status of a refused over-concurrency call (body from the formatter, kind
            ``"concurrency_limit"``).
        daily_call_limit: Calls per emulator-clock UTC day (``None`` = unlimited).
        daily_limit_status: Status of a call over the daily quota (Salesforce answers 403, kind
            ``"daily_limit"``).
        sends_retry_after: Whether the platform ever sends ``Retry-After`` on 429 (Kantata does not).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(default=0.0, ge=0.0)
    jitter_ms: float = Field(default=0.0, ge=0.0)
    max_concurrency: int | None = Field(default=None, ge=1)
    concurrency_status: int = Field(default=429, ge=400, le=599)
    daily_call_limit: int | None = Field(default=None, ge=0)
    daily_limit_status: int = Field(default=429, ge=400, le=599)
    sends_retry_after: bool = True


INSTANT = PlatformProfile()
"""The instant profile: no added latency and no limits."""


class ProfileUpdate(BaseModel):
    """Body of ``PUT /__sandbox/profile``: every field optional; ``null`` lifts a limit."""

    model_config = ConfigDict(extra="forbid")

    mode: ProfileMode | None = None
    latency_ms: float | None = Field(default=None, ge=0.0)
    jitter_ms: float | None = Field(default=None, ge=0.0)
    max_concurrency: int | None = Field(default=None, ge=1)
    daily_call_limit: int | None = Field(default=None, ge=0)
    reset_counters: bool = False
    token_clock: Literal["emulator", "real"] | None = None
    """What access tokens expire by: the emulator clock (the default: advancing it expires them like
    waiting would) or real time (for a simulation that compresses days into seconds while a client such
    as Concord works in real time alongside it)."""


class ProfileGovernor:
    """The active profile of one emulator and its counters (calls today, calls in flight).

    Calls are counted in both modes, so an emulator can report its usage (Salesforce's ``/limits``,
    ``Sforce-Limit-Info``); limits and latency only apply in ``realistic`` mode. The in-flight count is a
    plain integer rather than an ``asyncio.Semaphore``: it is only touched on the event loop between
    awaits, a refused call must not wait, and the limit can change at run time. Requests answered by an
    injected fault never reach the governor, so they are not counted (the fault sits "in front of" the
    platform, like a failing proxy).
    """

    def __init__(self, platform: PlatformProfile, *, mode: ProfileMode = "instant", clock: Clock) -> None:
        self.platform = platform
        self.mode: ProfileMode = mode
        self._clock = clock
        self._rng = random.Random()
        self._lock = threading.Lock()
        self.in_flight = 0
        self._day: date | None = None
        self._calls_today = 0

    @property
    def active(self) -> PlatformProfile:
        """The profile in force: the platform's in realistic mode, ``INSTANT`` otherwise."""
        return self.platform if self.mode == "realistic" else INSTANT

    @property
    def calls_today(self) -> int:
        """Calls accepted during the current emulator-clock UTC day."""
        return self._calls_today if self._day == self._clock.now().date() else 0

    def remaining_today(self) -> int | None:
        """Calls left in today's quota (``None`` without a quota)."""
        limit = self.platform.daily_call_limit
        return None if limit is None else max(limit - self.calls_today, 0)

    def update(self, change: ProfileUpdate) -> None:
        """Apply a ``PUT /__sandbox/profile`` body."""
        fields = change.model_fields_set - {"mode", "reset_counters", "token_clock"}
        with self._lock:
            if change.mode is not None:
                self.mode = change.mode
            if fields:
                self.platform = self.platform.model_copy(
                    update={name: getattr(change, name) for name in fields}
                )
            if change.reset_counters:
                self._day, self._calls_today = None, 0

    def reset_counters(self) -> None:
        """Forget today's call count."""
        with self._lock:
            self._day, self._calls_today = None, 0

    def view(self) -> dict[str, Any]:
        """JSON-ready state (the admin API shape)."""
        return {
            "mode": self.mode,
            "platform": self.platform.model_dump(),
            "calls_today": self.calls_today,
            "remaining_today": self.remaining_today(),
            "in_flight": self.in_flight,
        }

    def admit(self) -> tuple[int, ErrorKind, str] | None:
        """Count a call and take an in-flight slot, or say how the platform refuses it.

        Only called on the event loop; the caller must ``release()`` after an admitted call.
        """
        profile = self.active
        today = self._clock.now().date()
        if self._day != today:
            self._day, self._calls_today = today, 0
        if profile.daily_call_limit is not None and self._calls_today >= profile.daily_call_limit:
            return profile.daily_limit_status, ErrorKind.DAILY_LIMIT, "Daily API request limit exceeded"
        if profile.max_concurrency is not None and self.in_flight >= profile.max_concurrency:
            return (
                profile.concurrency_status,
                ErrorKind.CONCURRENCY_LIMIT,
                "Concurrent request limit exceeded",
            )
        self._calls_today += 1
        self.in_flight += 1
        return None

    def release(self) -> None:
        """Free the slot taken by ``admit``."""
        self.in_flight -= 1

    def latency_s(self) -> float:
        """Added latency for one call under the active profile."""
        profile = self.active
        jitter = self._rng.uniform(0.0, profile.jitter_ms) if profile.jitter_ms > 0 else 0.0
        return (profile.latency_ms + jitter) / 1000.0


class ProfileGate:
    """Pure ASGI middleware enforcing the active profile (limits, then latency inside the slot)."""

    def __init__(self, app: ASGIApp, *, governor: ProfileGovernor, formatter: ErrorFormatter) -> None:
        self.app = app
        self.governor = governor
        self.formatter = formatter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_platform_http(scope):
            await self.app(scope, receive, send)
            return
        refusal = self.governor.admit()
        if refusal is not None:
            status, kind, message = refusal
            record_fault(scope, kind.value)
            await send_platform_error(send, self.formatter, status, kind, message)
            return
        try:
            delay = self.governor.latency_s()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.app(scope, receive, send)
        finally:
            self.governor.release()
