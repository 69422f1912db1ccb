"""NetSuite's realistic profile and the error bodies the core's fault injector and limits answer with."""

from __future__ import annotations

from collections.abc import Mapping

from concord.sandbox.core import ErrorKind, PlatformProfile
from concord.sandbox.netsuite import errors
from concord.sandbox.netsuite.errors import ErrorDetail, NetSuiteError

NETSUITE_PROFILE = PlatformProfile(
    # REST record and SuiteQL calls typically take a few hundred milliseconds.
    latency_ms=250.0,
    jitter_ms=250.0,
    # Concurrency is governed per account (15 for the default service tier, +10 per SuiteCloud Plus
    # licence) and an administrator can allocate part of it to one integration record; the emulator
    # models Concord's integration holding 5 of the default tier's 15 slots.
    max_concurrency=5,
    concurrency_status=429,
    # NetSuite has no published daily request quota for REST web services.
    daily_call_limit=None,
    daily_limit_status=429,
    # Over-limit answers carry no Retry-After header.
    sends_retry_after=False,
)


class NetSuiteErrorFormatter:
    """Builds ``o:errorDetails`` bodies for answers the core gives on the emulator's behalf."""

    def __init__(self, realm: str = "1234567") -> None:
        self._realm = realm

    def format(self, status: int, kind: str, message: str) -> tuple[bytes, Mapping[str, str]]:
        """Build the NetSuite error document for a core-generated answer.

        Args:
            status: HTTP status the core answers with.
            kind: Why (an ``ErrorKind`` value).
            message: The core's description, used when NetSuite has no fixed text for the case.

        Returns:
            The body and its headers.
        """
        problem = self._problem(status, kind, message)
        headers = {"content-type": "application/json", **problem.headers}
        return problem.body_bytes(), headers

    def _problem(self, status: int, kind: str, message: str) -> NetSuiteError:
        if kind in (ErrorKind.CONCURRENCY_LIMIT, ErrorKind.RATE_LIMITED) or status == 429:
            return NetSuiteError(
                status, [ErrorDetail(errors.CONCURRENCY_DETAIL, "CONCURRENCY_LIMIT_EXCEEDED")]
            )
        if kind == ErrorKind.DAILY_LIMIT:
            return errors.error(status, "REQUEST_LIMIT_EXCEEDED", "Request limit exceeded. Request blocked.")
        if kind == ErrorKind.OUTAGE:
            return errors.error(status, "SERVICE_UNAVAILABLE", errors.MAINTENANCE_DETAIL)
        if kind == ErrorKind.TIMEOUT:
            return errors.error(status, "REQUEST_TIMEOUT", "The request could not be completed in time.")
        if status == 401:
            problem = errors.invalid_login(self._realm)
            return NetSuiteError(status, problem.details, headers=problem.headers)
        if status == 403:
            return errors.error(status, "INSUFFICIENT_PERMISSION", "Permission Violation: " + message)
        if status == 404:
            return errors.error(status, "NONEXISTENT_ID", f"The requested resource does not exist. {message}")
        if status == 405:
            return errors.error(
                status, "INVALID_REQUEST", "The HTTP method is not supported for this resource."
            )
        if status >= 500:
            problem = errors.unexpected_error()
            return NetSuiteError(status, problem.details)
        return errors.error(status, "INVALID_REQUEST", message or "The request is not valid.")
