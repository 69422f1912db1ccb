"""The loader's HTTP client: bearer auth, JSON with exact decimals, bounded concurrency, and retries on
the transient answers a sandbox with faults (or the realistic profile) gives."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import orjson

T = TypeVar("T")
R = TypeVar("R")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 8
_MAX_BACKOFF_S = 5.0


class LoadError(RuntimeError):
    """A platform refused a record for good; the message names the system, the record and the answer."""


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A raw JSON number with exactly these digits: money never passes through a float.
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(document: Any) -> bytes:
    """JSON bytes; ``Decimal`` values become JSON numbers with their exact digits."""
    return orjson.dumps(document, default=_default)


class Api:
    """One platform's API with a bearer token.

    Args:
        client: The shared HTTP client.
        system: ``salesforce``, ``kantata`` or ``netsuite`` (for messages).
        base_url: The platform's base URL.
        token: The bearer token.
        limit: Requests in flight at once.
    """

    def __init__(self, client: httpx.AsyncClient, system: str, base_url: str, token: str, limit: int) -> None:
        self.client = client
        self.system = system
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self._slots = asyncio.Semaphore(limit)
        self._rng = random.Random()
        self.requests = 0

    async def call(
        self, method: str, path: str, body: Any = None, *, params: dict[str, str] | None = None
    ) -> httpx.Response:
        """Send one request, retrying transient failures with jittered backoff; returns the final answer
        (which may still be an error the caller judges).

        Injected faults (errors, 429s, outages, hangs) answer before the emulator does any work, so a
        retried create does not duplicate; a connection lost after the emulator committed would.
        """
        content = None if body is None else dumps(body)
        url = self.base_url + path
        for attempt in range(1, MAX_ATTEMPTS + 1):
            async with self._slots:
                self.requests += 1
                try:
                    response = await self.client.request(
                        method, url, content=content, params=params, headers=self._headers
                    )
                except httpx.TransportError:
                    if attempt == MAX_ATTEMPTS:
                        raise
                    response = None
            if response is not None and (
                response.status_code not in RETRY_STATUSES or attempt == MAX_ATTEMPTS
            ):
                return response
            await asyncio.sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), _MAX_BACKOFF_S)
        backoff: float = min(_MAX_BACKOFF_S, 0.05 * 2**attempt)
        return backoff * (0.5 + self._rng.random())

    async def json(
        self, method: str, path: str, body: Any = None, *, what: str, ok: Iterable[int] = (200,)
    ) -> Any:
        """Send a request that must succeed; its JSON body (``None`` for an empty one).

        Raises:
            LoadError: Any other status, with ``what`` and the platform's answer.
        """
        response = await self.call(method, path, body)
        if response.status_code not in tuple(ok):
            raise LoadError(f"{self.system} refused {what}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None


async def each(items: Sequence[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
    """Run ``work`` on every item concurrently (the ``Api`` bounds requests in flight); results in order."""
    return list(await asyncio.gather(*(work(item) for item in items)))


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` cut into slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]
