"""Helpers for the Kantata client suite: the emulator on a loopback port, its admin API, specs pointing at
it, seeding through the platform API, and the small retry loop the tests use where the engine would retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from concord.connectors.http import GovernorPolicy
from concord.connectors.kantata import KantataSpec
from concord.sandbox.core import RunningServer, SandboxState, start_in_thread
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.kantata import KANTATA_PROFILE, create_app
from support.aio import retry_transient as retry_transient
from support.aio import run as run

CLIENT_ID = "concord-kantata-client-tests"
CLIENT_SECRET = "kt-secret-4f2a9c7d1e"
API = "/api/v1"


@contextmanager
def serve() -> Iterator[RunningServer]:
    """The Kantata emulator on a free loopback port, accepting this suite's OAuth client."""
    app = create_app(EmulatorSettings(name="kantata", credentials={CLIENT_ID: CLIENT_SECRET}))
    with start_in_thread(app) as server:
        yield server


def _token(http: httpx.Client) -> str:
    response = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@dataclass
class Kantata:
    """The running emulator, a plain client of its admin API and an authenticated one of its platform API
    (for seeding and for acting as a person in Kantata: submitting and approving timesheets)."""

    server: RunningServer
    http: httpx.Client
    seeded_token: str = field(default="", repr=False)

    @classmethod
    @contextmanager
    def fresh(cls, server: RunningServer) -> Iterator[Kantata]:
        """The emulator with clean data, no faults, the instant profile and no tokens."""
        state: SandboxState = server.app.state.sandbox
        state.reset(tokens=True)
        state.profile.platform = KANTATA_PROFILE
        state.profile.mode = "instant"
        server.app.state.kantata_rate_budget.per_minute = 600
        with httpx.Client(base_url=server.base_url, timeout=30.0) as http:
            yield cls(server, http)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    # -- specs ----------------------------------------------------------------------------------------

    def spec(self, **overrides: Any) -> KantataSpec:
        """Client credentials against the emulator, with an unpaced budget (the instant profile has no
        limits; the governor tests set their own)."""
        options: dict[str, Any] = {
            "base_url": self.base_url,
            "auth": {"kind": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            "rate": fast_rate(),
        }
        options.update(overrides)
        return KantataSpec(**options)

    def authorization_code_tokens(self) -> tuple[str, str]:
        """What an administrator's one-time authorisation gives: (access token, refresh token)."""
        redirect = "https://concord.example/oauth/callback"
        answer = self.http.get(
            "/oauth/authorize",
            params={"client_id": CLIENT_ID, "redirect_uri": redirect, "response_type": "code"},
        )
        assert answer.status_code == 302, answer.text
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
        tokens = self.http.post("/oauth/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET)).json()
        return str(tokens["access_token"]), str(tokens["refresh_token"])

    # -- admin API ------------------------------------------------------------------------------------

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/__sandbox/{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def fault(self, **rule: Any) -> None:
        self.ok("POST", "faults", json=rule)

    def profile(self, **update: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("PUT", "profile", json=update)
        return result

    def set_clock(self, at: datetime) -> None:
        """Freeze the emulator clock at ``at``."""
        self.ok("PUT", "clock", json={"now": at.isoformat(), "frozen": True})

    def advance_clock(self, seconds: float) -> None:
        self.ok("PUT", "clock", json={"advance_s": seconds})

    def requests(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("GET", "requests", params=filters)
        return result

    def count(self, **filters: Any) -> int:
        return int(self.requests(limit=0, **filters)["total"])

    def expire_tokens(self) -> int:
        return int(self.ok("POST", "tokens/expire")["expired"])

    # -- the platform API, as a person or another tool uses it -----------------------------------------

    def api(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if not self.seeded_token:
            self.seeded_token = _token(self.http)
        headers = {"Authorization": f"Bearer {self.seeded_token}"}
        response = self.http.request(method, f"{API}/{path}", headers=headers, **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def workspace(self, title: str = "Acme - Phase 2", **attributes: Any) -> str:
        """A project the administrator participates in; returns its id."""
        body = self.api(
            "POST",
            "workspaces.json",
            json={"workspace": {"title": title, "creator_role": "maven", **attributes}},
        )
        workspace_id = str(body["results"][0]["id"])
        participation = {"workspace_id": workspace_id, "user_id": 1, "role": "maven"}
        self.api("POST", "participations.json", json={"participation": participation})
        return workspace_id

    def time_entries(self, workspace_id: str, count: int, **attributes: Any) -> list[str]:
        """Bulk-create ``count`` time entries, 100 a call; returns their ids in order."""
        ids: list[str] = []
        for start in range(0, count, 100):
            batch = [entry(workspace_id, n, **attributes) for n in range(start, min(start + 100, count))]
            body = self.api("POST", "time_entries.json", json={"time_entries": batch})
            ids += [str(ref["id"]) for ref in body["results"]]
        return ids

    def submit(self, workspace_id: str, entry_ids: list[str]) -> str:
        """Submit entries on a timesheet; returns the submission's id."""
        submission = {"workspace_id": workspace_id, "title": "Week", "line_item_ids": entry_ids}
        body = self.api("POST", "timesheet_submissions.json", json={"timesheet_submission": submission})
        return str(body["results"][0]["id"])

    def resolve(self, submission_id: str, action: str, description: str | None = None) -> None:
        """Approve, reject or cancel a submission."""
        path = f"timesheet_submissions/{submission_id}/{action}.json"
        self.api("PUT", path, json={"resolution": {"description": description}})


def entry(workspace_id: str, n: int, **attributes: Any) -> dict[str, Any]:
    """The fields of the ``n``-th test time entry."""
    return {
        "workspace_id": workspace_id,
        "date_performed": f"2026-06-{1 + (n % 28):02d}",
        "time_in_minutes": 30 + n % 90,
        "notes": f"entry {n}",
        **attributes,
    }


def fast_rate(**overrides: Any) -> GovernorPolicy:
    """A governor policy for tests: enough concurrency, no pace."""
    options: dict[str, Any] = {"max_concurrency": 6}
    options.update(overrides)
    return GovernorPolicy(**options)
