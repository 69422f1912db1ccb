"""``ApiSession``: one platform connection's HTTP channel.

Every call goes through the same steps: a permit from the ``RateGovernor`` (concurrency, pace, quota),
the bearer token from the ``TokenManager`` (renewed once and the call repeated once if the platform
answers 401), the platform's usage report fed back to the governor, and failures mapped to Concord's
error tree by the platform's ``ErrorMapper``. Platform clients (Salesforce, Kantata, NetSuite) build their
calls on ``request`` and ``request_json`` and never touch httpx errors themselves.
"""

from __future__ import annotations

import importlib.util
import ssl
import sys
import time
from collections.abc import Callable, Mapping
from functools import cache
from types import TracebackType
from typing import Any

import httpx
import structlog

from concord.connectors.http import jsonio
from concord.connectors.http.auth import AccessToken, TokenManager
from concord.connectors.http.errors import ErrorMapper, map_http_errors
from concord.connectors.http.governor import ApiUsage, Priority, RateGovernor

log = structlog.get_logger(__name__)

if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    # httpcore asks ``import sniffio`` which event loop runs, several times per request; without the
    # package each ask searches every folder of sys.path again (about a tenth of a millisecond per
    # request). Recording it as absent makes the ask fail at once, and httpcore then assumes asyncio,
    # which is what Concord runs.
    sys.modules["sniffio"] = None  # type: ignore[assignment]

UsageReader = Callable[[httpx.Response], ApiUsage | None]
"""Reads a platform's usage report from a response (None when it carries none)."""


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes about 100 ms; every session shares one verifying context.
    return httpx.create_ssl_context()


class ApiSession:
    """Budgeted, authenticated, error-mapped HTTP calls to one platform.

    Args:
        mapper: The platform's error mapping (its ``system`` names the platform in reasons and logs).
        governor: The platform's call budget.
        tokens: Bearer tokens (None for platforms that authenticate otherwise); may be set after
            construction, because grants usually call the platform through this same session.
        usage: Reads usage headers into the governor.
        timeout: Per-call timeouts.
        transport: An httpx transport (tests pass ``httpx.MockTransport``).
        headers: Sent with every call.
        base_url: Prefix of relative URLs.
    """

    def __init__(
        self,
        *,
        mapper: ErrorMapper,
        governor: RateGovernor,
        tokens: TokenManager | None = None,
        usage: UsageReader | None = None,
        timeout: httpx.Timeout | float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        base_url: str = "",
    ) -> None:
        self.mapper = mapper
        self.governor = governor
        self.tokens = tokens
        self._usage = usage
        slots = governor.policy.max_concurrency
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            verify=_tls_context(),
            headers=dict(headers or {}),
            limits=httpx.Limits(max_connections=slots + 2, max_keepalive_connections=slots + 2),
            follow_redirects=False,
        )

    @property
    def system(self) -> str:
        """The platform's name."""
        return self.mapper.system

    async def request(
        self,
        method: str,
        url: str,
        *,
        priority: Priority = Priority.NORMAL,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        governed: bool = True,
        check: bool = True,
    ) -> httpx.Response:
        """Send one call and return its (fully read) response.

        Args:
            method: HTTP method.
            url: Absolute URL, or relative to ``base_url``.
            priority: Who waits for it (orders the governor's queue).
            params: Query parameters.
            json: A JSON body (Decimal kept exact); None for no body.
            data: A form body.
            headers: Extra headers for this call.
            authenticated: Send the bearer token (False for token endpoints).
            governed: Take a governor permit (False for calls the platform does not count, e.g. tokens).
            check: Raise the mapped error for a status of 300 or more (False: return any response).

        Raises:
            TransientError: timeouts, connection failures, 5xx; ``Throttled`` for 429 and quotas,
                ``QuotaPaused`` when the governor holds the call back.
            PermanentError: refused credentials; ``Rejected`` / ``CannotEncode`` for refused requests.
        """
        content = None if json is None else jsonio.dumps(json)
        call_headers = dict(headers or {})
        if content is not None:
            call_headers.setdefault("Content-Type", "application/json")
        permit = await self.governor.acquire(priority) if governed else None
        try:
            with map_http_errors(self.system):
                token = await self.tokens.token() if authenticated and self.tokens else None
                response = await self._send(method, url, token, params, content, data, call_headers)
                if response.status_code == 401 and token is not None and self.tokens is not None:
                    token = await self.tokens.renew(token)
                    response = await self._send(method, url, token, params, content, data, call_headers)
        finally:
            if permit is not None:
                permit.release()
        if check:
            self.mapper.raise_for_status(response)
        return response

    async def request_json(self, method: str, url: str, **options: Any) -> Any:
        """``request`` and decode its JSON body (None when empty); a malformed body is transient."""
        return self.mapper.decode(await self.request(method, url, **options))

    async def _send(
        self,
        method: str,
        url: str,
        token: AccessToken | None,
        params: Mapping[str, str] | None,
        content: bytes | None,
        data: Mapping[str, str] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        if token is not None:
            headers = {**headers, "Authorization": f"Bearer {token.value}"}
        started = time.perf_counter()
        response = await self.http.request(
            method, url, params=params, content=content, data=data, headers=headers
        )
        if self._usage is not None:
            usage = self._usage(response)
            if usage is not None:
                self.governor.observe(usage)
        log.debug(
            "api call",
            system=self.system,
            method=method,
            path=response.request.url.path,
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def __aenter__(self) -> ApiSession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
