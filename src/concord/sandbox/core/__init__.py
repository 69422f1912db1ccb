"""Machinery every platform emulator shares: store, clock, faults, limits, request log, admin API, server.

An emulator is a FastAPI app made by ``create_emulator_app`` from its own routers, an ``ErrorFormatter``
(its platform's error bodies) and a ``PlatformProfile`` (its latency and limits in the realistic
profile). The core then gives it, without further work:

- ``app.state.sandbox``: a ``SandboxState`` with ``.store`` (``DocStore``, SQLite JSON documents with
  soft delete, unique keys and change queries), ``.clock`` (``Clock``, settable emulator time),
  ``.faults`` (``FaultSet``), ``.requests`` (``RequestLog``), ``.profile`` (``ProfileGovernor``: mode,
  calls today for usage headers), ``.tokens`` (``TokenStore``) and ``.extras`` (the emulator's own).
- Middlewares, outermost first: ``RequestRecorder`` (every platform request logged, bounded),
  ``FaultInjector`` (errors, latency, hangs, 429 bursts, malformed/truncated bodies, outages, slow drip;
  per endpoint; seeded), ``ProfileGate`` (realistic profile: concurrency and daily limits, latency).
- The admin API under ``/__sandbox`` (faults, requests, profile, clock, reset, tokens, health; the JSON
  shapes are listed in ``concord.sandbox.core.admin``). It is never faulted, limited or logged.
- Unknown paths (404), wrong methods (405), invalid requests (400) and unexpected exceptions (500)
  answered through the formatter. Add your own exception handlers to the app to override them.

The formatter is called as ``format(status, kind, message) -> (body, headers)`` with a ``kind`` from
``ErrorKind`` (``"error"``, ``"timeout"``, ``"rate_limited"``, ``"outage"``, ``"concurrency_limit"``,
``"daily_limit"``, ``"not_found"``...). For injected 429s the core adds ``Retry-After`` when the rule
has ``retry_after_s``, unless the formatter set the header itself or the platform profile says
``sends_retry_after=False``.

Example::

    from fastapi import APIRouter, FastAPI
    from concord.sandbox.core import (
        EmulatorSettings, PlatformProfile, SandboxState, create_emulator_app, start_in_thread,
    )

    def things_router(sandbox: SandboxState) -> APIRouter:
        router = APIRouter()

        @router.get("/api/things/{thing_id}")
        async def get_thing(thing_id: int) -> dict[str, object]:
            doc = sandbox.store.get("things", thing_id)
            ...

        return router

    def create_app(settings: EmulatorSettings) -> FastAPI:
        profile = PlatformProfile(latency_ms=80, max_concurrency=5, daily_call_limit=15_000)
        app = create_emulator_app("demo", DemoFormatter(), profile, settings, [things_router])
        app.state.sandbox.store.define("things", id_kind="int", unique=["external_id"])
        return app

    with start_in_thread(create_app(EmulatorSettings(name="demo"))) as server:
        rule = {"endpoint": "GET /api/*", "error_rate": 0.2, "seed": 7}
        httpx.post(f"{server.base_url}/__sandbox/faults", json=rule)
        ...

Notes for emulator authors:

- Pass router *factories* ``(SandboxState) -> APIRouter`` (as above) so handlers close over the store
  and clock; ``SandboxDep`` also works but FastAPI resolves it on every request.
- ``DocStore`` calls are synchronous, thread-safe and take microseconds for single documents: call them
  from ``async def`` handlers for simple reads and writes (a threadpool hop per request roughly halves
  the throughput on a 2-core machine), and use plain ``def`` handlers for big batches and reset hooks.
- Collections are defined once in ``create_app``; ``reset`` empties them and keeps the definitions, then
  runs ``on_reset`` so the emulator can re-create fixed records.
- Busy platform routes (single-record reads and writes, batch endpoints) belong on the fast lane:
  ``install_fast_lane(app, [fast_route(path, methods, endpoint), ...])`` as the last step of
  ``create_app``. FastAPI's router and dependency injection cost more than such a call's own work; the
  lane keeps the request log, faults, profile limits and the app's exception handlers. Serve a path
  there exactly as its FastAPI route does (``endpoint=None`` leaves paths an earlier route owns to it).
"""

from __future__ import annotations

from concord.sandbox.core.admin import ClockUpdate, ResetRequest, create_admin_router
from concord.sandbox.core.app import create_emulator_app
from concord.sandbox.core.asgi import ADMIN_PREFIX, RequestNote, note_for, record_fault
from concord.sandbox.core.auth import (
    IssuedToken,
    TokenStatus,
    TokenStore,
    basic_credentials,
    bearer_token,
    client_secret_ok,
)
from concord.sandbox.core.clock import Clock, ClockError
from concord.sandbox.core.docschema import (
    CollectionSpec,
    Doc,
    DocId,
    DocNotFoundError,
    DocStoreError,
    DuplicateKeyError,
    UnknownCollectionError,
)
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.core.errors import ErrorFormatter, ErrorKind, JsonErrorFormatter
from concord.sandbox.core.fastlane import FastEndpoint, FastLane, FastRoute, fast_route, install_fast_lane
from concord.sandbox.core.faults import FaultInjector, FaultRule, FaultRuleSet, FaultSet, OutageWindow
from concord.sandbox.core.profiles import (
    INSTANT,
    PlatformProfile,
    ProfileGate,
    ProfileGovernor,
    ProfileUpdate,
)
from concord.sandbox.core.requestlog import RequestLog, RequestRecord, RequestRecorder
from concord.sandbox.core.server import (
    AppBinding,
    RunningServer,
    ServerStartError,
    serve_foreground,
    start_in_thread,
)
from concord.sandbox.core.settings import EmulatorSettings, ProfileMode
from concord.sandbox.core.state import SandboxDep, SandboxState, sandbox_state

__all__ = [
    "ADMIN_PREFIX",
    "INSTANT",
    "AppBinding",
    "Clock",
    "ClockError",
    "ClockUpdate",
    "CollectionSpec",
    "Doc",
    "DocId",
    "DocNotFoundError",
    "DocStore",
    "DocStoreError",
    "DuplicateKeyError",
    "EmulatorSettings",
    "ErrorFormatter",
    "ErrorKind",
    "FastEndpoint",
    "FastLane",
    "FastRoute",
    "FaultInjector",
    "FaultRule",
    "FaultRuleSet",
    "FaultSet",
    "IssuedToken",
    "JsonErrorFormatter",
    "OutageWindow",
    "PlatformProfile",
    "ProfileGate",
    "ProfileGovernor",
    "ProfileMode",
    "ProfileUpdate",
    "RequestLog",
    "RequestNote",
    "RequestRecord",
    "RequestRecorder",
    "ResetRequest",
    "RunningServer",
    "SandboxDep",
    "SandboxState",
    "ServerStartError",
    "TokenStatus",
    "TokenStore",
    "UnknownCollectionError",
    "basic_credentials",
    "bearer_token",
    "client_secret_ok",
    "create_admin_router",
    "create_emulator_app",
    "fast_route",
    "install_fast_lane",
    "note_for",
    "record_fault",
    "sandbox_state",
    "serve_foreground",
    "start_in_thread",
]
