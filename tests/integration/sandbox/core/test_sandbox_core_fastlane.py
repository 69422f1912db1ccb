"""The core's fast lane: routes served without FastAPI's router, but with everything else of the core
(request log, faults, profile limits, the app's exception handlers) exactly as for a FastAPI route."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import orjson
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sandbox_core_tiny import TinyFormatter

from concord.sandbox.core import (
    EmulatorSettings,
    PlatformProfile,
    RunningServer,
    SandboxState,
    create_emulator_app,
    start_in_thread,
)
from concord.sandbox.core.fastlane import FastLane, RouteIndex, fast_route, install_fast_lane


class Refused(Exception):
    """A platform refusal the app answers through its own exception handler."""


async def lane_item(request: Request, params: Mapping[str, str]) -> Response:
    if params["item_id"] == "refused":
        raise Refused(params["item_id"])
    if params["item_id"] == "bug":
        raise RuntimeError("emulator bug in a fast route")
    state: SandboxState = request.app.state.sandbox
    return Response(orjson.dumps({"served_by": "lane", "item": params["item_id"], "app": state.name}))


async def lane_rest(request: Request, params: Mapping[str, str]) -> Response:
    return Response(orjson.dumps({"served_by": "lane-rest", "rest": params["rest"]}))


def slow_router(state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.get("/lane/items/{item_id}")
    async def fastapi_get(item_id: str) -> dict[str, str]:
        return {"served_by": "fastapi", "item": item_id}

    @router.put("/lane/items/{item_id}")
    async def fastapi_put(item_id: str) -> dict[str, str]:
        return {"served_by": "fastapi-put", "item": item_id}

    @router.get("/lane/owned/special")
    async def owned() -> dict[str, str]:
        return {"served_by": "fastapi-owned"}

    return router


def build_app() -> FastAPI:
    settings = EmulatorSettings(name="lane")
    app = create_emulator_app("lane", TinyFormatter(), PlatformProfile(), settings, [slow_router])

    async def on_refused(request: Request, exc: Exception) -> Response:
        return JSONResponse({"refused": str(exc)}, status_code=409)

    app.add_exception_handler(Refused, on_refused)
    install_fast_lane(
        app,
        [
            fast_route("/lane/items/{item_id}", ["GET"], lane_item),
            fast_route("/lane/owned/special", ["GET"], None),
            fast_route("/lane/{rest:path}", ["GET"], lane_rest),
        ],
    )
    return app


@pytest.fixture(scope="module")
def lane_server() -> Iterator[RunningServer]:
    with start_in_thread(build_app()) as server:
        yield server


@pytest.fixture
def client(lane_server: RunningServer) -> Iterator[httpx.Client]:
    state: SandboxState = lane_server.app.state.sandbox
    state.reset()
    with httpx.Client(base_url=lane_server.base_url, timeout=10.0) as http:
        yield http


def test_a_lane_route_is_served_by_the_lane_with_its_parameters(client: httpx.Client) -> None:
    response = client.get("/lane/items/42")

    assert response.status_code == 200
    assert response.json() == {"served_by": "lane", "item": "42", "app": "lane"}


def test_other_methods_and_owned_paths_go_on_to_fastapi(client: httpx.Client) -> None:
    assert client.put("/lane/items/42").json() == {"served_by": "fastapi-put", "item": "42"}
    assert client.get("/lane/owned/special").json() == {"served_by": "fastapi-owned"}
    # The catch-all template matches, but the earlier owned route keeps its path; other paths it serves.
    assert client.get("/lane/elsewhere/x").json() == {"served_by": "lane-rest", "rest": "elsewhere/x"}
    # A method neither serves: FastAPI's answer, through the platform's error format.
    refused = client.post("/lane/items/42")
    assert refused.status_code == 405
    assert refused.json()["tinyError"]["kind"] == "method_not_allowed"


def test_exceptions_are_answered_as_from_a_fastapi_route(client: httpx.Client) -> None:
    refused = client.get("/lane/items/refused")
    assert (refused.status_code, refused.json()) == (409, {"refused": "refused"})

    bug = client.get("/lane/items/bug")
    assert bug.status_code == 500
    assert bug.json()["tinyError"]["kind"] == "internal"


def test_lane_requests_are_logged_faulted_and_limited(
    client: httpx.Client, lane_server: RunningServer
) -> None:
    state: SandboxState = lane_server.app.state.sandbox
    client.get("/lane/items/7")
    logged = state.requests.query(path="/lane/items/7")
    assert [(r.method, r.status) for r in logged] == [("GET", 200)]

    rule = client.post("/__sandbox/faults", json={"endpoint": "GET /lane/items/*", "error_rate": 1.0})
    assert rule.status_code == 201
    faulted = client.get("/lane/items/8")
    assert faulted.status_code == 503
    assert state.requests.query(path="/lane/items/8")[-1].faults == ("error",)
    client.delete("/__sandbox/faults")

    state.profile.mode = "realistic"
    state.profile.platform = PlatformProfile(daily_call_limit=0, daily_limit_status=429)
    try:
        assert client.get("/lane/items/9").status_code == 429
    finally:
        state.profile.mode = "instant"
        state.profile.platform = PlatformProfile()


def test_the_lane_must_be_installed_before_the_first_request() -> None:
    app = build_app()
    with start_in_thread(app) as server:
        httpx.get(server.base_url + "/lane/items/1", timeout=10.0)
    with pytest.raises(RuntimeError, match="before the app serves"):
        install_fast_lane(app, [])
    lanes: list[Any] = [m.cls for m in app.user_middleware]
    assert lanes.count(FastLane) == 1


def test_route_index_keeps_declaration_order_and_skips_other_methods() -> None:
    async def first(request: Request, params: Mapping[str, str]) -> Response:
        return Response(b"first")

    async def second(request: Request, params: Mapping[str, str]) -> Response:
        return Response(b"second")

    index = RouteIndex(
        [
            fast_route("/api/v1/things/{thing_id}.json", ["GET"], first),
            fast_route("/api/v1/things/{thing_id}", ["GET", "PUT"], second),
            fast_route("/api/v1/{rest:path}", ["DELETE"], first),
        ]
    )

    found = index.match("GET", "/api/v1/things/5.json")
    assert found is not None and found[0].endpoint is first and found[1] == {"thing_id": "5"}
    found = index.match("PUT", "/api/v1/things/5.json")  # the .json route is GET only: the next one
    assert found is not None and found[0].endpoint is second and found[1] == {"thing_id": "5.json"}
    found = index.match("DELETE", "/api/v1/things/5")
    assert found is not None and found[1] == {"rest": "things/5"}
    assert index.match("POST", "/api/v1/things/5") is None
    assert index.match("GET", "/api/v2/things/5") is None
    assert index.match("GET", "/api/v1/things/5/more") is None
