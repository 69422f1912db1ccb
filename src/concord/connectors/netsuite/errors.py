"""NetSuite's error answers, mapped to Concord's error tree with the platform's own words.

The REST web services answer a failure with an RFC 7807-like document::

    {"type": "...", "title": "Bad Request", "status": 400,
     "o:errorDetails": [{"detail": "...", "o:errorCode": "USER_ERROR", "o:errorPath": "tranDate"}]}

(optional keys ``o:errorPath``, ``o:urlPath``, ``o:errorHeader``, ``o:errorQueryParam`` say where); the
token endpoint answers ``{"error": "invalid_client"}``. Codes decide before statuses:

- ``CONCURRENCY_LIMIT_EXCEEDED`` (429), ``SSS_REQUEST_LIMIT_EXCEEDED`` (RESTlets, 400),
  ``WS_REQUEST_BLOCKED`` and any 429 → ``Throttled`` (NetSuite sends no ``Retry-After``: a short wait);
- ``UNEXPECTED_ERROR``, ``SERVICE_UNAVAILABLE``, ``REQUEST_TIMEOUT`` and every 5xx → transient;
- ``INVALID_CONTENT``, ``INVALID_PARAMETER``, ``INVALID_HEADER``, ``INVALID_REQUEST`` (the request cannot be
  expressed: a wrong field name or value type, a malformed query) → ``CannotEncode``;
- ``INVALID_LOGIN`` (401), ``INSUFFICIENT_PERMISSION`` (403) → ``PermanentError`` (refused credentials);
- ``USER_ERROR`` (business rules: closed period, duplicate external id ...), ``NONEXISTENT_ID`` and the
  rest → ``Rejected``, whose reason starts with what it means in plain words ("the accounting period is
  closed") and keeps NetSuite's sentence after it.

``IDEMPOTENCY_ERROR`` (400 "Conflict" with the ``Location`` of the first job) is handled by the client's
``submit_async``, which follows the first job; elsewhere it is a ``Rejected``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from concord.connectors.http.errors import ErrorMapper, PlatformError, retry_after_seconds
from concord.engine.errors import (
    CannotEncode,
    ConcordError,
    PermanentError,
    Rejected,
    Throttled,
    TransientError,
)

SYSTEM = "NetSuite"

THROTTLE_CODES = frozenset({"CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "WS_REQUEST_BLOCKED"})
TRANSIENT_CODES = frozenset({"UNEXPECTED_ERROR", "SERVICE_UNAVAILABLE", "REQUEST_TIMEOUT"})
ENCODING_CODES = frozenset({"INVALID_CONTENT", "INVALID_PARAMETER", "INVALID_HEADER", "INVALID_REQUEST"})
CREDENTIAL_CODES = frozenset({"INVALID_LOGIN", "INSUFFICIENT_PERMISSION"})
IDEMPOTENCY_CODE = "IDEMPOTENCY_ERROR"

CONCURRENCY_WAIT_S = 1.0
"""How long to wait after NetSuite refused a call over the concurrency limit (it gives no Retry-After)."""

ACCESS_PREFIX = "Error while accessing a resource. "
"""Boilerplate NetSuite puts before record-level messages; left out of reasons, kept in details."""

# What a USER_ERROR means, in the words a finance or delivery person uses; NetSuite's sentence follows.
_MEANINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"accounting period .* is closed", re.I), "the accounting period is closed"),
    (re.compile(r"accounting period .* is locked", re.I), "the accounting period is locked"),
    (re.compile(r"not within the date range of your accounting period", re.I),
     "no open accounting period covers the date"),
    (re.compile(r"not in balance", re.I), "the journal is not in balance"),
    (re.compile(r"already exists", re.I), "a record with that key already exists"),
    (re.compile(r"please enter value", re.I), "required fields are missing"),
    (re.compile(r"invalid field value", re.I), "a field has a value NetSuite does not accept"),
)  # fmt: skip


def _where(raw: Mapping[str, Any]) -> tuple[str, ...]:
    places = []
    for key, label in (
        ("o:errorPath", ""),
        ("o:errorQueryParam", "query parameter "),
        ("o:errorHeader", "header "),
    ):
        value = raw.get(key)
        if isinstance(value, str) and value:
            places.append(label + value)
    return tuple(places)


def parse_error_details(body: Any) -> list[PlatformError]:
    """The errors of an ``o:errorDetails`` document (an empty list for any other shape)."""
    if not isinstance(body, Mapping):
        return []
    details = body.get("o:errorDetails")
    if not isinstance(details, list):
        return []
    errors = []
    for raw in details:
        if not isinstance(raw, Mapping):
            continue
        message, code = raw.get("detail"), raw.get("o:errorCode")
        if message is None and code is None:
            continue
        text = str(message if message is not None else code)
        errors.append(PlatformError(text, None if code is None else str(code), _where(raw)))
    return errors


def meaning(errors: Sequence[PlatformError]) -> str | None:
    """What a business-rule refusal means in plain words, when the platform's sentence says it."""
    for error in errors:
        for pattern, plain in _MEANINGS:
            if pattern.search(error.message):
                return plain
    return None


