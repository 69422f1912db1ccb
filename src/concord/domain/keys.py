"""Deterministic keys and ids for what Concord derives, so that running a rule twice converges.

An invoice for contract C, basis B and period P must get the same id every time the billing rule runs,
or a re-run after a crash would bill twice. `stable_key` hashes the business identity of a derived thing
into a short key; `stable_id` turns it into a Concord global id (a ULID whose time part is the business
date, so ids still sort by when things happened, and whose random part is the hash).

`Stamp` is the envelope Concord puts on the records it derives: who asked (the correlation id) and when.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ulid import ULID

__all__ = ["Stamp", "stable_id", "stable_key"]

_SEPARATOR = "\x1f"  # unit separator: cannot appear in ids, dates or codes, so parts never run together


def _digest(namespace: str, parts: tuple[object, ...]) -> bytes:
    text = _SEPARATOR.join([namespace, *(str(part) for part in parts)])
    return hashlib.sha256(text.encode()).digest()


def stable_key(namespace: str, *parts: object) -> str:
    """A short key, the same for the same parts: "<namespace>-<32 hex digits>".

    Args:
        namespace: what is keyed, e.g. "invoice" or "tp" (time posting); keeps kinds apart.
        parts: the business identity, e.g. contract id, basis, period start and end.
    """
    return f"{namespace}-{_digest(namespace, parts).hex()[:32]}"


def stable_id(namespace: str, *parts: object, on: date) -> str:
    """A Concord global id (ULID) derived from the parts: the same parts give the same id.

    Args:
        namespace: what is identified, e.g. "invoice".
        parts: the business identity.
        on: the business date the id sorts by (its ULID time is midnight UTC of that day).
    """
    millis = int(datetime(on.year, on.month, on.day, tzinfo=UTC).timestamp() * 1000)
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + _digest(namespace, parts)[:10]))


@dataclass(frozen=True, slots=True)
class Stamp:
    """The envelope of a record Concord derives: the business transaction and the moment."""

    correlation_id: str
    """Trace id (32 hex digits) of the business transaction that asked for the record."""
    at: datetime
    """When the rule ran; becomes the record's `source_changed_at`."""

    def envelope(self) -> dict[str, object]:
        """The envelope fields of a `CanonicalRecord` derived by Concord (global id not included)."""
        return {
            "source_system": "concord",
            "source_changed_at": self.at,
            "correlation_id": self.correlation_id,
        }
