"""What a shadowed write would change: the platform body Concord would send, field by field, against the
body of the record as the target holds it now.

Both sides are platform bodies in the form Concord writes (the shadow connector maps the target's record
back through the same mapping, see ``concord.connectors.shadow``), so most differences of form are gone
before they get here. What is left is normalised here, and kept small on purpose, because every rule
that makes two values equal can hide a real difference:

- **nothing is nothing**: absent, None, blank text, an empty list or object are all "no value" (the
  mapping reads them alike, ``concord.mapping.paths.is_missing``);
- **a reference is its id**: ``{"id": "7"}`` (with NetSuite's ``refName`` and ``links`` decorations, if
  any) equals ``"7"``, since platforms answer references as objects where they take plain ids, and back;
- **a number is its value**: ``10``, ``10.0``, ``"10.00"`` are equal (amounts travel as decimal strings
  one way and as numbers the other). A string counts as a number only when it is written like one without
  leading zeros, so a postal code ``"02134"`` stays text and never equals ``"2134"``. True/false stay
  booleans: ``true`` is not ``1``;
- an object compares member by member under the same rules (a member with no value equals one left out);
  a list compares element by element, in order (lines are ordered).

Text is compared exactly: "Acme" and "Acme " differ, as they would on the record.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["CREATE", "DELETE", "UNCHANGED", "UNREAD", "UPDATE", "Comparison", "compare", "normalise", "same"]

CREATE = "create"
"""The target holds no such record: the write would create it."""
UPDATE = "update"
"""The target holds the record and at least one field it would write differs from what the record holds."""
UNCHANGED = "unchanged"
"""The target holds the record and every field the write sets that Concord reads equals what it holds."""
UNREAD = "unread"
"""The target holds the record, but Concord reads none of the fields the write sets (a write-only mapping):
whether the write would change it cannot be told."""
DELETE = "delete"
"""The write would delete the record."""

REFERENCE_DECORATIONS = frozenset({"refName", "links"})
"""Members a platform adds to a reference it answers (NetSuite: ``{"id", "refName", "links"}``)."""

_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


@dataclass(frozen=True, slots=True)
class _Number:
    """A normalised number (kept apart from booleans and text, which Python would compare with it)."""

    digits: str


def _number(value: Decimal) -> _Number:
    if value == 0:
        return _Number("0")
    return _Number(format(value.normalize(), "f"))


def normalise(value: Any) -> Any:
    """``value`` in the form two equal values share (see the module's rules)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return _number(Decimal(value))
    if isinstance(value, float):
        return _number(Decimal(repr(value)))  # repr: the shortest decimal that is this float
    if isinstance(value, str):
        if not value.strip():
            return None
        return _number(Decimal(value)) if _NUMBER.fullmatch(value) else value
    if isinstance(value, Mapping):
        if "id" in value and set(value) <= {"id", *REFERENCE_DECORATIONS}:
            return normalise(value["id"])
        members = {str(k): normalise(v) for k, v in value.items()}
        kept = {k: v for k, v in members.items() if v is not None}
        return kept or None
    if isinstance(value, list | tuple):
        items = [normalise(v) for v in value]
        return items or None
    return value


def same(left: Any, right: Any) -> bool:
    """Whether two platform values are the same value under the module's rules."""
    return bool(normalise(left) == normalise(right))


@dataclass(frozen=True, slots=True)
class Comparison:
    """What one write would do to the target's record."""

    action: str
    """``create``, ``update``, ``unchanged`` or ``unread`` (see the constants)."""
    diff: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Platform field → ``{"current": ..., "would_write": ...}``, for the fields that differ (all of them
    for a create, with ``current`` None)."""
    unread: dict[str, Any] = field(default_factory=dict)
    """Platform field → the value the write sets, for the fields Concord does not read back (so their
    current value is unknown and they were not compared)."""


def compare(
    would_write: Mapping[str, Any], current: Mapping[str, Any] | None, readable: Collection[str]
) -> Comparison:
    """``would_write`` (a platform body) against ``current`` (the record's body; None: no record).

    ``readable`` names the platform fields whose current value ``current`` can tell; a field it does not
    hold reads as "no value". A write sets only the fields of its body, so fields the record has and the
    body leaves out are no difference.
    """
    if current is None:
        return Comparison(
            CREATE, {name: {"current": None, "would_write": v} for name, v in would_write.items()}
        )
    diff: dict[str, dict[str, Any]] = {}
    unread: dict[str, Any] = {}
    for name, value in would_write.items():
        if name not in readable:
            unread[name] = value
        elif not same(current.get(name), value):
            diff[name] = {"current": current.get(name), "would_write": value}
    if diff:
        return Comparison(UPDATE, diff, unread)
    nothing_compared = bool(unread) and len(unread) == len(would_write)
    return Comparison(UNREAD if nothing_compared else UNCHANGED, {}, unread)
