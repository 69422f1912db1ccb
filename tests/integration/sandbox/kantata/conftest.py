"""Fixtures serving the Kantata emulator on a loopback port, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from kantata_support import CLIENT_ID, CLIENT_SECRET, Kantata, token

from concord.sandbox.core import RunningServer, SandboxState, start_in_thread
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.kantata import create_app


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    app = create_app(EmulatorSettings(name="kantata", credentials={CLIENT_ID: CLIENT_SECRET}))
    with start_in_thread(app) as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    """The module's emulator with clean data and an authenticated client."""
    state: SandboxState = kantata_server.app.state.sandbox
    state.reset(tokens=True)
    kantata_server.app.state.kantata_rate_budget.per_minute = 600
    with httpx.Client(base_url=kantata_server.base_url, timeout=30.0) as client:
        client.headers["Authorization"] = f"Bearer {token(client)}"
        yield Kantata(kantata_server, client)