def plain_detail(error: PlatformError) -> str:
    """``CODE: sentence (fields: ...)`` without NetSuite's "Error while accessing a resource." prefix."""
    return PlatformError(error.message.removeprefix(ACCESS_PREFIX), error.code, error.fields).describe()


def rejection_reason(errors: Sequence[PlatformError], fallback: str) -> str:
    """``NetSuite refused it: <meaning>: <platform's words>`` (the meaning only when one is known)."""
    said = "; ".join(plain_detail(error) for error in errors)
    if not said:
        return fallback
    plain = meaning(errors)
    return f"{SYSTEM} refused it: {plain}: {said}" if plain else f"{SYSTEM} refused it: {said}"


def error_for_codes(
    errors: Sequence[PlatformError], status: int, headers: Mapping[str, str] | None = None
) -> ConcordError | None:
    """The verdict NetSuite's codes (or a 429) call for, or None when the status decides."""
    codes = {error.code for error in errors if error.code}
    detail = "; ".join(e.describe() for e in errors)
    said = "; ".join(plain_detail(e) for e in errors) or f"status {status}"
    if codes & THROTTLE_CODES or status == 429:
        wait = retry_after_seconds((headers or {}).get("retry-after"))
        return Throttled(
            f"{SYSTEM} refused the call over its concurrency limit: {said}",
            retry_after=CONCURRENCY_WAIT_S if wait is None else wait,
        )
    if codes & TRANSIENT_CODES or status >= 500 or status == 408:
        return TransientError(f"{SYSTEM} could not do it now: {said}")
    if codes & CREDENTIAL_CODES or status in (401, 403):
        return PermanentError(f"{SYSTEM} refused the credentials: {said}", detail=detail)
    if codes & ENCODING_CODES:
        return CannotEncode(f"{SYSTEM} cannot take the request as sent: {said}", detail=detail)
    return None


class NetSuiteErrorMapper(ErrorMapper):
    """The ``ErrorMapper`` of the REST web services (record, query and async services)."""

    def __init__(self) -> None:
        super().__init__(SYSTEM)

    def parse(self, status: int, body: Any) -> list[PlatformError]:
        """``o:errorDetails`` (the generic parser for anything else, e.g. a proxy's HTML page)."""
        return parse_error_details(body) or super().parse(status, body)

    def refine(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str]
    ) -> ConcordError | None:
        """Codes decide before statuses; every other refusal is a ``Rejected`` with a readable reason."""
        decided = error_for_codes(errors, status, headers)
        if decided is not None:
            return decided
        fallback = f"{SYSTEM} answered {status}"
        return Rejected(rejection_reason(errors, fallback), detail="; ".join(e.describe() for e in errors))


class TokenErrorMapper(ErrorMapper):
    """The token endpoint: a refused assertion is permanent; a 429 or 5xx is not."""

    def __init__(self) -> None:
        super().__init__(SYSTEM)

    def parse(self, status: int, body: Any) -> list[PlatformError]:
        """``{"error": code}`` (or ``o:errorDetails`` from a gateway in front of it)."""
        return parse_error_details(body) or super().parse(status, body)

    def refine(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str]
    ) -> ConcordError | None:
        """400/401/403: retrying the same client id, certificate and key cannot help."""
        if status in (400, 401, 403):
            said = "; ".join(e.describe() for e in errors) or f"status {status}"
            return PermanentError(
                f"{SYSTEM} refused the credentials: {said} (check the client id, the certificate id and "
                "that the private key belongs to the certificate mapped to the integration)",
                detail=f"token endpoint {status}",
            )
        return error_for_codes(errors, status, headers)
