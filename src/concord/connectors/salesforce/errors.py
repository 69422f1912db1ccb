"""Salesforce's error answers, mapped to Concord's error tree with the platform's own words.

The REST API answers a failed call with a JSON array ``[{"message", "errorCode", "fields"}]``; per-record
results (collections, composite) carry ``{"statusCode", "message", "fields"}``; the token endpoint
``{"error", "error_description"}``. Codes decide before statuses:

- ``REQUEST_LIMIT_EXCEEDED`` (403 for the daily quota or concurrent long requests) → ``Throttled``;
- ``UNABLE_TO_LOCK_ROW``, ``SERVER_UNAVAILABLE``, ``UNKNOWN_EXCEPTION``, ``QUERY_TIMEOUT`` ... → transient;
- codes meaning the request itself cannot be expressed (bad JSON, unknown object, malformed query,
  a value of the wrong type or too long for its field) → ``CannotEncode`` (a mapping problem);
- ``INVALID_FIELD``, ``REQUIRED_FIELD_MISSING``, ``FIELD_CUSTOM_VALIDATION_EXCEPTION``, ``DUPLICATE_VALUE``
  and every other code → ``Rejected`` with the message;
- 300 (an external id matching several records) → ``Rejected``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from concord.connectors.http.errors import ErrorMapper, PlatformError
from concord.connectors.http.governor import ApiUsage
from concord.engine.errors import (
    CannotEncode,
    ConcordError,
    PermanentError,
    Rejected,
    Throttled,
    TransientError,
)

SYSTEM = "Salesforce"

THROTTLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED"})
TRANSIENT_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "SERVER_UNAVAILABLE",
        "UNKNOWN_EXCEPTION",
        "QUERY_TIMEOUT",
        "REQUEST_RUNNING_TOO_LONG",
        "OPERATION_TOO_LARGE",
    }
)
ENCODING_CODES = frozenset(
    {
        "JSON_PARSER_ERROR",
        "INVALID_TYPE",
        "MALFORMED_QUERY",
        "INVALID_QUERY_FILTER_OPERATOR",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "MALFORMED_ID",
        "NUMBER_OUTSIDE_VALID_RANGE",
        "STRING_TOO_LONG",
    }
)
CREDENTIAL_CODES = frozenset({"INVALID_SESSION_ID", "INVALID_AUTH_HEADER", "API_DISABLED_FOR_ORG"})

DAILY_QUOTA_WAIT_S = 900.0
"""How long to wait after the org's daily quota ran out (the window is a rolling 24 hours)."""
CONCURRENCY_WAIT_S = 5.0
"""How long to wait after too many concurrent long requests."""

_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """``ApiUsage`` from ``Sforce-Limit-Info: api-usage=18/5000[; per-app-api-usage=...]``."""
    match = _USAGE.search(header or "")
    return None if match is None else ApiUsage(int(match.group(1)), int(match.group(2)))


def usage_of(response: httpx.Response) -> ApiUsage | None:
    """The org's API usage reported by a response (a ``UsageReader``)."""
    return parse_limit_info(response.headers.get("Sforce-Limit-Info"))


def _item(raw: Mapping[str, Any]) -> PlatformError | None:
    message = raw.get("message") or raw.get("error_description") or raw.get("error")
    code = raw.get("errorCode") or raw.get("statusCode") or raw.get("error")
    if message is None and code is None:
        return None
    fields = raw.get("fields") or ()
    return PlatformError(
        str(message if message is not None else code),
        None if code is None else str(code),
        tuple(str(f) for f in fields) if isinstance(fields, list | tuple) else (),
    )


def parse_errors(body: Any) -> list[PlatformError]:
    """The errors in any of Salesforce's error shapes (an array, one object, a per-record ``errors``)."""
    if isinstance(body, Mapping):
        nested = body.get("errors")
        if isinstance(nested, list):
            return parse_errors(nested)
        item = _item(body)
        return [] if item is None else [item]
    if isinstance(body, list):
        return [item for raw in body if isinstance(raw, Mapping) and (item := _item(raw)) is not None]
    return []


def _reason(errors: Sequence[PlatformError], fallback: str) -> str:
    said = "; ".join(error.describe() for error in errors)
    return f"{SYSTEM} refused it: {said}" if said else fallback


def error_for_codes(errors: Sequence[PlatformError], *, status: int | None = None) -> ConcordError | None:
    """The verdict Salesforce's error codes call for, or None when no code decides it."""
    codes = {error.code for error in errors if error.code}
    detail = "; ".join(e.describe() for e in errors)
    if codes & THROTTLE_CODES:
        daily = any("TotalRequests" in e.message for e in errors)
        wait = DAILY_QUOTA_WAIT_S if daily else CONCURRENCY_WAIT_S
        return Throttled(f"{SYSTEM} API limit exceeded: {detail}", retry_after=wait)
    if codes & CREDENTIAL_CODES:
        return PermanentError(f"{SYSTEM} refused the credentials: {detail}", detail=detail)
    if codes & TRANSIENT_CODES:
        return TransientError(f"{SYSTEM} could not do it now: {detail}")
    if codes & ENCODING_CODES:
        return CannotEncode(_reason(errors, detail), detail=detail)
    if status == 300:
        return Rejected(
            f"{SYSTEM} found several records for that external id; it must be unique", detail=detail
        )
    return None


def record_failure(errors: Sequence[PlatformError]) -> ConcordError:
    """The error for one failed record in a collections or composite result."""
    decided = error_for_codes(errors)
    if decided is not None:
        return decided
    detail = "; ".join(e.describe() for e in errors)
    return Rejected(_reason(errors, f"{SYSTEM} refused the record"), detail=detail)


class SalesforceErrorMapper(ErrorMapper):
    """The ``ErrorMapper`` for the REST API."""

    def __init__(self) -> None:
        super().__init__(SYSTEM)

    def parse(self, status: int, body: Any) -> list[PlatformError]:
        """Salesforce's error list (the generic parser for anything else, e.g. an HTML proxy page)."""
        if status == 300 and isinstance(body, list) and all(isinstance(b, str) for b in body):
            return [PlatformError(f"matching records: {', '.join(body)}", "MULTIPLE_CHOICES")]
        return parse_errors(body) or super().parse(status, body)

    def refine(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str]
    ) -> ConcordError | None:
        """Codes decide before statuses (see the module docstring)."""
        return error_for_codes(errors, status=status)


class TokenErrorMapper(ErrorMapper):
    """The token endpoint: any 400/401 means the credentials or the assertion were refused."""

    def __init__(self) -> None:
        super().__init__(SYSTEM)

    def parse(self, status: int, body: Any) -> list[PlatformError]:
        """``{"error", "error_description"}``."""
        return parse_errors(body) or super().parse(status, body)

    def refine(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str]
    ) -> ConcordError | None:
        """A refused token request is permanent: retrying the same credentials cannot help."""
        if status in (400, 401, 403):
            detail = "; ".join(e.describe() for e in errors)
            return PermanentError(
                f"{SYSTEM} refused the credentials: {detail or status}", detail=f"token endpoint {status}"
            )
        return None
