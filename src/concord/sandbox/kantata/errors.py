"""Kantata OX error envelope, the exceptions that produce it, and the fault formatter.

Kantata answers every failure with ``{"errors": [{"type", "message", "field"?}]}`` where ``type`` is
``oauth`` (authentication), ``validation`` (model validation, carries ``field``) or ``system``
(anything else). A 429 carries no ``Retry-After`` or rate-limit header: the reference only says
"retry after a small delay" (api-contracts.md §4.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import orjson

ErrorType = Literal["oauth", "validation", "system"]

INVALID_OAUTH_MESSAGE = "Invalid OAuth 2 Request"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
RATE_LIMIT_MESSAGE = "Too many requests. Please retry your request after a small delay."
UNAVAILABLE_MESSAGE = "Service is temporarily unavailable. Please try again later."
TIMEOUT_MESSAGE = "The request timed out."


@dataclass(frozen=True)
class ErrorItem:
    """One entry of the ``errors`` array."""

    type: ErrorType
    message: str
    field: str | None = None

    def as_json(self) -> dict[str, str]:
        """The entry as Kantata renders it (``field`` only when there is one)."""
        item = {"type": self.type, "message": self.message}
        if self.field is not None:
            item["field"] = self.field
        return item


@dataclass
class KantataApiError(Exception):
    """An error answered with Kantata's envelope: raise it anywhere in a request handler."""

    status: int
    errors: list[ErrorItem] = field(default_factory=list)
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(item.message for item in self.errors) or f"HTTP {self.status}"

    def body(self) -> dict[str, list[dict[str, str]]]:
        """The JSON body for this error."""
        return error_body(self.errors)


def error_body(errors: Iterable[ErrorItem]) -> dict[str, list[dict[str, str]]]:
    """Build ``{"errors": [...]}`` from error items."""
    return {"errors": [item.as_json() for item in errors]}


def oauth_error(message: str = INVALID_OAUTH_MESSAGE) -> KantataApiError:
    """401 for a missing, malformed or unknown bearer token."""
    return KantataApiError(401, [ErrorItem("oauth", message)])


def not_found(message: str = "The requested resource could not be found.") -> KantataApiError:
    """404, also used for records hidden by an endpoint's default filters."""
    return KantataApiError(404, [ErrorItem("system", message)])


def bad_request(message: str) -> KantataApiError:
    """400 for an unparseable body or a parameter the endpoint rejects."""
    return KantataApiError(400, [ErrorItem("system", message)])


def validation_failed(items: Iterable[ErrorItem]) -> KantataApiError:
    """422 carrying one ``validation`` item per failed attribute."""
    return KantataApiError(422, list(items))


def invalid(field_name: str, message: str) -> ErrorItem:
    """A ``validation`` item for one attribute."""
    return ErrorItem("validation", message, field_name)


def humanize(attribute: str) -> str:
    """Rails' ``humanize``: ``time_in_minutes`` → ``Time in minutes``, ``workspace_id`` → ``Workspace``."""
    name = attribute.removesuffix("_id").replace("_", " ").strip()
    return name[:1].upper() + name[1:]


_KIND_MESSAGES: dict[str, str] = {
    "rate_limited": RATE_LIMIT_MESSAGE,
    "burst_429": RATE_LIMIT_MESSAGE,
    "outage": UNAVAILABLE_MESSAGE,
    "timeout": TIMEOUT_MESSAGE,
}


class KantataErrorFormatter:
    """Platform-shaped error bodies for the core's fault injector and profile limits.

    Every fault is answered with Kantata's envelope and type ``system`` (``oauth`` for 401); the only
    header is the JSON content type, in particular there is no ``Retry-After`` on 429 (the core still
    adds one if a fault rule itself asks for it).
    """

    def format(self, status: int, kind: str, message: str) -> tuple[bytes, dict[str, str]]:
        """Return ``(body_bytes, headers)`` for an injected or limit error."""
        error_type: ErrorType = "oauth" if status == 401 else "system"
        text = message or _KIND_MESSAGES.get(kind) or _default_message(status)
        if status == 429:
            text = RATE_LIMIT_MESSAGE
        body = orjson.dumps(error_body([ErrorItem(error_type, text)]))
        return body, {"content-type": JSON_CONTENT_TYPE}


def _default_message(status: int) -> str:
    if status == 429:
        return RATE_LIMIT_MESSAGE
    if status in (502, 503):
        return UNAVAILABLE_MESSAGE
    if status == 504:
        return TIMEOUT_MESSAGE
    return "An unexpected error occurred."


def message_for_status(status: int) -> str:
    """A default message for a status without a more specific one."""
    return _default_message(status)
