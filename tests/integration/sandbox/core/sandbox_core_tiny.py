"""A tiny throwaway emulator built with ``create_emulator_app`` (helpers for the sandbox core tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from fastapi import APIRouter, FastAPI, Request

from concord.sandbox.core import (
    EmulatorSettings,
    PlatformProfile,
    RunningServer,
    SandboxState,
    create_emulator_app,
    note_for,
)
from concord.sandbox.core.settings import ProfileMode

BIG_ITEMS = 200


class TinyFormatter:
    """The tiny platform's error shape: ``{"tinyError": {"kind", "message"}}`` plus an ``x-tiny`` header."""

    def format(self, status: int, kind: str, message: str) -> tuple[bytes, Mapping[str, str]]:
        body = orjson.dumps({"tinyError": {"kind": kind, "message": message, "status": status}})
        return body, {"content-type": "application/json", "x-tiny": "1"}


def tiny_router(state: SandboxState) -> APIRouter:
    router = APIRouter()

    @router.get("/tiny/items/{item_id}")
    async def get_item(item_id: int) -> dict[str, Any]:
        doc = state.store.get("items", item_id)
        return {"id": item_id, "data": None if doc is None else doc.data}

    @router.post("/tiny/items", status_code=201)
    def create_item(body: dict[str, Any], request: Request) -> dict[str, Any]:
        doc = state.store.insert("items", body)
        note = note_for(request.scope)
        if note is not None:
            note.extra["created_id"] = str(doc.id)
        return {"id": doc.id}

    @router.get("/tiny/other")
    async def other() -> dict[str, str]:
        return {"other": "ok"}

    @router.get("/tiny/big")
    async def big() -> dict[str, Any]:
        return {"items": [{"n": n, "name": f"item number {n}"} for n in range(BIG_ITEMS)]}

    @router.get("/tiny/slow")
    async def slow(ms: float = 300.0) -> dict[str, float]:
        await asyncio.sleep(ms / 1000.0)
        return {"slept_ms": ms}

    @router.get("/tiny/boom")
    async def boom() -> dict[str, str]:
        raise RuntimeError("emulator bug")

    return router


def build_tiny_app(profile: PlatformProfile | None = None, mode: ProfileMode = "instant") -> FastAPI:
    settings = EmulatorSettings(name="tiny", profile=mode, credentials={"client-1": "s3cret"})
    app = create_emulator_app("tiny", TinyFormatter(), profile or PlatformProfile(), settings, [tiny_router])
    state: SandboxState = app.state.sandbox
    state.store.define("items", unique=["code"])
    return app


@dataclass
class Tiny:
    """A served tiny emulator with a client on it."""

    server: RunningServer
    client: httpx.Client
    state: SandboxState

    def add_rule(self, **rule: Any) -> dict[str, Any]:
        response = self.client.post("/__sandbox/faults", json=rule)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result
