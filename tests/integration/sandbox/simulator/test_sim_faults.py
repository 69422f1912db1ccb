"""A simulation against misbehaving platforms: 429 bursts, 5xx answers and garbled bodies are retried as a
real integration retries them, and what cannot be retried is counted without stopping the simulation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sim_support import TINY, Sandbox, start_sandbox

from concord.sandbox.firm import generate_firm
from concord.sandbox.firm.load import load_firm_async
from concord.sandbox.simulator import SimulationReport, simulate

pytestmark = pytest.mark.faults

AS_OF = date(2026, 4, 1)  # a Wednesday: time was logged up to Tuesday


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("tiny"))
    asyncio.run(load_firm_async(generate_firm(TINY, 4, as_of=AS_OF), sandbox.access))
    yield sandbox
    sandbox.stop()


def put_faults(base_url: str, rules: list[dict[str, Any]]) -> None:
    response = httpx.put(f"{base_url}/__sandbox/faults", json={"rules": rules})
    assert response.status_code == 200, response.text


def injected(base_url: str) -> int:
    total = httpx.get(f"{base_url}/__sandbox/requests", params={"fault": "any", "limit": "0"}).json()["total"]
    assert isinstance(total, int)
    return total


def test_transient_faults_are_retried_and_the_business_goes_on(tiny: Sandbox, tmp_path: Path) -> None:
    sf, kt, ns = (server.base_url for server in tiny.servers)
    put_faults(kt, [
        {"endpoint": "* /api/v1/*", "burst_429": True, "burst_every": 6, "burst_length": 2, "seed": 1},
        {"endpoint": "GET /api/v1/*", "error_rate": 0.2, "error_status": 502, "seed": 2},
        {"endpoint": "GET /api/v1/*", "malformed_rate": 0.1, "seed": 3},
        {"endpoint": "POST /oauth/token", "error_rate": 1.0, "error_status": 503, "max_faults": 3},
    ])  # fmt: skip
    put_faults(sf, [{"endpoint": "* /services/data/*", "error_rate": 0.2, "error_status": 503, "seed": 5}])
    put_faults(
        ns,
        [{"endpoint": "POST /services/rest/query/*", "burst_429": True, "burst_every": 0, "max_faults": 2}],
    )
    try:
        report: SimulationReport = asyncio.run(simulate(tiny.targets, days=3, seed=11))
    finally:
        for url in (sf, kt, ns):
            put_faults(url, [])
    totals = report.totals
    assert report.start == AS_OF and totals["entries_logged"] > 30 and totals["timesheets_approved"] > 0
    assert injected(kt) > 20 and injected(sf) > 0 and injected(ns) == 2
    assert totals["periods_closed"] >= 1  # March, on 3 April, after two 429s on the period query
    assert totals.get("api_errors", 0) == 0, [error for day in report.days for error in day.errors]


def test_a_permanent_refusal_is_counted_and_the_day_goes_on(tiny: Sandbox) -> None:
    kt = tiny.servers[1].base_url
    refuse = {"endpoint": "POST /api/v1/time_entries*", "error_rate": 1.0, "error_status": 400, "seed": 7}
    put_faults(kt, [refuse])
    try:
        report = asyncio.run(simulate(tiny.targets, days=3, seed=12, start=date(2026, 4, 6)))
    finally:
        put_faults(kt, [])
    totals = report.totals
    assert "entries_logged" not in totals and totals["api_errors"] >= 3  # one refused bulk a day
    assert any(error.startswith("time_entries: 400") for day in report.days for error in day.errors)
    # Everything else still happened: deals moved, timesheets already submitted were decided.
    assert totals["deals_advanced"] + totals["deals_won"] + totals["deals_lost"] > 0
    assert totals["timesheets_approved"] > 0
