"""Kantata's realistic profile and its per-minute request limit.

Kantata documents a 429 "when too many requests are made in a short window", to be retried "after a
small delay", with no rate-limit or ``Retry-After`` header; the actual numbers are behind the customer
login, so the figures below are assumptions [U]. The core's ``PlatformProfile`` has concurrency and daily
limits but no per-minute window, so :class:`MinuteRateLimiter` adds one locally (realistic mode only).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.types import ASGIApp, Receive, Scope, Send

from concord.sandbox.core.asgi import is_platform_http, record_fault, send_platform_error
from concord.sandbox.core.clock import Clock
from concord.sandbox.core.errors import ErrorFormatter, ErrorKind
from concord.sandbox.core.profiles import PlatformProfile, ProfileGovernor

KANTATA_PROFILE = PlatformProfile(
    latency_ms=180.0,
    jitter_ms=120.0,
    max_concurrency=10,
    concurrency_status=429,
    daily_call_limit=None,
    daily_limit_status=429,
    sends_retry_after=False,
)
"""Typical latency of api.mavenlink.com and an assumed concurrency cap [U]."""

REQUESTS_PER_MINUTE = 600
"""Assumed per-token-account request budget per minute in the realistic profile [U]."""


@dataclass
class RateBudget:
    """The per-minute request budget, adjustable at run time (``app.state.kantata_rate_budget``)."""

    per_minute: int = REQUESTS_PER_MINUTE


class MinuteRateLimiter:
    """Pure ASGI middleware: in realistic mode, the ``budget + 1``-th platform request within one
    emulator-clock minute gets Kantata's bare 429 (no headers), as the platform throttles."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        governor: ProfileGovernor,
        clock: Clock,
        formatter: ErrorFormatter,
        budget: RateBudget,
    ) -> None:
        self.app = app
        self.governor = governor
        self.clock = clock
        self.formatter = formatter
        self.budget = budget
        self._lock = threading.Lock()
        self._window_start: datetime | None = None
        self._count = 0

    def _admit(self) -> bool:
        now = self.clock.now()
        with self._lock:
            if self._window_start is None or not self._window_start <= now < self._window_start + timedelta(
                minutes=1
            ):
                self._window_start, self._count = now, 0
            self._count += 1
            return self._count <= self.budget.per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.governor.mode != "realistic" or not is_platform_http(scope) or self._admit():
            await self.app(scope, receive, send)
            return
        record_fault(scope, "rate_limited")
        await send_platform_error(send, self.formatter, 429, ErrorKind.RATE_LIMITED, "")
