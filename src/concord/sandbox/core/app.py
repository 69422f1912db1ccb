"""``create_emulator_app``: a FastAPI app with the whole sandbox core wired in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from concord.sandbox.core.admin import create_admin_router
from concord.sandbox.core.asgi import ADMIN_PREFIX
from concord.sandbox.core.auth import TokenStore
from concord.sandbox.core.clock import Clock
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.core.errors import ErrorFormatter, ErrorKind
from concord.sandbox.core.faults import FaultInjector, FaultSet
from concord.sandbox.core.profiles import PlatformProfile, ProfileGate, ProfileGovernor
from concord.sandbox.core.requestlog import (
    DEFAULT_CAPACITY,
    DEFAULT_LOGGED_HEADERS,
    RequestLog,
    RequestRecorder,
)
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.core.state import ResetHook, SandboxState

_log = logging.getLogger(__name__)

RouterSource = APIRouter | Callable[[SandboxState], APIRouter]
"""A router, or a factory given the ``SandboxState`` (so handlers can close over the store and clock
instead of resolving a dependency on every request)."""
_STATUS_KINDS = {404: ErrorKind.NOT_FOUND, 405: ErrorKind.METHOD_NOT_ALLOWED}


def create_emulator_app(
    name: str,
    formatter: ErrorFormatter,
    profile: PlatformProfile,
    settings: EmulatorSettings,
    routers: Sequence[RouterSource] = (),
    *,
    on_reset: ResetHook | None = None,
    store: DocStore | None = None,
    token_prefix: str = "",
    request_log_capacity: int = DEFAULT_CAPACITY,
    logged_headers: Iterable[str] = DEFAULT_LOGGED_HEADERS,
) -> FastAPI:
    """Build an emulator app: its routers plus the core's middlewares, admin API and state.

    Requests pass, outermost first: request log, fault injection, profile limits and latency, then the
    emulator's routes. Unknown paths, wrong methods, invalid requests and unexpected exceptions are
    answered through ``formatter`` (the admin API keeps FastAPI's own error shapes). An emulator may add
    its own exception handlers to the returned app; they replace these.

    Args:
        name: Platform name (``"salesforce"``, ``"kantata"``, ``"netsuite"``).
        formatter: Builds the platform's error bodies.
        profile: The platform's realistic profile (used when the mode is ``"realistic"``).
        settings: How the emulator runs (initial profile mode, data folder, credentials).
        routers: The emulator's platform routes: routers, or factories ``(SandboxState) -> APIRouter``.
        on_reset: Called after ``POST /__sandbox/reset`` wiped the data, to re-create fixed records.
        store: A ready store; by default one is opened at ``settings.db_path`` (in memory when ``None``).
        token_prefix: Prefix of issued access tokens.
        request_log_capacity: Most request records kept.
        logged_headers: Request headers copied into the request log (``Authorization`` is never copied;
            only its scheme is recorded).

    Returns:
        The app; ``app.state.sandbox`` is its ``SandboxState``.
    """
    clock = store.clock if store is not None else Clock()
    store = store or DocStore(settings.db_path, clock=clock)
    state = SandboxState(
        name=name,
        settings=settings,
        store=store,
        clock=clock,
        faults=FaultSet(clock),
        requests=RequestLog(request_log_capacity),
        profile=ProfileGovernor(profile, mode=settings.profile, clock=clock),
        tokens=TokenStore(clock, prefix=token_prefix),
        formatter=formatter,
        on_reset=on_reset,
    )
    app = FastAPI(
        # An emulator stands in for a remote platform: its requests are no spans of the process that
        # hosts it, and checking for a tracer on every request costs more than a simple read.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        title=f"Concord sandbox: {name}",
        docs_url=f"{ADMIN_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{ADMIN_PREFIX}/openapi.json",
    )
    app.state.sandbox = state
    for source in routers:
        app.include_router(source if isinstance(source, APIRouter) else source(state))
    app.include_router(create_admin_router(), prefix=ADMIN_PREFIX)
    # add_middleware wraps: the last one added runs first.
    app.add_middleware(ProfileGate, governor=state.profile, formatter=formatter)
    app.add_middleware(
        FaultInjector, faults=state.faults, formatter=formatter, sends_retry_after=profile.sends_retry_after
    )
    app.add_middleware(RequestRecorder, log=state.requests, clock=clock, logged_headers=logged_headers)
    _install_error_handlers(app, formatter)
    return app


def _install_error_handlers(app: FastAPI, formatter: ErrorFormatter) -> None:
    def platform_error(status: int, kind: str, message: str) -> Response:
        body, headers = formatter.format(status, kind, message)
        media = {k.lower(): v for k, v in headers.items()}.get("content-type", "application/json")
        extra = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
        return Response(body, status_code=status, headers=extra, media_type=media)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if request.url.path.startswith(ADMIN_PREFIX):
            return await http_exception_handler(request, exc)
        kind = _STATUS_KINDS.get(
            exc.status_code, ErrorKind.BAD_REQUEST if exc.status_code < 500 else ErrorKind.INTERNAL
        )
        return platform_error(exc.status_code, kind, str(exc.detail))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if request.url.path.startswith(ADMIN_PREFIX):
            return await request_validation_exception_handler(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return platform_error(400, ErrorKind.BAD_REQUEST, f"{where}: {first.get('msg', 'invalid request')}")

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("unexpected error in emulator handler for %s %s", request.method, request.url.path)
        return platform_error(500, ErrorKind.INTERNAL, "An unexpected error occurred in the emulator")

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
