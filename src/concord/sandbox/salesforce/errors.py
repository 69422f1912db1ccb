"""Salesforce error shapes.

The REST API answers a failed request with a JSON *array* of ``{"message", "errorCode", "fields"}``
objects (``fields`` is always present here, possibly empty, so clients can rely on it). Per-record
results inside sObject Collections use the SaveResult shape ``{"statusCode", "message", "fields"}``.
The OAuth token endpoint uses ``{"error", "error_description"}`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from concord.sandbox.core.profiles import ProfileGovernor
from concord.sandbox.salesforce.limits import limit_info_header

#: The message Salesforce gives for a resource (object, record, version) that does not exist.
NOT_FOUND_MESSAGE = "The requested resource does not exist"


@dataclass(frozen=True)
class ErrorItem:
    """One error: a Salesforce status code (``REQUIRED_FIELD_MISSING`` ...), a message, the fields."""

    code: str
    message: str
    fields: tuple[str, ...] = ()

    def as_rest(self) -> dict[str, Any]:
        """The shape used in REST error bodies."""
        return {"message": self.message, "errorCode": self.code, "fields": list(self.fields)}

    def as_save_result(self) -> dict[str, Any]:
        """The shape used inside SaveResult / UpsertResult / DeleteResult objects."""
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields)}


@dataclass
class SalesforceApiError(Exception):
    """A request the emulated platform refuses; rendered as a REST error array with ``status``."""

    status: int
    errors: Sequence[ErrorItem]
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{e.code}: {e.message}" for e in self.errors)

    @classmethod
    def single(
        cls, status: int, code: str, message: str, fields: Sequence[str] = (), **headers: str
    ) -> SalesforceApiError:
        """An error with one item."""
        return cls(status, [ErrorItem(code, message, tuple(fields))], headers)

    def body(self) -> list[dict[str, Any]]:
        """The JSON body (a list of error objects)."""
        return [e.as_rest() for e in self.errors]


def not_found(message: str = NOT_FOUND_MESSAGE) -> SalesforceApiError:
    """404 NOT_FOUND, as for an unknown record, object or resource."""
    return SalesforceApiError.single(404, "NOT_FOUND", message)


def bad_request(code: str, message: str, fields: Sequence[str] = ()) -> SalesforceApiError:
    """A 400 with one error item."""
    return SalesforceApiError.single(400, code, message, fields)


class RecordError(Exception):
    """A DML failure on one record (validation, required field, cross reference ...).

    Raised by the record service; the single-record routes turn it into a 400 REST error, the
    collection routes into a failed SaveResult.
    """

    def __init__(self, code: str, message: str, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.item = ErrorItem(code, message, tuple(fields))

    def as_api_error(self, status: int = 400) -> SalesforceApiError:
        """The REST error for this failure."""
        return SalesforceApiError(status, [self.item])


class MissingRecordError(RecordError):
    """The record a write targets does not exist (``deleted``: it is in the recycle bin)."""

    def __init__(self, record_id: str, *, deleted: bool) -> None:
        if deleted:
            super().__init__("ENTITY_IS_DELETED", "entity is deleted")
        else:
            super().__init__("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        self.record_id = record_id
        self.deleted = deleted

    def as_api_error(self, status: int = 404) -> SalesforceApiError:
        """404, as the single-record resources answer."""
        if self.deleted:
            return SalesforceApiError.single(404, "ENTITY_IS_DELETED", "entity is deleted")
        return not_found()


class MultipleMatchesError(Exception):
    """An external-id value matches several records (the platform answers 300 with their URLs)."""

    def __init__(self, record_ids: Sequence[str]) -> None:
        super().__init__(f"{len(record_ids)} records match")
        self.record_ids = list(record_ids)


class SalesforceErrorFormatter:
    """Salesforce-shaped bodies for answers the sandbox core gives itself (injected faults, profile
    limits, unknown routes).

    ``kind`` is the core's ``ErrorKind``: ``daily_limit`` becomes 403 ``REQUEST_LIMIT_EXCEEDED``
    "TotalRequests Limit exceeded.", ``concurrency_limit`` ``REQUEST_LIMIT_EXCEEDED``
    "ConcurrentPerOrgLongTxn Limit exceeded.", a 503 ``SERVER_UNAVAILABLE``, other 5xx
    ``UNKNOWN_EXCEPTION``, a 429 ``REQUEST_LIMIT_EXCEEDED``. Once ``governor`` is set, the answer
    carries ``Sforce-Limit-Info`` like every other REST response.
    """

    def __init__(self) -> None:
        self.governor: ProfileGovernor | None = None

    def format(self, status: int, kind: str, message: str) -> tuple[bytes, dict[str, str]]:
        """Return the body and headers for a core-generated error with ``status``."""
        code, text = _fault_code(status, kind)
        headers = {"content-type": "application/json;charset=UTF-8"}
        if self.governor is not None:
            headers["Sforce-Limit-Info"] = limit_info_header(self.governor)
        return orjson.dumps([ErrorItem(code, text or message).as_rest()]), headers


def _fault_code(status: int, kind: str) -> tuple[str, str]:
    """The error code and, when the platform has a fixed wording, the message."""
    if kind == "daily_limit":
        return "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
    if kind == "concurrency_limit":
        return "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."
    if status in (403, 429):
        return "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
    if status == 503:
        return "SERVER_UNAVAILABLE", "Server temporarily unavailable; please retry your request."
    if status == 401:
        return "INVALID_SESSION_ID", "Session expired or invalid"
    if status == 404:
        return "NOT_FOUND", NOT_FOUND_MESSAGE
    if status == 405:
        return "METHOD_NOT_ALLOWED", ""
    if status >= 500:
        return (
            "UNKNOWN_EXCEPTION",
            "An unexpected error occurred. Please include this ErrorId if you contact support.",
        )
    return "INVALID_REQUEST", ""
