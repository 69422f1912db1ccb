"""Admin API odds and ends: health, reset (with the emulator's hook), platform-shaped routing errors."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sandbox_core_tiny import Tiny, TinyFormatter

from concord.sandbox.core import (
    EmulatorSettings,
    PlatformProfile,
    SandboxState,
    create_emulator_app,
    start_in_thread,
)


def test_health(tiny: Tiny) -> None:
    health = tiny.client.get("/__sandbox/health").json()

    assert health["status"] == "ok"
    assert health["name"] == "tiny"
    assert health["profile"] == "instant"


def test_reset_wipes_data_faults_and_log_then_runs_the_hook() -> None:
    seeded: list[int] = []

    def reseed(state: SandboxState) -> None:
        seeded.append(state.store.count("items"))
        state.store.insert("items", {"code": "fixed"})

    app: FastAPI = create_emulator_app(
        "tiny", TinyFormatter(), PlatformProfile(), EmulatorSettings(name="tiny"), on_reset=reseed
    )
    state: SandboxState = app.state.sandbox
    state.store.define("items", unique=["code"])
    state.store.insert_many("items", [{"code": "a"}, {"code": "b"}])
    with start_in_thread(app) as server, httpx.Client(base_url=server.base_url) as client:
        client.post("/__sandbox/faults", json={"endpoint": "/x", "error_rate": 1})
        client.get("/x")
        response = client.post("/__sandbox/reset")

    assert response.status_code == 200
    assert seeded == [0]
    assert [doc.data["code"] for doc in state.store.scan("items")] == ["fixed"]
    assert state.faults.rules() == []
    assert len(state.requests) == 0


def test_partial_reset_keeps_what_is_not_asked(tiny: Tiny) -> None:
    tiny.client.post("/tiny/items", json={"code": "keep"})
    tiny.add_rule(endpoint="/nothing")

    tiny.client.post("/__sandbox/reset", json={"data": False, "faults": True})

    assert tiny.state.store.count("items") == 1
    assert tiny.state.faults.rules() == []


def test_routing_and_validation_errors_use_the_platform_shape(tiny: Tiny) -> None:
    missing = tiny.client.get("/tiny/nowhere")
    wrong_method = tiny.client.delete("/tiny/other")
    invalid = tiny.client.get("/tiny/items/not-a-number")
    bad_json = tiny.client.post("/tiny/items", content=b"{nope", headers={"content-type": "application/json"})

    assert (missing.status_code, missing.json()["tinyError"]["kind"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["tinyError"]["kind"]) == (405, "method_not_allowed")
    assert (invalid.status_code, invalid.json()["tinyError"]["kind"]) == (400, "bad_request")
    assert "item_id" in invalid.json()["tinyError"]["message"]
    assert (bad_json.status_code, bad_json.json()["tinyError"]["kind"]) == (400, "bad_request")


def test_admin_errors_keep_fastapi_shapes(tiny: Tiny) -> None:
    missing = tiny.client.get("/__sandbox/nothing")
    invalid = tiny.client.put("/__sandbox/clock", json={"advance_s": "soon"})

    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert invalid.status_code == 422
    assert isinstance(invalid.json()["detail"], list)


def test_expire_tokens_through_admin(tiny: Tiny) -> None:
    token = tiny.state.tokens.issue("client-1")

    assert tiny.client.post("/__sandbox/tokens/expire").json() == {"expired": 1}
    assert tiny.state.tokens.check(token.access_token) is None
