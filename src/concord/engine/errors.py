"""Concord's error tree, and how a failure is classified where it happens.

::

    ConcordError
    ├── TransientError            retry later (timeouts, 5xx, throttling); may carry retry_after
    │   └── Throttled             the target asked us to slow down (429, Retry-After)
    │       └── QuotaExhausted    a shared call budget is spent: pause, keep the place, not a failure
    ├── PermanentError            retrying the same thing cannot help; park or compensate
    │   ├── Rejected              the target refused the command (validation, closed period, ...)
    │   └── CannotEncode          the command cannot be expressed in the target's API
    ├── InvalidChange             a detected change failed validation; becomes an exception record
    ├── ConcurrentWrite           two workers wrote the same row at once (the store says so; retry)
    └── NotFound / Conflict       operator actions on things that do not exist or cannot change

The engine decides to retry or to park only from the error's class (the connector's ``classify`` maps
third-party errors into this tree at the adapter edge).
"""

from __future__ import annotations

from dataclasses import dataclass


class ConcordError(Exception):
    """Root of every error Concord raises on purpose."""


class TransientError(ConcordError):
    """A failure that may pass: retry with backoff."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Throttled(TransientError):
    """The target is rate limiting us; wait at least ``retry_after`` seconds before calling it again."""


class QuotaExhausted(Throttled):
    """Nothing was sent: the system's shared call budget is spent for now.

    The work pauses and keeps its place; waiting on a budget is never counted as a failed attempt.
    """


class PermanentError(ConcordError):
    """A failure that retrying cannot fix."""

    def __init__(self, reason: str, *, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


class Rejected(PermanentError):
    """The target refused the command."""


class CannotEncode(PermanentError):
    """The command cannot be expressed in the target's API (a mapping or data problem)."""


class InvalidChange(ConcordError):
    """A detected change is not a valid canonical record (``category``: validation, or mapping when the
    platform record could not even be read into one)."""

    def __init__(self, reason: str, *, category: str = "validation") -> None:
        super().__init__(reason)
        self.category = category


class ConcurrentWrite(ConcordError):
    """Another worker wrote the same row in the same moment; reading again and retrying resolves it."""


class NotFound(ConcordError):
    """An operator asked for something that does not exist."""


class Conflict(ConcordError):
    """An operator asked for something the current state does not allow."""


@dataclass(frozen=True, slots=True)
class Classification:
    """A connector's verdict on a failure."""

    transient: bool
    reason: str
    retry_after: float | None = None
    throttled: bool = False
    category: str = "target_rejected"
    #: Nothing was attempted (a spent quota budget): retry later without counting an attempt.
    paused: bool = False

    @classmethod
    def of(cls, error: BaseException) -> Classification:
        """The default classification for Concord's own error types; unknown errors are transient."""
        if isinstance(error, TransientError):
            return cls(
                True,
                error.reason,
                error.retry_after,
                isinstance(error, Throttled),
                "target_unavailable",
                paused=isinstance(error, QuotaExhausted),
            )
        if isinstance(error, CannotEncode):
            return cls(False, error.reason, category="mapping")
        if isinstance(error, PermanentError):
            return cls(False, error.reason, category="target_rejected")
        if isinstance(error, TimeoutError):
            return cls(True, "the target did not answer in time", category="target_unavailable")
        return cls(True, f"{type(error).__name__}: {error}", category="target_unavailable")
