"""The emulators the connector suites share, each on a loopback port for the module and reset before each
test (Salesforce, NetSuite), and Concord's store on a fresh SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ns_client_support import NetSuite, serve
from platform_support import open_store
from sf_client_support import CLIENT_ID, CLIENT_SECRET, Emulator

from concord.sandbox.core import RunningServer, start_in_thread
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.salesforce import create_app
from concord.storage.sql.store import SqlStore


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


@pytest.fixture(scope="module")
def ns_server() -> Iterator[RunningServer]:
    """The NetSuite emulator on a loopback port, for the module."""
    with serve() as server:
        yield server


@pytest.fixture
def netsuite(ns_server: RunningServer) -> Iterator[NetSuite]:
    """The module's NetSuite emulator wiped, with the test certificates mapped."""
    with NetSuite.fresh(ns_server) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    """Concord's store on a fresh SQLite file."""
    opened = open_store(f"sqlite:///{tmp_path}/c.db")
    yield opened
    opened.close()
