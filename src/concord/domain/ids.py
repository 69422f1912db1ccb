"""Global identifiers: ULIDs, sortable by creation time, 26 characters, safe in URLs and external ids."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID


def new_id() -> str:
    """A new globally unique, time-sortable id."""
    return str(ULID())


def id_time(identifier: str) -> datetime:
    """When a ULID was minted (UTC)."""
    return ULID.from_str(identifier).datetime.astimezone(UTC)
