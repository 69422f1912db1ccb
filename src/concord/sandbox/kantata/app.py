"""``create_app``: the Kantata OX (formerly Mavenlink) API v1 emulator as a FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware

from concord.sandbox.core.app import create_emulator_app
from concord.sandbox.core.clock import Clock
from concord.sandbox.core.docstore import DocStore
from concord.sandbox.core.fastlane import install_fast_lane
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.core.state import SandboxState
from concord.sandbox.kantata.errors import KantataApiError, KantataErrorFormatter
from concord.sandbox.kantata.expense_approvals import create_expense_approval_router
from concord.sandbox.kantata.http import RequestIdMiddleware, kantata_error_handler
from concord.sandbox.kantata.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, create_oauth_router
from concord.sandbox.kantata.profile import KANTATA_PROFILE, MinuteRateLimiter, RateBudget
from concord.sandbox.kantata.routes_crud import create_crud_router, crud_fast_routes
from concord.sandbox.kantata.routes_special import (
    create_approval_router,
    create_external_reference_router,
    create_feed_router,
)
from concord.sandbox.kantata.service import KantataService

NAME = "kantata"


def create_app(settings: EmulatorSettings) -> FastAPI:
    """Build the Kantata emulator.

    Platform routes live under ``/api/v1`` (bearer token required) and ``/oauth``; the core's admin API
    is under ``/__sandbox``. Without ``settings.credentials`` the token endpoint accepts the documented
    sandbox client ``concord-sandbox`` / ``sandbox-secret``. ``app.state.kantata`` is the
    :class:`~concord.sandbox.kantata.service.KantataService` (for seeding in-process) and
    ``app.state.kantata_rate_budget`` the realistic profile's per-minute budget.
    """
    clock = Clock()
    store = DocStore(settings.db_path, clock=clock)
    service = KantataService(store, clock)
    credentials = dict(settings.credentials) or {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    formatter = KantataErrorFormatter()

    def after_reset(state: SandboxState) -> None:
        service.repo.forget()
        service.ensure_admin()

    app = create_emulator_app(
        NAME,
        formatter,
        KANTATA_PROFILE,
        settings,
        [
            create_oauth_router(credentials, service.ensure_admin),
            create_crud_router(service),
            create_feed_router(service),
            create_external_reference_router(service),
            create_approval_router(service),
            create_expense_approval_router(service),
        ],
        on_reset=after_reset,
        store=store,
    )
    app.add_exception_handler(KantataApiError, kantata_error_handler)
    sandbox: SandboxState = app.state.sandbox
    # Innermost, after the core's profile gate: throttled calls are logged and fault rules still apply.
    budget = RateBudget()
    limiter = Middleware(
        MinuteRateLimiter, governor=sandbox.profile, clock=clock, formatter=formatter, budget=budget
    )
    app.user_middleware.append(limiter)
    app.add_middleware(RequestIdMiddleware)
    app.state.kantata = service
    install_fast_lane(app, crud_fast_routes(service))
    app.state.kantata_rate_budget = budget
    return app
