"""Each fault kind, driven through the admin API against a real tiny emulator on a loopback port."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
from sandbox_core_tiny import BIG_ITEMS, Tiny

pytestmark = pytest.mark.faults


def test_error_rate_with_fixed_seed_fails_exactly_the_predicted_requests(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="GET /tiny/items/*", error_rate=0.3, error_status=502, seed=1234)
    dice = random.Random(1234)
    expected = [502 if dice.random() < 0.3 else 200 for _ in range(60)]

    statuses = [tiny.client.get("/tiny/items/1").status_code for _ in range(60)]

    assert statuses == expected
    assert 5 < statuses.count(502) < 40


def test_injected_error_has_the_platform_error_shape(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", error_rate=1.0, error_status=502)

    response = tiny.client.get("/tiny/other")

    assert response.status_code == 502
    assert response.json() == {
        "tinyError": {"kind": "error", "message": "Injected server error", "status": 502}
    }
    assert response.headers["x-tiny"] == "1"


def test_rule_on_one_endpoint_leaves_others_alone(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="GET /tiny/items/*", error_rate=1.0)

    assert tiny.client.get("/tiny/items/5").status_code == 503
    assert tiny.client.get("/tiny/other").status_code == 200
    assert tiny.client.post("/tiny/items", json={"code": "a"}).status_code == 201


def test_method_in_endpoint_restricts_the_rule(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="POST /tiny/*", error_rate=1.0, error_status=500)

    assert tiny.client.post("/tiny/items", json={"code": "b"}).status_code == 500
    assert tiny.client.get("/tiny/items/1").status_code == 200


def test_latency_delays_the_answer(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", latency_ms=250, jitter_ms=50, seed=3)

    started = time.perf_counter()
    response = tiny.client.get("/tiny/other")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed >= 0.25
    fast_started = time.perf_counter()
    tiny.client.get("/tiny/items/1")
    assert time.perf_counter() - fast_started < 0.25


def test_hang_makes_a_short_timeout_client_give_up(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", timeout_rate=1.0, hang_s=30)

    with (
        httpx.Client(base_url=tiny.server.base_url, timeout=0.3) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get("/tiny/other")

    assert tiny.client.get("/tiny/items/1").status_code == 200


def test_hang_answers_504_after_its_bound(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", timeout_rate=1.0, hang_s=0.3)

    started = time.perf_counter()
    response = tiny.client.get("/tiny/other")

    assert time.perf_counter() - started >= 0.3
    assert response.status_code == 504
    assert response.json()["tinyError"]["kind"] == "timeout"


def test_burst_429_lets_n_through_then_throttles_m(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", burst_429=True, burst_every=3, burst_length=2, retry_after_s=7)

    responses = [tiny.client.get("/tiny/other") for _ in range(10)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429, 200, 200, 200, 429, 429]
    throttled = responses[3]
    assert throttled.headers["retry-after"] == "7"
    assert throttled.json()["tinyError"]["kind"] == "rate_limited"


def test_burst_429_without_retry_after_sends_no_header(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", burst_429=True, burst_every=0, burst_length=1)

    response = tiny.client.get("/tiny/other")

    assert response.status_code == 429
    assert "retry-after" not in response.headers


def test_malformed_body_is_not_json(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/big", malformed_rate=1.0)

    response = tiny.client.get("/tiny/big")

    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncated_body_is_cut_json(tiny: Tiny) -> None:
    full = tiny.client.get("/tiny/big").content
    tiny.add_rule(endpoint="/tiny/big", truncated_rate=1.0)

    response = tiny.client.get("/tiny/big")

    assert 0 < len(response.content) < len(full)
    assert full.startswith(response.content)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


def test_truncated_drop_connection_delivers_less_than_content_length(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/big", truncated_rate=1.0, truncate_mode="drop_connection")

    with pytest.raises(httpx.RemoteProtocolError):
        tiny.client.get("/tiny/big")

    with httpx.Client(base_url=tiny.server.base_url) as fresh, fresh.stream("GET", "/tiny/other") as ok:
        assert ok.status_code == 200


def test_outage_window_answers_503_then_recovers(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="*", outage={"duration_s": 0.4})

    during = tiny.client.get("/tiny/items/1")
    time.sleep(0.45)
    after = tiny.client.get("/tiny/items/1")

    assert during.status_code == 503
    assert during.json()["tinyError"]["kind"] == "outage"
    assert after.status_code == 200


def test_outage_window_follows_the_emulator_clock(tiny: Tiny) -> None:
    tiny.state.clock.set(datetime(2025, 3, 1, 8, 0, tzinfo=UTC), frozen=True)
    tiny.add_rule(outage={"start": "2025-03-01T09:00:00Z", "end": "2025-03-01T10:00:00Z"})

    before = tiny.client.get("/tiny/other").status_code
    tiny.state.clock.advance(timedelta(hours=1, minutes=30))
    inside = tiny.client.get("/tiny/other").status_code
    tiny.state.clock.advance(timedelta(hours=1))
    after = tiny.client.get("/tiny/other").status_code

    assert (before, inside, after) == (200, 503, 200)


def test_slow_drip_delivers_the_full_body_slowly(tiny: Tiny) -> None:
    full = tiny.client.get("/tiny/big").content
    chunk = len(full) // 5 + 1
    tiny.add_rule(endpoint="/tiny/big", slow_drip=True, drip_chunk_bytes=chunk, drip_interval_ms=100)

    started = time.perf_counter()
    response = tiny.client.get("/tiny/big")
    elapsed = time.perf_counter() - started

    assert response.content == full
    assert len(response.json()["items"]) == BIG_ITEMS
    assert elapsed >= 0.4  # 5 chunks, 4 pauses of 100 ms


def test_max_faults_stops_the_rule_after_n_requests(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", error_rate=1.0, max_faults=2)

    statuses = [tiny.client.get("/tiny/other").status_code for _ in range(4)]

    assert statuses == [503, 503, 200, 200]


def test_admin_api_is_never_faulted(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="*", error_rate=1.0)

    assert tiny.client.get("/tiny/other").status_code == 503
    assert tiny.client.get("/__sandbox/health").status_code == 200
    assert tiny.client.delete("/__sandbox/faults").status_code == 200
    assert tiny.client.get("/tiny/other").status_code == 200


def test_rules_list_replace_remove_and_stats(tiny: Tiny) -> None:
    first = tiny.add_rule(endpoint="/tiny/other", error_rate=1.0)
    tiny.client.get("/tiny/other")

    listed = tiny.client.get("/__sandbox/faults").json()["rules"]
    assert [rule["id"] for rule in listed] == [first["id"]]
    assert listed[0]["stats"] == {"matched": 1, "affected": 1, "injected": {"error": 1}}

    replaced = tiny.client.put(
        "/__sandbox/faults", json={"rules": [{"endpoint": "GET /a"}, {"endpoint": "/b", "latency_ms": 5}]}
    ).json()["rules"]
    assert [rule["endpoint"] for rule in replaced] == ["GET /a", "/b"]
    assert tiny.client.delete(f"/__sandbox/faults/{replaced[0]['id']}").status_code == 204
    assert tiny.client.delete(f"/__sandbox/faults/{replaced[0]['id']}").status_code == 404
    assert len(tiny.client.get("/__sandbox/faults").json()["rules"]) == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"endpoint": "GET POST /x"},
        {"endpoint": "get x"},
        {"error_rate": 1.5},
        {"outage": {"start": "2025-03-01T09:00:00"}},
        {"unknown_field": 1},
    ],
)
def test_bad_rules_are_refused_with_a_clear_422(tiny: Tiny, rule: dict[str, object]) -> None:
    response = tiny.client.post("/__sandbox/faults", json=rule)

    assert response.status_code == 422
    assert response.json()["detail"]


def test_named_rules_keep_their_id_and_duplicates_conflict(tiny: Tiny) -> None:
    named = tiny.add_rule(id="slow-items", endpoint="/tiny/items/*", latency_ms=1)
    auto = tiny.add_rule(endpoint="/tiny/other")

    duplicate = tiny.client.post("/__sandbox/faults", json={"id": "slow-items"})
    duplicate_in_set = tiny.client.put("/__sandbox/faults", json={"rules": [{"id": "a"}, {"id": "a"}]})

    assert named["id"] == "slow-items"
    assert auto["id"] not in ("slow-items", None)
    assert duplicate.status_code == 409
    assert duplicate_in_set.status_code == 409
    assert [rule["id"] for rule in tiny.client.get("/__sandbox/faults").json()["rules"]] == [
        "slow-items",
        auto["id"],
    ]
