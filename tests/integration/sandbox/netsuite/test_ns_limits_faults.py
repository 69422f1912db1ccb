"""Concurrency governance of the realistic profile and every fault kind, answered in NetSuite's format."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any

import httpx
import pytest
from ns_support import NetSuiteClient, client, error_detail

LIST = "/record/v1/customer"


def _add_fault(ns: NetSuiteClient, **rule: Any) -> None:
    response = ns.admin.post("/faults", json={"endpoint": "GET /services/rest/record/*", "seed": 1, **rule})
    assert response.status_code == 201, response.text


def test_realistic_profile_allows_five_concurrent_requests_and_answers_429(ns: NetSuiteClient) -> None:
    profile = ns.admin.put("/profile", json={"mode": "realistic", "latency_ms": 400, "jitter_ms": 0}).json()
    assert profile["platform"]["max_concurrency"] == 5
    start = threading.Barrier(12)
    url = ns.base_url + "/services/rest" + LIST
    headers = {"Authorization": ns.http.headers["authorization"]}

    def call(_: int) -> httpx.Response:
        with client() as http:
            start.wait()
            return http.get(url, headers=headers)

    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(call, range(12)))

    statuses = [r.status_code for r in responses]
    refused = [r for r in responses if r.status_code == 429]
    assert statuses.count(200) <= 5 and len(refused) >= 7 and set(statuses) <= {200, 429}
    detail = error_detail(refused[0])
    assert detail == {
        "detail": "Concurrent request limit exceeded. Request blocked.",
        "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
    }
    assert "retry-after" not in refused[0].headers
    logged = ns.admin.get("/requests", params={"status": "429"}).json()
    assert logged["total"] == len(refused)


def test_injected_server_error_is_an_unexpected_error(ns: NetSuiteClient) -> None:
    _add_fault(ns, error_rate=1.0, error_status=503)
    response = ns.http.get(LIST)
    assert response.status_code == 503
    assert error_detail(response)["o:errorCode"] == "UNEXPECTED_ERROR"
    assert response.json()["title"] == "Service Unavailable"


def test_burst_of_429s(ns: NetSuiteClient) -> None:
    _add_fault(ns, burst_429=True, burst_every=1, burst_length=2, retry_after_s=3)
    statuses = [ns.http.get(LIST) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 429, 429, 200]
    assert error_detail(statuses[1])["o:errorCode"] == "CONCURRENCY_LIMIT_EXCEEDED"
    assert "retry-after" not in statuses[1].headers


def test_outage_window_answers_maintenance(ns: NetSuiteClient) -> None:
    _add_fault(ns, outage={"duration_s": 60})
    response = ns.http.get(LIST)
    assert response.status_code == 503
    assert "regularly scheduled maintenance" in error_detail(response)["detail"]
    assert (
        ns.http.post(
            "/query/v1/suiteql", json={"q": "SELECT id FROM customer"}, headers={"Prefer": "transient"}
        ).status_code
        == 200
    )


def test_hung_request_ends_in_504_when_the_client_waits(ns: NetSuiteClient) -> None:
    _add_fault(ns, timeout_rate=1.0, hang_s=0.3)
    response = ns.http.get(LIST)
    assert response.status_code == 504
    assert error_detail(response)["o:errorCode"] == "REQUEST_TIMEOUT"


def test_hung_request_times_the_client_out(ns: NetSuiteClient) -> None:
    _add_fault(ns, timeout_rate=1.0, hang_s=5)
    with pytest.raises(httpx.ReadTimeout):
        ns.http.get(LIST, timeout=0.3)


@pytest.mark.parametrize("rule", [{"malformed_rate": 1.0}, {"truncated_rate": 1.0}])
def test_spoiled_bodies_do_not_parse(ns: NetSuiteClient, rule: dict[str, float]) -> None:
    _add_fault(ns, **rule)
    response = ns.http.get(LIST)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_latency_and_slow_drip_still_deliver_the_body(ns: NetSuiteClient) -> None:
    _add_fault(ns, latency_ms=150, slow_drip=True, drip_chunk_bytes=64, drip_interval_ms=5)
    response = ns.http.get(LIST)
    assert response.status_code == 200 and response.json()["totalResults"] == 0
    assert response.elapsed.total_seconds() >= 0.15
    faults = ns.admin.get("/requests", params={"fault": "any"}).json()["requests"]
    assert faults and {"latency", "slow_drip"} <= set(faults[-1]["faults"])


def test_injected_401_is_invalid_login_with_challenge(ns: NetSuiteClient) -> None:
    _add_fault(ns, error_rate=1.0, error_status=401)
    response = ns.http.get(LIST)
    assert response.status_code == 401 and error_detail(response)["o:errorCode"] == "INVALID_LOGIN"
    assert response.headers["www-authenticate"].startswith("Bearer")
