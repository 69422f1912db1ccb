"""Global identifiers: ULIDs, sortable by creation time, 26 characters, safe in URLs and external ids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ulid import ULID


def new_id() -> str:
    """A new globally unique, time-sortable id."""
    return str(ULID())


_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def is_global_id(value: object) -> bool:
    """Whether ``value`` has the shape of a Concord global id (a platform field may hold anything)."""
    return isinstance(value, str) and _ULID.match(value) is not None


def id_time(identifier: str) -> datetime:
    """When a ULID was minted (UTC)."""
    return ULID.from_str(identifier).datetime.astimezone(UTC)
