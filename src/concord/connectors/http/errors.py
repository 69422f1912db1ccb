"""Translating HTTP failures into Concord's error tree at the adapter edge.

::

    httpx.TimeoutException                    -> TransientError  "... did not answer in time"
    httpx.TransportError (connect, protocol)  -> TransientError  "... could not be reached"
    httpx.UnsupportedProtocol, InvalidURL     -> PermanentError  (a configuration mistake)
    response 429                              -> Throttled       (Retry-After when present)
    response 408, 5xx                         -> TransientError  (Retry-After when present)
    response 401, 403 (not a quota)           -> PermanentError  "... refused the credentials"
    other 3xx/4xx                             -> Rejected        (the platform's own message)
    a 2xx body that is not JSON               -> TransientError  (a proxy or a broken answer)

Platforms subclass ``ErrorMapper``: ``parse`` extracts their error list from a body, and ``refine`` claims
the cases the status alone gets wrong (Salesforce's 403 ``REQUEST_LIMIT_EXCEEDED`` is a quota, its 400
``UNABLE_TO_LOCK_ROW`` is transient). Every mapped error is raised ``from`` the original exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from concord.connectors.http import jsonio
from concord.engine.errors import (
    Classification,
    ConcordError,
    PermanentError,
    Rejected,
    Throttled,
    TransientError,
)

_SNIPPET = 300


@dataclass(frozen=True, slots=True)
class PlatformError:
    """One error as the platform reported it.

    Attributes:
        message: The platform's own words.
        code: Its error code (``REQUIRED_FIELD_MISSING``, ``invalid_grant`` ...), if it gives one.
        fields: The fields it blames.
    """

    message: str
    code: str | None = None
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        """``CODE: message (fields: A, B)``, for reasons people read."""
        text = f"{self.code}: {self.message}" if self.code else self.message
        return f"{text} (fields: {', '.join(self.fields)})" if self.fields else text


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


class ErrorMapper:
    """Maps one platform's HTTP error answers to ``TransientError`` / ``Throttled`` / ``PermanentError``
    / ``Rejected`` / ``CannotEncode``; override ``parse`` and ``refine`` per platform.

    Args:
        system: The platform's name as people read it in reasons (``"Salesforce"``).
    """

    def __init__(self, system: str) -> None:
        self.system = system

    def parse(self, status: int, body: Any) -> list[PlatformError]:
        """The errors in a decoded error body (``body`` is the JSON value, or the text when not JSON).

        The default understands ``{"message"}``, ``{"error", "error_description"}`` and
        ``{"errors": [...]}`` shapes, and falls back to a snippet of the text.
        """
        if isinstance(body, Mapping):
            nested = body.get("errors")
            if isinstance(nested, list) and nested:
                return [error for item in nested for error in self.parse(status, item)]
            message = body.get("message") or body.get("error_description") or body.get("error")
            if message:
                code = body.get("errorCode") or body.get("code") or body.get("error")
                return [PlatformError(str(message), None if code is None else str(code))]
        if isinstance(body, list) and body:
            return [error for item in body for error in self.parse(status, item)]
        if isinstance(body, str) and body.strip():
            return [PlatformError(_snippet(body))]
        return []

    def refine(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str]
    ) -> ConcordError | None:
        """A platform-specific verdict that overrides the status-based one, or None to keep it."""
        return None

    def reason(self, status: int, errors: Sequence[PlatformError]) -> str:
        """A readable reason: what the platform said, or what the status means."""
        said = "; ".join(error.describe() for error in errors)
        return f"{self.system} answered {status}: {said}" if said else f"{self.system} answered {status}"

    def for_status(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str] | None = None
    ) -> ConcordError:
        """The error for an answer with ``status`` (at least 300) and the platform's ``errors``."""
        headers = headers or {}
        refined = self.refine(status, errors, headers)
        if refined is not None:
            return refined
        reason = self.reason(status, errors)
        retry_after = retry_after_seconds(headers.get("retry-after") or headers.get("Retry-After"))
        if status == 429:
            return Throttled(reason, retry_after=retry_after)
        if status == 408 or status >= 500:
            return TransientError(reason, retry_after=retry_after)
        detail = "; ".join(e.describe() for e in errors)
        if status in (401, 403):
            return PermanentError(f"{self.system} refused the credentials: {reason}", detail=detail)
        return Rejected(reason, detail=detail)

    def for_response(self, response: httpx.Response) -> ConcordError:
        """The error for a failed response (its body must have been read)."""
        text = response.text
        try:
            body: Any = jsonio.loads(text) if text.strip() else None
        except ValueError:
            body = text
        return self.for_status(response.status_code, self.parse(response.status_code, body), response.headers)

    def raise_for_status(self, response: httpx.Response) -> None:
        """Raise the mapped error for a response of 300 or more (``from`` an ``httpx.HTTPStatusError``)."""
        if response.status_code < 300:
            return
        cause = httpx.HTTPStatusError(
            f"{response.status_code} from {response.request.method} {response.request.url}",
            request=response.request,
            response=response,
        )
        raise self.for_response(response) from cause

    def decode(self, response: httpx.Response) -> Any:
        """The JSON body of a successful response (None when empty).

        Raises:
            TransientError: the body is not JSON (truncated, spoiled by a proxy); the call may be retried.
        """
        if not response.content:
            return None
        try:
            return jsonio.loads(response.content)
        except ValueError as exc:
            raise TransientError(
                f"{self.system} sent a malformed body ({response.status_code}, "
                f"{len(response.content)} bytes) for {response.request.method} {response.request.url.path}"
            ) from exc


def translate(error: BaseException, system: str = "the target") -> BaseException:
    """The Concord error for a third-party ``error`` (Concord errors and unknown errors come back as is)."""
    if isinstance(error, ConcordError):
        return error
    if isinstance(error, httpx.TimeoutException):
        return TransientError(f"{system} did not answer in time ({type(error).__name__})")
    if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL | httpx.TooManyRedirects):
        return PermanentError(f"cannot call {system}: {error}")
    if isinstance(error, httpx.HTTPStatusError):
        return ErrorMapper(system).for_response(error.response)
    if isinstance(error, httpx.RequestError):
        return TransientError(f"{system} could not be reached: {type(error).__name__}: {error}")
    return error


@contextmanager
def map_http_errors(system: str = "the target") -> Iterator[None]:
    """Re-raise httpx failures inside the block as Concord errors, ``from`` the original.

    Concord errors raised inside pass through unchanged; status errors are mapped by a generic
    ``ErrorMapper`` (platform clients call their own mapper's ``raise_for_status`` instead).
    """
    try:
        yield
    except ConcordError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise translate(exc, system) from exc


def classify(error: BaseException) -> Classification:
    """A ``Connector.classify`` for HTTP connectors: httpx errors are translated first."""
    return Classification.of(translate(error))
