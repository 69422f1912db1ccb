"""How the core asks an emulator for an error answer in its platform's own format."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol, runtime_checkable

import orjson


class ErrorKind(StrEnum):
    """Why the core answers instead of the emulator; passed to ``ErrorFormatter.format`` as ``kind``.

    Members are plain strings, so a formatter may compare ``kind == "outage"``.
    """

    ERROR = "error"
    """An injected server error (``FaultRule.error_rate``), status ``FaultRule.error_status``."""
    TIMEOUT = "timeout"
    """A hung request that reached ``FaultRule.hang_s`` with the client still waiting (504)."""
    RATE_LIMITED = "rate_limited"
    """An injected 429 of a burst (``FaultRule.burst_429``)."""
    OUTAGE = "outage"
    """A request inside an outage window (503)."""
    CONCURRENCY_LIMIT = "concurrency_limit"
    """Realistic profile: more requests in flight than the platform allows."""
    DAILY_LIMIT = "daily_limit"
    """Realistic profile: the daily call quota is spent."""
    NOT_FOUND = "not_found"
    """No route for the path (404)."""
    METHOD_NOT_ALLOWED = "method_not_allowed"
    """The route exists but not for this method (405)."""
    BAD_REQUEST = "bad_request"
    """The request did not validate (400)."""
    INTERNAL = "internal"
    """An unexpected exception in the emulator (500)."""


@runtime_checkable
class ErrorFormatter(Protocol):
    """Turns a core-generated error into the platform's error body.

    Implementations return the body bytes and the response headers (at least ``content-type``; the core
    adds ``application/json`` when it is missing). For example Salesforce answers
    ``[{"message": ..., "errorCode": ...}]``, Kantata a bare 429, NetSuite an ``o:errorDetails`` document.
    ``kind`` is one of the ``ErrorKind`` values; unknown kinds must still produce a sensible body.
    """

    def format(self, status: int, kind: str, message: str) -> tuple[bytes, Mapping[str, str]]:
        """Build the error answer for ``status`` (e.g. 503) and ``kind`` (e.g. ``"outage"``)."""
        ...


class JsonErrorFormatter:
    """A neutral formatter, ``{"error": kind, "message": message}``, for tests and new emulators."""

    def format(self, status: int, kind: str, message: str) -> tuple[bytes, Mapping[str, str]]:
        """Return a small JSON error document."""
        body = orjson.dumps({"error": str(kind), "message": message, "status": status})
        return body, {"content-type": "application/json"}
