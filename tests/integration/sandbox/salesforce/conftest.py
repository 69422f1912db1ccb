"""Fixtures serving the Salesforce emulator on a loopback port, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sf_support import CLIENT_ID, CLIENT_SECRET, Org, password_token

from concord.sandbox.core import RunningServer, SandboxState, start_in_thread
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.salesforce import SALESFORCE_PROFILE, create_app


@pytest.fixture(scope="module")
def sf_server() -> Iterator[RunningServer]:
    app = create_app(EmulatorSettings(name="salesforce", credentials={CLIENT_ID: CLIENT_SECRET}))
    with start_in_thread(app) as server:
        yield server


@pytest.fixture(scope="module")
def sf_http(sf_server: RunningServer) -> Iterator[httpx.Client]:
    # One client per module: building an httpx client (its TLS context) costs more than a test.
    with httpx.Client(base_url=sf_server.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def org(sf_server: RunningServer, sf_http: httpx.Client) -> Org:
    """The module's emulator with clean data, the instant profile, and a logged-in client."""
    state: SandboxState = sf_server.app.state.sandbox
    state.reset(tokens=True)
    state.profile.platform = SALESFORCE_PROFILE
    state.profile.mode = "instant"
    sf_http.headers.pop("Authorization", None)
    sf_http.headers["Authorization"] = f"Bearer {password_token(sf_http)['access_token']}"
    return Org(sf_server, sf_http)
