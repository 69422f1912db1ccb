"""A REST call as plain data, so it can run now or later as an asynchronous job with the same code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from concord.sandbox.netsuite.errors import NetSuiteError
from concord.sandbox.netsuite.jsonio import dumps

SINGULAR = "application/vnd.oracle.resource+json; type=singular-resource"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
ERROR = "application/vnd.oracle.resource+json; type=error"


@dataclass(frozen=True)
class Operation:
    """One REST web services request.

    Attributes:
        method: HTTP method.
        path: URL path (``/services/rest/record/v1/customer/12``), percent-decoded.
        params: Query parameters (first value of each).
        body: Raw request body.
        base_url: Scheme, host and port the client used (for ``Location`` and ``links``).
        strict_names: ``X-NetSuite-PropertyNameValidation: Error`` was sent.
    """

    method: str
    path: str
    params: dict[str, str]
    body: bytes
    base_url: str
    strict_names: bool = False

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe copy, for storing with an asynchronous job."""
        return {
            "method": self.method,
            "path": self.path,
            "params": self.params,
            "body": self.body.decode("utf-8", errors="replace"),
            "base_url": self.base_url,
            "strict_names": self.strict_names,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Operation:
        """Inverse of :meth:`as_json`."""
        return cls(
            method=str(data["method"]),
            path=str(data["path"]),
            params={str(k): str(v) for k, v in dict(data["params"]).items()},
            body=str(data["body"]).encode("utf-8"),
            base_url=str(data["base_url"]),
            strict_names=bool(data.get("strict_names")),
        )


@dataclass(frozen=True)
class Outcome:
    """What the platform answers: status, headers and an optional JSON body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    @classmethod
    def json(cls, document: Any, *, status: int = 200, content_type: str = SINGULAR) -> Outcome:
        """A JSON answer."""
        return cls(status, {"content-type": content_type}, dumps(document))

    @classmethod
    def no_content(cls, location: str | None = None) -> Outcome:
        """``204 No Content``, with the ``Location`` of the written record if any."""
        return cls(204, {} if location is None else {"location": location})

    @classmethod
    def failure(cls, problem: NetSuiteError) -> Outcome:
        """The error answer for ``problem``."""
        return cls(
            problem.status, {"content-type": "application/json", **problem.headers}, problem.body_bytes()
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe copy, for storing as an asynchronous task's result."""
        return {
            "status": self.status,
            "headers": self.headers,
            "body": None if self.body is None else self.body.decode("utf-8"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        """Inverse of :meth:`as_json`."""
        body = data.get("body")
        return cls(
            int(data["status"]), dict(data.get("headers") or {}), None if body is None else str(body).encode()
        )
