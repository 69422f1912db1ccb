"""Helpers for the Salesforce emulator tests: an authenticated client bound to a running emulator, and a
``requests`` transport that lets simple-salesforce (which always speaks https to ``*.salesforce.com``
or the instance) reach the emulator's plain-http loopback port."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import requests
from requests.adapters import HTTPAdapter

from concord.sandbox.core import RunningServer
from concord.sandbox.salesforce import DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN, DEFAULT_USERNAME

CLIENT_ID = "concord-test-consumer"
CLIENT_SECRET = "salesforce-test-secret"
VERSION = "59.0"
API = f"/services/data/v{VERSION}"


def password_token(client: httpx.Client) -> dict[str, Any]:
    """Log in with the password grant as the default integration user; returns the token response."""
    response = client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "password",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": DEFAULT_USERNAME,
            "password": DEFAULT_PASSWORD + DEFAULT_SECURITY_TOKEN,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass
class Org:
    """A running emulator and a client logged in to it."""

    server: RunningServer
    client: httpx.Client

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A REST call under ``/services/data/v59.0``."""
        return self.client.request(method, f"{API}/{path}", **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """A REST call that must answer ``status``; returns its JSON (None for an empty body)."""
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def create(self, sobject: str, **fields: Any) -> str:
        """Create one record; returns its id."""
        body = self.ok("POST", f"sobjects/{sobject}", 201, json=fields)
        return str(body["id"])

    def query(self, soql: str, **kwargs: Any) -> dict[str, Any]:
        """Run a SOQL query that must succeed."""
        body: dict[str, Any] = self.ok("GET", "query", params={"q": soql}, **kwargs)
        return body

    def seed(self, sobject: str, records: list[dict[str, Any]], emit_events: bool = False) -> list[str]:
        """Load records through the sandbox admin API (no API calls counted)."""
        response = self.client.post(
            "/__sandbox/salesforce/seed",
            json={"sobject": sobject, "records": records, "emit_events": emit_events},
        )
        assert response.status_code == 201, response.text
        return list(response.json()["ids"])

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to the core's admin API under ``/__sandbox``."""
        return self.client.request(method, f"/__sandbox/{path}", **kwargs)


class LoopbackAdapter(HTTPAdapter):
    """Sends every https request to the emulator over plain http on its loopback port."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._netloc = urlsplit(base_url).netloc

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(str(request.url))
        request.url = urlunsplit(("http", self._netloc, parts.path, parts.query, parts.fragment))
        return super().send(request, *args, **kwargs)


def loopback_session(base_url: str) -> requests.Session:
    """A requests session for simple-salesforce pointed at the emulator."""
    session = requests.Session()
    session.mount("https://", LoopbackAdapter(base_url))
    return session
