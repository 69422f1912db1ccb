"""The Salesforce emulator on a loopback port for the connector suites, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sf_client_support import CLIENT_ID, CLIENT_SECRET, Emulator

from concord.sandbox.core import RunningServer, start_in_thread
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.salesforce import create_app


@pytest.fixture(scope="module")
def sf_emulator_server() -> Iterator[RunningServer]:
    app = create_app(EmulatorSettings(name="salesforce", credentials={CLIENT_ID: CLIENT_SECRET}))
    with start_in_thread(app) as server:
        yield server


@pytest.fixture(scope="module")
def sf_admin(sf_emulator_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sf_emulator_server.base_url, timeout=30.0) as client:
        yield client


@pytest.fixture
def emulator(sf_emulator_server: RunningServer, sf_admin: httpx.Client) -> Emulator:
    """The module's emulator with clean data, no faults, the instant profile and no tokens."""
    running = Emulator(sf_emulator_server, sf_admin)
    running.reset()
    return running
