"""The simulator's HTTP client for one platform: bearer tokens fetched (and fetched again after a 401)
through the platform's token endpoint, JSON with exact decimals, bounded concurrency, and retries of the
transient answers a real integration retries.

Only requests that cannot have taken effect, or that are idempotent, are retried: 429 and 503 (refused
before any work) always; 500, 502, 504 and read timeouts only for GET, PUT, PATCH and DELETE.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import httpx
import orjson

Authenticator = Callable[[httpx.AsyncClient], Awaitable[str]]
"""Gets a fresh bearer token from the platform's token endpoint."""

REFUSED_STATUSES = frozenset({429, 503})
FAILED_STATUSES = frozenset({500, 502, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
DEFAULT_ATTEMPTS = 6
_MAX_BACKOFF_S = 4.0


class ApiError(RuntimeError):
    """A platform answered a request with an error for good.

    Attributes:
        system: ``salesforce``, ``kantata`` or ``netsuite``.
        status: The HTTP status (0 when no answer came).
        detail: The start of the platform's answer.
    """

    def __init__(self, system: str, what: str, status: int, detail: str) -> None:
        super().__init__(f"{system} refused {what}: {status} {detail}")
        self.system = system
        self.status = status
        self.detail = detail


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Money leaves as a JSON number with exactly these digits, never through a float.
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(document: Any) -> bytes:
    """JSON bytes; ``Decimal`` values become JSON numbers with their exact digits."""
    return orjson.dumps(document, default=_default)


class PlatformClient:
    """One platform's API as the simulator uses it.

    Args:
        http: The shared HTTP client.
        system: The platform name (for messages).
        base_url: The platform's base URL.
        authenticate: Gets a bearer token.
        concurrency: Requests in flight at once.
        attempts: Tries per request before giving up on a transient failure.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        system: str,
        base_url: str,
        authenticate: Authenticator,
        *,
        concurrency: int = 8,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        self.http = http
        self.system = system
        self.base_url = base_url.rstrip("/")
        self._authenticate = authenticate
        self._slots = asyncio.Semaphore(concurrency)
        self._token: str | None = None
        self._token_lock = asyncio.Lock()
        self._attempts = attempts
        self._jitter = random.Random()
        self.requests = 0

    async def _bearer(self, stale: str | None = None) -> str:
        async with self._token_lock:
            if self._token is None or self._token == stale:
                self._token = await self._fresh_token()
            return self._token

    async def _fresh_token(self) -> str:
        # The token endpoint fails transiently like any other: retry it the same way.
        for attempt in range(1, self._attempts + 1):
            try:
                return await self._authenticate(self.http)
            except ApiError as error:
                transient = error.status == 0 or error.status in REFUSED_STATUSES | FAILED_STATUSES
                if not transient or attempt == self._attempts:
                    raise
            except httpx.TransportError as exc:
                if attempt == self._attempts:
                    raise ApiError(self.system, "a token", 0, f"{type(exc).__name__}: {exc}") from exc
            await asyncio.sleep(self._delay(attempt, None))
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request (re-authenticating once after a 401, retrying transient failures).

        Raises:
            ApiError: No answer came after every attempt.
        """
        content = None if body is None else dumps(body)
        url = path if path.startswith("http") else self.base_url + path
        extra = dict(headers or {})
        if content is not None:
            extra.setdefault("Content-Type", "application/json")
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            token = await self._bearer()
            request_headers = {**extra, "Authorization": f"Bearer {token}"}
            try:
                async with self._slots:
                    self.requests += 1
                    response = await self.http.request(
                        method, url, content=content, params=params, headers=request_headers
                    )
            except httpx.TransportError as exc:
                unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
                if attempt >= self._attempts or not (unsent or method in IDEMPOTENT):
                    raise ApiError(
                        self.system, f"{method} {path}", 0, f"{type(exc).__name__}: {exc}"
                    ) from exc
                await asyncio.sleep(self._delay(attempt, None))
                continue
            if response.status_code == 401 and not reauthenticated:
                reauthenticated = True
                await self._bearer(stale=token)
                continue
            if attempt < self._attempts and self._transient(method, response.status_code):
                await asyncio.sleep(self._delay(attempt, response))
                continue
            return response

    @staticmethod
    def _transient(method: str, status: int) -> bool:
        return status in REFUSED_STATUSES or (status in FAILED_STATUSES and method in IDEMPOTENT)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = str(response.headers.get("retry-after", "")) if response is not None else ""
        if retry_after.isdigit():
            return min(float(retry_after), _MAX_BACKOFF_S)
        return min(_MAX_BACKOFF_S, 0.02 * 2.0**attempt) * (0.5 + self._jitter.random())

    async def json(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: Iterable[int] = (200,),
    ) -> Any:
        """Send a request that must succeed; its parsed JSON body (numbers with a fraction as ``Decimal``,
        ``None`` when empty).

        Raises:
            ApiError: Another status, or a body that is not JSON; the message names ``what``.
        """
        accepted = tuple(ok)
        for attempt in range(1, self._attempts + 1):
            response = await self.send(method, path, body=body, params=params, headers=headers)
            if response.status_code not in accepted:
                raise ApiError(self.system, what, response.status_code, response.text[:400])
            if not response.content:
                return None
            try:
                # Decimals, not floats: amounts read back must stay exact.
                return json.loads(response.content, parse_float=Decimal)
            except ValueError as exc:
                # A garbled answer to a read is read again; a write's answer cannot be asked for twice.
                if method not in IDEMPOTENT or attempt == self._attempts:
                    raise ApiError(
                        self.system, what, response.status_code, f"answer is not JSON: {exc}"
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover
