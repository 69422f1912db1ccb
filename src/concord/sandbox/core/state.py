"""``SandboxState``: everything the core keeps for one emulator, reachable as ``app.state.sandbox``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from concord.sandbox.core.auth import TokenStore
from concord.sandbox.core.clock import Clock
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.core.errors import ErrorFormatter
from concord.sandbox.core.faults import FaultSet
from concord.sandbox.core.profiles import ProfileGovernor
from concord.sandbox.core.requestlog import RequestLog
from concord.sandbox.core.settings import EmulatorSettings

ResetHook = Callable[["SandboxState"], None]


@dataclass
class SandboxState:
    """The core machinery of one emulator.

    Attributes:
        name: Platform name (``"salesforce"``...).
        settings: How the emulator was started.
        store: Its document store.
        clock: Its notion of now.
        faults: Installed fault rules.
        requests: Log of answered platform requests.
        profile: Active profile and call counters.
        tokens: Issued bearer tokens.
        formatter: Its platform-shaped error bodies.
        on_reset: Called after ``POST /__sandbox/reset`` wiped the data (e.g. to re-create fixed records).
        extras: Free slot for emulator-specific state (idempotency caches, id counters...).
    """

    name: str
    settings: EmulatorSettings
    store: DocStore
    clock: Clock
    faults: FaultSet
    requests: RequestLog
    profile: ProfileGovernor
    tokens: TokenStore
    formatter: ErrorFormatter
    on_reset: ResetHook | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    started_monotonic: float = field(default_factory=time.monotonic)

    def reset(
        self,
        *,
        data: bool = True,
        faults: bool = True,
        requests: bool = True,
        clock: bool = True,
        counters: bool = True,
        tokens: bool = False,
    ) -> None:
        """Back to a clean state; by default everything except issued tokens.

        The ``on_reset`` hook runs after the data was wiped (only when ``data`` is true).
        """
        if faults:
            self.faults.clear()
        if requests:
            self.requests.clear()
        if clock:
            self.clock.reset()
        if counters:
            self.profile.reset_counters()
        if tokens:
            self.tokens.clear()
        if data:
            self.store.reset()
            if self.on_reset is not None:
                self.on_reset(self)

    def health(self) -> dict[str, Any]:
        """JSON-ready liveness summary."""
        return {
            "status": "ok",
            "name": self.name,
            "profile": self.profile.mode,
            "now": self.clock.now().isoformat(),
            "uptime_s": round(time.monotonic() - self.started_monotonic, 3),
            "requests_logged": len(self.requests),
            "fault_rules": len(self.faults.rules()),
        }


def sandbox_state(request: Request) -> SandboxState:
    """FastAPI dependency: the emulator's ``SandboxState``."""
    state: SandboxState = request.app.state.sandbox
    return state


SandboxDep = Annotated[SandboxState, Depends(sandbox_state)]
"""Handler parameter type giving the ``SandboxState``: ``def handler(sandbox: SandboxDep): ...``."""
