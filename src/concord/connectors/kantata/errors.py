"""Kantata's error answers, mapped to Concord's error tree with the platform's own words.

Kantata answers a failed call with ``{"errors": [{"type", "message", "field"?}]}``, ``type`` being
``oauth`` (authentication), ``validation`` (a model validation, naming its ``field``) or ``system``
(api-contracts.md §4.4). The token endpoint answers ``{"error", "error_description"}``.

::

    429                       -> Throttled       no Retry-After ever: wait ``throttle_backoff_s``
    408, 5xx (503, 504 ...)   -> TransientError
    401                       -> PermanentError  "refused the credentials" (after one renewal, by the session)
    403                       -> Rejected        the token's user may not do this
    400, 404, 422 ...         -> Rejected        with every message, and the fields they blame

A bulk create's validation errors name the object by index (``time_entries[3].date_performed``);
``failed_indexes`` reads them so that one bad object is reported alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from concord.connectors.http.errors import ErrorMapper, PlatformError
from concord.engine.errors import ConcordError, PermanentError, Rejected, Throttled

SYSTEM = "Kantata"

_INDEXED = re.compile(r"^(?P<key>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>.+))?$")


def _item(raw: Mapping[str, Any]) -> PlatformError | None:
    message = raw.get("message") or raw.get("error_description") or raw.get("error")
    code = raw.get("type") or raw.get("error")
    if message is None and code is None:
        return None
    field = raw.get("field")
    return PlatformError(
        str(message if message is not None else code),
        None if code is None else str(code),
        (str(field),) if field else (),
    )


def parse_errors(body: Any) -> list[PlatformError]:
    """The errors of Kantata's envelope (or of the token endpoint's ``{"error", ...}``); [] for others."""
    if isinstance(body, Mapping):
        nested = body.get("errors")
        if isinstance(nested, list):
            return [item for raw in nested if isinstance(raw, Mapping) and (item := _item(raw)) is not None]
        if "error" in body or "error_description" in body:
            item = _item(body)
            return [] if item is None else [item]
    return []


def failed_indexes(errors: Sequence[PlatformError], key: str) -> dict[int, list[PlatformError]]:
    """The errors of a bulk create by the index of the object they blame (``{key}[i].field``).

    Errors that name no object are left out; an empty result means the failure cannot be attributed.
    """
    found: dict[int, list[PlatformError]] = {}
    for error in errors:
        for field in error.fields:
            match = _INDEXED.match(field)
            if match is None or match.group("key") != key:
                continue
            inner = match.group("field")
            found.setdefault(int(match.group("index")), []).append(
                PlatformError(error.message, error.code, (inner,) if inner else ())
            )
    return found


def describe(errors: Sequence[PlatformError]) -> str:
    """Kantata's messages, each with the field it blames: ``Time in minutes ... (field: time_in_minutes)``."""
    return "; ".join(
        f"{error.message} (field: {', '.join(error.fields)})" if error.fields else error.message
        for error in errors
    )


def rejection(errors: Sequence[PlatformError], status: int | None = None) -> Rejected:
    """A ``Rejected`` quoting Kantata's messages (and the status, when there was one)."""
    said = describe(errors)
    where = f"{SYSTEM} refused it" if status is None else f"{SYSTEM} refused it ({status})"
    return Rejected(f"{where}: {said}" if said else where, detail=said)


class KantataErrorMapper(ErrorMapper):
    """The ``ErrorMapper`` for the API.

    Args:
        throttle_backoff_s: The wait a ``Throttled`` carries (Kantata's 429 has no ``Retry-After``).
    """

    def __init__(self, throttle_backoff_s: float = 5.0) -> None:
        super().__init__(SYSTEM)
        self.throttle_backoff_s = throttle_backoff_s

    def parse(self, status: int, body: Any) -> list[PlatformError]:
        """Kantata's error list (the generic parser for anything else, e.g. an HTML proxy page)."""
        return parse_errors(body) or super().parse(status, body)

    def refine(
        self, status: int, errors: Sequence[PlatformError], headers: Mapping[str, str]
    ) -> ConcordError | None:
        """A 429 waits the configured backoff; a 403 is a refusal of this action, not of the token."""
        if status == 429:
            return Throttled(
                f"{SYSTEM} is rate limiting the calls ({describe(errors) or 429}); "
                f"waiting {self.throttle_backoff_s:g} s",
                retry_after=self.throttle_backoff_s,
            )
        if status == 403:
            said = describe(errors)
            return Rejected(f"{SYSTEM} does not allow it (403): {said or 'forbidden'}", detail=said)
        if 400 <= status < 500 and status not in (401, 408):
            return rejection(errors, status)
        return None


class TokenErrorMapper(ErrorMapper):
    """The token endpoint: any 400/401/403 means the client or the grant was refused."""

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
            said = "; ".join(error.describe() for error in errors)
            return PermanentError(
                f"{SYSTEM} refused the credentials: {said or status}", detail=f"token endpoint {status}"
            )
        return None
