"""The three emulators of opportunity-to-project, started once per module and reset for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from provisioning_world import Servers, World, serve_all


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with serve_all() as running:
        yield running


@pytest.fixture
def world(servers: Servers) -> Iterator[World]:
    with World.fresh(servers) as fresh:
        yield fresh
