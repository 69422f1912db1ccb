"""Every fault kind of the core, injected through the admin API, answered the Kantata way."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kantata_support import API, Kantata

pytestmark = pytest.mark.faults

LIST = "GET /api/v1/workspaces*"


def _rule(kantata: Kantata, **rule: Any) -> None:
    response = kantata.admin("POST", "faults", json={"endpoint": LIST, "seed": 7, **rule})
    assert response.status_code == 201, response.text


def _no_rate_limit_headers(headers: Any) -> bool:
    return not any(name.lower().startswith(("retry-after", "x-ratelimit", "ratelimit")) for name in headers)


@pytest.mark.parametrize(
    ("rule", "status"),
    [
        ({"error_rate": 1.0, "error_status": 503}, 503),
        ({"error_rate": 1.0, "error_status": 500}, 500),
        ({"outage": {"duration_s": 60}}, 503),
        ({"timeout_rate": 1.0, "hang_s": 0.3}, 504),
        ({"burst_429": True, "burst_every": 0, "burst_length": 2, "retry_after_s": 30}, 429),
    ],
    ids=["error-503", "error-500", "outage", "timeout", "burst-429"],
)
def test_injected_errors_use_the_kantata_envelope(
    kantata: Kantata, rule: dict[str, Any], status: int
) -> None:
    _rule(kantata, **rule)
    response = kantata.get("workspaces.json")
    assert response.status_code == status
    [error] = response.json()["errors"]
    assert error["type"] == "system" and error["message"]
    assert _no_rate_limit_headers(response.headers)  # 429 included: Kantata sends no Retry-After
    assert kantata.get("users.json").status_code == 200  # other endpoints are untouched
    logged = kantata.admin("GET", "requests", params={"path": f"{API}/workspaces.json"}).json()["requests"]
    assert logged[-1]["status"] == status and logged[-1]["faults"]


@pytest.mark.parametrize(
    "rule", [{"malformed_rate": 1.0}, {"truncated_rate": 1.0}], ids=["malformed", "truncated"]
)
def test_spoiled_bodies_are_not_json(kantata: Kantata, rule: dict[str, Any]) -> None:
    kantata.workspace()
    _rule(kantata, **rule)
    response = kantata.get("workspaces.json")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_latency_and_slow_drip_delay_a_valid_answer(kantata: Kantata) -> None:
    kantata.workspace()
    _rule(kantata, latency_ms=150)
    started = time.perf_counter()
    assert kantata.get("workspaces.json").json()["count"] == 1
    assert time.perf_counter() - started >= 0.15
    kantata.admin("DELETE", "faults")
    _rule(kantata, slow_drip=True, drip_chunk_bytes=200, drip_interval_ms=30)
    started = time.perf_counter()
    dripped = kantata.get("workspaces.json")
    assert dripped.json()["count"] == 1
    assert time.perf_counter() - started >= 0.03 * (len(dripped.content) // 200)


def test_realistic_profile_throttles_per_minute_with_a_bare_429(kantata: Kantata) -> None:
    profile = kantata.admin("PUT", "profile", json={"mode": "realistic", "latency_ms": 0, "jitter_ms": 0})
    assert profile.json()["platform"]["sends_retry_after"] is False
    kantata.server.app.state.kantata_rate_budget.per_minute = 3
    try:
        kantata.admin("PUT", "clock", json={"frozen": True})
        statuses = [kantata.get("users.json").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        throttled = kantata.get("users.json")
        assert throttled.json() == {
            "errors": [
                {
                    "type": "system",
                    "message": "Too many requests. Please retry your request after a small delay.",
                }
            ]
        }
        assert _no_rate_limit_headers(throttled.headers)
        kantata.admin("PUT", "clock", json={"advance_s": 61})
        assert kantata.get("users.json").status_code == 200
    finally:
        kantata.admin("PUT", "profile", json={"mode": "instant"})
