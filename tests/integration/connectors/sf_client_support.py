"""Helpers for the Salesforce client suite: the emulator's admin API, specs pointing at it, and the small
retry loop the tests use where the engine would retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from concord.connectors.http import GovernorPolicy
from concord.connectors.salesforce import SalesforceSpec
from concord.sandbox.core import RunningServer, SandboxState
from concord.sandbox.salesforce import SALESFORCE_PROFILE
from support.aio import retry_transient as retry_transient
from support.aio import run as run

CLIENT_ID = "concord-connector-tests"
CLIENT_SECRET = "sf-secret-7d1f0c9e4b"


@dataclass
class Emulator:
    """The running Salesforce emulator and a plain client of its admin API."""

    server: RunningServer
    admin: httpx.Client

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.server.app.state.sandbox
        return state

    def reset(self) -> None:
        self.state.reset(tokens=True)
        self.state.profile.platform = SALESFORCE_PROFILE
        self.state.profile.mode = "instant"

    def spec(self, **overrides: Any) -> SalesforceSpec:
        """Client credentials against the emulator (its URL is the org's My Domain)."""
        options: dict[str, Any] = {
            "login_url": self.base_url,
            "auth": {
                "kind": "client_credentials",
                "consumer_key": CLIENT_ID,
                "consumer_secret": CLIENT_SECRET,
            },
        }
        options.update(overrides)
        return SalesforceSpec(**options)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, f"/__sandbox/{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def fault(self, **rule: Any) -> None:
        self.ok("POST", "faults", json=rule)

    def profile(self, **update: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("PUT", "profile", json=update)
        return result

    def freeze_clock(self, at: datetime) -> None:
        self.ok("PUT", "clock", json={"now": at.isoformat(), "frozen": True})

    def seed(self, sobject: str, records: list[dict[str, Any]]) -> list[str]:
        body = self.ok("POST", "salesforce/seed", json={"sobject": sobject, "records": records})
        return list(body["ids"])

    def requests(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("GET", "requests", params=filters)
        return result

    def count(self, **filters: Any) -> int:
        return int(self.requests(limit=0, **filters)["total"])

    def expire_tokens(self) -> int:
        return int(self.ok("POST", "tokens/expire")["expired"])


def fast_rate(**overrides: Any) -> GovernorPolicy:
    """A governor policy for tests: small pauses so that braking shows without waiting."""
    options: dict[str, Any] = {"max_concurrency": 4, "max_pace_interval_s": 0.02, "pause_s": 60.0}
    options.update(overrides)
    return GovernorPolicy(**options)
