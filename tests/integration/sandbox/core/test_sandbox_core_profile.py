"""The realistic profile: concurrency limit, daily call limit and latency, answered as the platform does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sandbox_core_tiny import build_tiny_app

from concord.sandbox.core import PlatformProfile, RunningServer, SandboxState, start_in_thread

TINY_PROFILE = PlatformProfile(
    latency_ms=30, max_concurrency=2, concurrency_status=429, daily_call_limit=5, daily_limit_status=403
)


@pytest.fixture
def realistic() -> Iterator[RunningServer]:
    with start_in_thread(build_tiny_app(TINY_PROFILE, mode="realistic")) as server:
        yield server


def _state(server: RunningServer) -> SandboxState:
    state: SandboxState = server.app.state.sandbox
    return state


def test_calls_beyond_max_concurrency_get_the_platform_answer(realistic: RunningServer) -> None:
    httpx.put(f"{realistic.base_url}/__sandbox/profile", json={"daily_call_limit": None})

    def call(_: int) -> httpx.Response:
        with httpx.Client(base_url=realistic.base_url, timeout=10) as client:
            return client.get("/tiny/slow", params={"ms": 600})

    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(call, range(5)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 200, 429, 429, 429]
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.json()["tinyError"]["kind"] == "concurrency_limit"
    assert refused.headers["x-tiny"] == "1"
    assert len(_state(realistic).requests.query(fault="concurrency_limit")) == 3


def test_daily_call_limit_is_counted_and_resets_with_the_day(realistic: RunningServer) -> None:
    state = _state(realistic)
    state.clock.set(datetime(2025, 5, 1, 10, 0, tzinfo=UTC), frozen=True)
    with httpx.Client(base_url=realistic.base_url) as client:
        statuses = [client.get("/tiny/other").status_code for _ in range(7)]
        profile = client.get("/__sandbox/profile").json()
        over = client.get("/tiny/other")
        state.clock.advance(timedelta(days=1))
        next_day = client.get("/tiny/other")

    assert statuses == [200] * 5 + [403] * 2
    assert profile["calls_today"] == 5
    assert profile["remaining_today"] == 0
    assert over.json()["tinyError"]["kind"] == "daily_limit"
    assert next_day.status_code == 200


def test_realistic_profile_adds_latency(realistic: RunningServer) -> None:
    with httpx.Client(base_url=realistic.base_url) as client:
        started = time.perf_counter()
        client.get("/tiny/other")
        assert time.perf_counter() - started >= 0.03


def test_instant_mode_has_no_limits_but_still_counts(realistic: RunningServer) -> None:
    with httpx.Client(base_url=realistic.base_url) as client:
        switched = client.put("/__sandbox/profile", json={"mode": "instant"})
        statuses = {client.get("/tiny/other").status_code for _ in range(8)}
        profile = client.get("/__sandbox/profile").json()

    assert switched.json()["mode"] == "instant"
    assert statuses == {200}
    assert profile["calls_today"] == 8


def test_profile_update_changes_limits_and_null_lifts_them(realistic: RunningServer) -> None:
    with httpx.Client(base_url=realistic.base_url) as client:
        raised = client.put("/__sandbox/profile", json={"daily_call_limit": 100, "latency_ms": 0}).json()
        lift = {"daily_call_limit": None, "reset_counters": True}
        lifted = client.put("/__sandbox/profile", json=lift).json()
        refused = client.put("/__sandbox/profile", json={"mode": "lazy"})

    assert raised["platform"]["daily_call_limit"] == 100
    assert raised["platform"]["max_concurrency"] == 2
    assert lifted["platform"]["daily_call_limit"] is None
    assert lifted["calls_today"] == 0
    assert refused.status_code == 422
