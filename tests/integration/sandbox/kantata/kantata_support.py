"""Helpers for the Kantata emulator tests: a client bound to a running emulator and seeding shortcuts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from concord.sandbox.core import RunningServer

CLIENT_ID = "concord-test"
CLIENT_SECRET = "kantata-test-secret"
API = "/api/v1"


@dataclass
class Kantata:
    """A running emulator and an authenticated client for it."""

    server: RunningServer
    client: httpx.Client

    def get(self, path: str, **params: Any) -> httpx.Response:
        """``GET /api/v1/<path>`` with query parameters."""
        return self.client.get(f"{API}/{path}", params=params)

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A platform call that must answer 200; returns its JSON."""
        response = self.client.request(method, f"{API}/{path}", **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def create(self, plural: str, singular: str, **attributes: Any) -> dict[str, Any]:
        """Create one record and return it as rendered."""
        body = self.ok("POST", f"{plural}.json", json={singular: attributes})
        return body[plural][body["results"][0]["id"]]  # type: ignore[no-any-return]

    def workspace(self, title: str = "Acme - Phase 2", **attributes: Any) -> str:
        """A new project the token's user participates in; returns its id."""
        workspace = self.create("workspaces", "workspace", title=title, creator_role="maven", **attributes)
        self.create("participations", "participation", workspace_id=workspace["id"], user_id=1, role="maven")
        return str(workspace["id"])

    def time_entries(self, workspace_id: str, count: int, **attributes: Any) -> list[str]:
        """Bulk-create ``count`` time entries in batches of 100; returns their ids in order."""
        ids: list[str] = []
        for start in range(0, count, 100):
            batch = [
                {
                    "workspace_id": workspace_id,
                    "date_performed": f"2026-06-{1 + (n % 28):02d}",
                    "time_in_minutes": 30 + n % 90,
                    **attributes,
                }
                for n in range(start, min(start + 100, count))
            ]
            body = self.ok("POST", "time_entries.json", json={"time_entries": batch})
            ids += [ref["id"] for ref in body["results"]]
        return ids

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to the core's admin API (``/__sandbox/<path>``)."""
        return self.client.request(method, f"/__sandbox/{path}", **kwargs)


def token(client: httpx.Client) -> str:
    """A bearer token from the client-credentials grant."""
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
