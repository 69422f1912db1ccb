"""NetSuite REST error bodies: ``{"type", "title", "status", "o:errorDetails": [...]}``.

Every failure the emulator answers goes through :class:`NetSuiteError`, so record, query, async and
fault-injected errors all share one shape. Detail texts follow the real service where public material
shows them ("The record instance does not exist. Provide a valid record instance ID.", "Invalid login
attempt. ...", the ``Error while accessing a resource. <reason>`` prefix of record-level user errors);
texts marked [U] in the comments are our best reconstruction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from concord.sandbox.netsuite.jsonio import dumps

_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
_TYPES: dict[int, tuple[str, str]] = {
    400: (_RFC9110 + "15.5.1", "Bad Request"),
    401: (_RFC9110 + "15.5.2", "Unauthorized"),
    403: (_RFC9110 + "15.5.4", "Forbidden"),
    404: (_RFC9110 + "15.5.5", "Not Found"),
    405: (_RFC9110 + "15.5.6", "Method Not Allowed"),
    406: (_RFC9110 + "15.5.7", "Not Acceptable"),
    409: (_RFC9110 + "15.5.10", "Conflict"),
    413: (_RFC9110 + "15.5.14", "Content Too Large"),
    415: (_RFC9110 + "15.5.16", "Unsupported Media Type"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
    500: (_RFC9110 + "15.6.1", "Internal Server Error"),
    502: (_RFC9110 + "15.6.3", "Bad Gateway"),
    503: (_RFC9110 + "15.6.4", "Service Unavailable"),
    504: (_RFC9110 + "15.6.5", "Gateway Timeout"),
}

ACCESS_PREFIX = "Error while accessing a resource. "
INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
CONCURRENCY_DETAIL = "Concurrent request limit exceeded. Request blocked."
MAINTENANCE_DETAIL = (
    "The account you are trying to access is currently unavailable while we undergo our regularly "
    "scheduled maintenance."
)


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of ``o:errorDetails``.

    Attributes:
        detail: Human-readable description.
        code: The machine code (``o:errorCode``), e.g. ``INVALID_CONTENT``.
        error_path: JSON path into the request body (``o:errorPath``).
        url_path: Part of the URL at fault (``o:urlPath``).
        header: Request header at fault (``o:errorHeader``).
        query_param: Query parameter at fault (``o:errorQueryParam``).
    """

    detail: str
    code: str
    error_path: str | None = None
    url_path: str | None = None
    header: str | None = None
    query_param: str | None = None

    def as_json(self) -> dict[str, str]:
        """Render the entry with NetSuite's ``o:`` keys, leaving out the absent ones."""
        out = {"detail": self.detail}
        for key, value in (
            ("o:errorPath", self.error_path),
            ("o:urlPath", self.url_path),
            ("o:errorHeader", self.header),
            ("o:errorQueryParam", self.query_param),
        ):
            if value is not None:
                out[key] = value
        out["o:errorCode"] = self.code
        return out


@dataclass
class NetSuiteError(Exception):
    """A failure answered in NetSuite's error format.

    Attributes:
        status: HTTP status.
        details: The ``o:errorDetails`` entries (at least one).
        headers: Extra response headers (``WWW-Authenticate``, ``Location``...).
        title: Overrides the status's standard title (NetSuite answers an idempotency clash with
            status 400 and title "Conflict").
    """

    status: int
    details: list[ErrorDetail]
    headers: dict[str, str] = field(default_factory=dict)
    title: str | None = None

    def __str__(self) -> str:
        return f"{self.status} " + "; ".join(f"[{d.code}] {d.detail}" for d in self.details)

    def body(self) -> dict[str, Any]:
        """The JSON error document."""
        return problem_document(self.status, self.details, title=self.title)

    def body_bytes(self) -> bytes:
        """The serialized JSON error document."""
        return dumps(self.body())


def problem_document(status: int, details: list[ErrorDetail], *, title: str | None = None) -> dict[str, Any]:
    """Build the error document for a status and its details.

    Args:
        status: HTTP status.
        details: The error details.
        title: Optional title override.

    Returns:
        The ``{"type", "title", "status", "o:errorDetails"}`` mapping.
    """
    type_url, standard_title = _TYPES.get(status, (_RFC9110 + "15.5.1", "Bad Request"))
    return {
        "type": type_url,
        "title": title or standard_title,
        "status": status,
        "o:errorDetails": [d.as_json() for d in details],
    }


def error(status: int, code: str, detail: str, **where: str) -> NetSuiteError:
    """Shorthand for a single-detail error.

    Args:
        status: HTTP status.
        code: The ``o:errorCode``.
        detail: The human-readable text.
        **where: ``error_path``, ``url_path``, ``header`` or ``query_param``.

    Returns:
        The error, ready to raise.
    """
    return NetSuiteError(status, [ErrorDetail(detail, code, **where)])


def user_error(reason: str, *, error_path: str | None = None) -> NetSuiteError:
    """A record-level business rule refused the request (400 ``USER_ERROR``)."""
    return error(400, "USER_ERROR", ACCESS_PREFIX + reason, **_path(error_path))


def invalid_content(reason: str, *, error_path: str | None = None) -> NetSuiteError:
    """A field value or the body itself is not acceptable (400 ``INVALID_CONTENT``)."""
    return error(400, "INVALID_CONTENT", reason, **_path(error_path))


def invalid_parameter(reason: str, *, query_param: str) -> NetSuiteError:
    """A query parameter is not acceptable (400 ``INVALID_PARAMETER``)."""
    return error(400, "INVALID_PARAMETER", reason, query_param=query_param)


def nonexistent_id(url_path: str) -> NetSuiteError:
    """The record addressed by the URL does not exist (404 ``NONEXISTENT_ID``)."""
    return error(
        404,
        "NONEXISTENT_ID",
        "The record instance does not exist. Provide a valid record instance ID.",
        url_path=url_path,
    )


def unknown_record_type(record_type: str, url_path: str) -> NetSuiteError:
    """The URL names a record type the emulator does not know (404 ``NONEXISTENT_ID``)."""
    return error(404, "NONEXISTENT_ID", f"Record type '{record_type}' does not exist.", url_path=url_path)


def invalid_login(realm: str, reason: str = "invalid_token") -> NetSuiteError:
    """The bearer token is missing, unknown, expired or lacks the scope (401 ``INVALID_LOGIN``)."""
    challenge = f'Bearer realm="{realm}", error="{reason}", error_description="Invalid login attempt."'
    return NetSuiteError(
        401, [ErrorDetail(INVALID_LOGIN_DETAIL, "INVALID_LOGIN")], headers={"WWW-Authenticate": challenge}
    )


def concurrency_exceeded() -> NetSuiteError:
    """More simultaneous requests than the integration's concurrency allocation (429)."""
    return error(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)


def unexpected_error() -> NetSuiteError:
    """A server-side failure; NetSuite quotes an error id to give to support."""
    error_id = secrets.token_hex(6)
    return error(500, "UNEXPECTED_ERROR", f"An unexpected error occurred. Error ID: {error_id}")


def _path(error_path: str | None) -> dict[str, str]:
    return {} if error_path is None else {"error_path": error_path}
