"""Fixtures serving the tiny emulator of ``sandbox_core_tiny`` on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sandbox_core_tiny import Tiny, build_tiny_app

from concord.sandbox.core import RunningServer, SandboxState, start_in_thread


@pytest.fixture(scope="module")
def tiny_server() -> Iterator[RunningServer]:
    with start_in_thread(build_tiny_app()) as server:
        yield server


@pytest.fixture
def tiny(tiny_server: RunningServer) -> Iterator[Tiny]:
    """The module's tiny emulator, reset before each test."""
    state: SandboxState = tiny_server.app.state.sandbox
    state.reset(tokens=True)
    with httpx.Client(base_url=tiny_server.base_url, timeout=10.0) as client:
        yield Tiny(tiny_server, client, state)
