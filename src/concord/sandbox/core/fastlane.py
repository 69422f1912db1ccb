"""``FastLane``: an emulator's busiest platform routes served without FastAPI's router.

Why: FastAPI finds a request's route by trying its routes one after the other (through every included
router), then solves the endpoint's dependencies, and runs sync dependencies in the threadpool. For an
emulator whose handler does a few dozen microseconds of work, that is most of the cost of a call:
Kantata's generic CRUD has about a hundred routes, and a time entry ``GET`` used to try most of them.

The lane is the innermost middleware. It looks the path up in an index of its routes by their literal
leading segments, and calls the endpoint directly with the path parameters. Whatever it does not serve
goes on to FastAPI unchanged. Exceptions are answered by the app's own exception handlers (the same
``ExceptionMiddleware`` FastAPI puts around its router), so a platform error looks exactly as before;
an unexpected one propagates to the outermost error middleware, as it does from a FastAPI route.

Fidelity rule for emulator authors: a fast route must serve a path exactly as the FastAPI route that
would otherwise get it (same endpoint code, same order of checks). Where an earlier FastAPI route owns
some paths that a fast route's template also matches, declare that route first with ``endpoint=None``:
the lane then leaves those paths to FastAPI.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

FastEndpoint = Callable[[Request, Mapping[str, str]], Awaitable[Response]]
"""An endpoint of the lane: the request and its path parameters (as strings) to a response."""

_ENDPOINT_KEY = "concord.sandbox.fastlane.endpoint"


@dataclass(frozen=True)
class FastRoute:
    """One route of the lane.

    Attributes:
        path: A Starlette path template (``/api/v1/time_entries/{record_id}.json``,
            ``/services/data/{rest:path}``).
        methods: The HTTP methods it serves (upper case); other methods go on to FastAPI.
        endpoint: What serves it, or ``None`` to leave the matching paths to FastAPI (an earlier FastAPI
            route owns them).
    """

    path: str
    methods: frozenset[str]
    endpoint: FastEndpoint | None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex, _, _ = compile_path(self.path)
        object.__setattr__(self, "regex", regex)

    @property
    def head(self) -> tuple[str, ...]:
        """The literal path segments before the first one holding a parameter."""
        literal: list[str] = []
        for segment in self.path.split("/")[1:]:
            if "{" in segment:
                break
            literal.append(segment)
        return tuple(literal)


def fast_route(path: str, methods: Iterable[str], endpoint: FastEndpoint | None) -> FastRoute:
    """A ``FastRoute`` (methods upper-cased)."""
    return FastRoute(path, frozenset(m.upper() for m in methods), endpoint)


class RouteIndex:
    """Routes indexed by their literal leading segments; ``match`` keeps declaration order."""

    def __init__(self, routes: Sequence[FastRoute]) -> None:
        self._by_head: dict[tuple[str, ...], list[tuple[int, FastRoute]]] = {}
        for order, route in enumerate(routes):
            self._by_head.setdefault(route.head, []).append((order, route))
        self._depths = sorted({len(head) for head in self._by_head}, reverse=True)

    def match(self, method: str, path: str) -> tuple[FastRoute, dict[str, str]] | None:
        """The first declared route whose template matches ``path``, and its parameters.

        A route that matches the path but not the method is skipped (FastAPI then answers, with its 405
        or another route). ``None`` when no route matches, or when the first match has no endpoint.
        """
        segments = path.split("/")[1:]
        candidates: list[tuple[int, FastRoute]] = []
        for depth in self._depths:
            if depth <= len(segments):
                candidates.extend(self._by_head.get(tuple(segments[:depth]), ()))
        if not candidates:
            return None
        if len(candidates) > 1:
            candidates.sort(key=lambda pair: pair[0])
        for _, route in candidates:
            found = route.regex.match(path)
            if found is None:
                continue
            if route.endpoint is None:
                return None
            if method in route.methods:
                return route, found.groupdict()
        return None


class FastLane:
    """Pure ASGI middleware serving ``routes`` directly (see the module docstring).

    Args:
        app: The wrapped app (FastAPI's exception middleware and router).
        routes: The lane's routes, in priority order.
        owner: The application, whose exception handlers answer the endpoints' exceptions (read at the
            first request, so handlers added after ``install_fast_lane`` count too).
    """

    def __init__(self, app: ASGIApp, *, routes: Sequence[FastRoute], owner: Starlette) -> None:
        self.app = app
        self.index = RouteIndex(routes)
        self._owner = owner
        self._guarded: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self.index.match(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        route, params = found
        scope["path_params"] = params
        scope[_ENDPOINT_KEY] = route.endpoint
        if self._guarded is None:
            self._guarded = ExceptionMiddleware(self._serve, handlers=_handled_errors(self._owner))
        await self._guarded(scope, receive, send)

    @staticmethod
    async def _serve(scope: Scope, receive: Receive, send: Send) -> None:
        endpoint: FastEndpoint = scope[_ENDPOINT_KEY]
        response = await endpoint(Request(scope, receive, send), scope["path_params"])
        await response(scope, receive, send)


def _handled_errors(app: Starlette) -> dict[Any, Any]:
    # As Starlette splits them: 500/Exception go to the outermost error middleware, the rest to the
    # exception middleware around the router.
    return {key: value for key, value in app.exception_handlers.items() if key not in (500, Exception)}


def install_fast_lane(app: Starlette, routes: Sequence[FastRoute]) -> None:
    """Serve ``routes`` through a ``FastLane``, innermost (after every middleware installed so far).

    Call it last in an emulator's ``create_app``, before the app serves its first request.
    """
    if app.middleware_stack is not None:
        raise RuntimeError("install_fast_lane must be called before the app serves a request")
    app.user_middleware.append(Middleware(FastLane, routes=routes, owner=app))
