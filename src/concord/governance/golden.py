"""The shapes governance keeps in record memory, and the questions asked of them.

Per system and record, ``seen`` maps each field to the digest of the value last seen there, and
``written`` maps each field to what Concord last wrote there (digest and command) until change detection
sees that field change again. The golden record, kept under the system name ``concord``, maps each field to
its authoritative value: the value, its digest, when it changed at its source and which system that was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from concord.engine.gates import RememberedRecord

#: The system name of the golden record in record memory.
GOLDEN = "concord"


class GoldenField(TypedDict):
    """The authoritative value of one field."""

    d: str  # digest
    v: Any  # the value, as canonical JSON
    at: str  # when it changed at its source (ISO 8601, UTC)
    by: str  # the system it came from


class WrittenField(TypedDict):
    """What Concord wrote to one field of a record in a system, until that field is seen to change."""

    d: str  # digest
    c: str  # the command that wrote it


def golden_field(value: Any, value_digest: str, at: datetime | str, by: str) -> GoldenField:
    """A golden field entry (``at`` as a datetime, or already in ISO 8601, as a change's fields share it)."""
    return {"d": value_digest, "v": value, "at": at if isinstance(at, str) else at.isoformat(), "by": by}


def changed_at(entry: GoldenField) -> datetime:
    """When the golden value changed at its source."""
    return datetime.fromisoformat(entry["at"])


def supersedes(entry: GoldenField, at: datetime, source: str | None) -> bool:
    """Whether the golden value is newer than a value from ``source`` as of ``at``.

    At the same instant, a value from another system counts as newer: two-way edits must resolve one way.
    """
    golden_at = changed_at(entry)
    return golden_at > at or (golden_at == at and entry["by"] != source)


def known_state(memory: RememberedRecord, ignoring: str | None = None) -> dict[str, str]:
    """Field → digest of what the system holds, as far as Concord knows: seen, overlaid by what it wrote.

    Writes by the command ``ignoring`` are left out, so a command tried again is not taken for its own echo.
    """
    written = {f: w["d"] for f, w in memory.written.items() if w["c"] != ignoring}
    return {**memory.seen, **written}
