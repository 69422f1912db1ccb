"""The request log: what it records, how it is filtered, that it stays bounded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sandbox_core_tiny import Tiny

from concord.sandbox.core import RequestLog, RequestRecord


def test_records_each_platform_request_without_secrets(tiny: Tiny) -> None:
    tiny.client.get(
        "/tiny/items/3?fields=a,b",
        headers={"Authorization": "Bearer top-secret-token", "Idempotency-Key": "k-1", "X-Other": "no"},
    )
    tiny.client.get("/__sandbox/health")

    (record,) = tiny.state.requests.query()

    assert (record.method, record.path, record.query, record.status) == (
        "GET",
        "/tiny/items/3",
        "fields=a,b",
        200,
    )
    assert record.auth_scheme == "Bearer"
    assert record.headers["idempotency-key"] == "k-1"
    assert "x-other" not in record.headers
    assert "top-secret-token" not in repr(record)
    assert record.duration_ms >= 0


def test_filters_by_path_method_status_and_fault(tiny: Tiny) -> None:
    tiny.add_rule(endpoint="/tiny/other", error_rate=1.0, error_status=502)
    tiny.client.get("/tiny/items/1")
    tiny.client.get("/tiny/items/2")
    tiny.client.post("/tiny/items", json={"code": "x"})
    tiny.client.get("/tiny/other")
    tiny.client.get("/tiny/nowhere")

    def paths(**filters: str | int) -> list[str]:
        response = tiny.client.get("/__sandbox/requests", params=filters)
        assert response.status_code == 200, response.text
        return [record["path"] for record in response.json()["requests"]]

    assert paths(path="/tiny/items") == ["/tiny/items/1", "/tiny/items/2", "/tiny/items"]
    assert paths(path="/tiny/items/*") == ["/tiny/items/1", "/tiny/items/2"]
    assert paths(method="post") == ["/tiny/items"]
    assert paths(status="201") == ["/tiny/items"]
    assert paths(status="5xx") == ["/tiny/other"]
    assert paths(status="4xx") == ["/tiny/nowhere"]
    assert paths(fault="any") == ["/tiny/other"]
    assert paths(fault="error") == ["/tiny/other"]
    assert paths(limit=2) == ["/tiny/other", "/tiny/nowhere"]
    body = tiny.client.get("/__sandbox/requests", params={"path": "/tiny/items", "limit": 1}).json()
    assert body["total"] == 3
    assert len(body["requests"]) == 1


def test_handlers_can_add_facts_to_their_record(tiny: Tiny) -> None:
    created = tiny.client.post("/tiny/items", json={"code": "n-1"}).json()

    record = tiny.client.get("/__sandbox/requests", params={"method": "POST"}).json()["requests"][0]

    assert record["extra"] == {"created_id": str(created["id"])}


def test_since_seq_returns_only_newer_records(tiny: Tiny) -> None:
    tiny.client.get("/tiny/items/1")
    last = tiny.state.requests.query()[-1].seq
    tiny.client.get("/tiny/items/2")

    newer = tiny.client.get("/__sandbox/requests", params={"since_seq": last}).json()["requests"]

    assert [record["path"] for record in newer] == ["/tiny/items/2"]


def test_bad_status_filter_is_a_400(tiny: Tiny) -> None:
    response = tiny.client.get("/__sandbox/requests", params={"status": "teapot"})

    assert response.status_code == 400
    assert "5xx" in response.json()["detail"]


def test_clear_empties_the_log(tiny: Tiny) -> None:
    tiny.client.get("/tiny/items/1")

    assert tiny.client.delete("/__sandbox/requests").json() == {"cleared": 1}
    assert tiny.client.get("/__sandbox/requests").json() == {"total": 0, "requests": []}


def test_unexpected_exception_is_logged_as_500_in_platform_shape(tiny: Tiny) -> None:
    response = tiny.client.get("/tiny/boom")

    assert response.status_code == 500
    assert response.json()["tinyError"]["kind"] == "internal"
    assert "emulator bug" not in response.text
    assert [r.status for r in tiny.state.requests.query(path="/tiny/boom")] == [500]


def _record(seq: int, path: str = "/p") -> RequestRecord:
    return RequestRecord(seq, datetime(2025, 1, 1, tzinfo=UTC), "GET", path, "", 200, 1.0)


def test_log_is_bounded_and_drops_the_oldest() -> None:
    log = RequestLog(capacity=3)
    for seq in range(1, 6):
        log.append(_record(seq))

    assert len(log) == 3
    assert [record.seq for record in log.query()] == [3, 4, 5]


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        RequestLog(capacity=0)
