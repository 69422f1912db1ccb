"""Reviewing one change of a governed record against authority and memory (no I/O).

For a change from system S: the fields that changed are those whose digest differs from what was last seen
from S (on first sight, all). Of these, the ones equal to what Concord last wrote to S are its echo. Each
remaining (real) field is then judged by the authority matrix, by the stage the record was in before:

- S owns it: accepted, unless the golden value came from an owner and changed later at its source (a
  stale change, ignored: the latest change wins). The golden record takes the value.
- S does not own it and the golden record has no value yet: accepted as the initial value.
- S does not own it, the golden record has another value: refused (the event carries the golden value),
  and reported once per change. A non-owner that has no value, or the golden one, contradicts nothing.

A change is news if some accepted field changes the golden record; then its event carries the golden
value of every field, so flows only ever propagate authoritative values. Otherwise it is dropped under
an outcome the inbox remembers: ``echo``, ``governed`` (refused), ``stale`` or ``unchanged``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from concord.domain.messages import JSON, Change
from concord.engine.gates import RememberedRecord
from concord.governance.authority import AuthorityMatrix
from concord.governance.fingerprint import business_fields, digest
from concord.governance.golden import GoldenField, golden_field, supersedes

RECORDED, ECHO, GOVERNED, STALE, UNCHANGED = "recorded", "echo", "governed", "stale", "unchanged"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A field a system changed without owning it."""

    field: str
    value: Any
    owners: frozenset[str]
    golden: GoldenField


@dataclass(slots=True)
class Review:
    """What one change amounts to."""

    outcome: str
    payload: JSON | None = None  # the event's payload, when the change is news
    refused: list[Refusal] = field(default_factory=list)
    golden_changed: bool = False


def review_change(
    matrix: AuthorityMatrix,
    change: Change,
    payload: JSON,
    memory: RememberedRecord,
    golden: RememberedRecord,
) -> Review:
    """Judge ``change`` (with its validated ``payload``); updates the two memories in place."""
    at = change.changed_at
    if memory.seen_at is not None and at < memory.seen_at:
        # An older version than one already seen from this system (an overlapping poll): nothing new.
        return Review(STALE)
    values = business_fields(payload)
    digests = {name: digest(value) for name, value in values.items()}
    changed = [name for name, d in digests.items() if memory.seen.get(name) != d]
    echo = {name for name in changed if memory.written.get(name, {}).get("d") == digests[name]}
    gold: dict[str, GoldenField] = golden.seen
    before = {**values, **{name: entry["v"] for name, entry in gold.items()}}
    review = Review(UNCHANGED)
    news = stale = False
    at_text = at.isoformat()
    for name in changed:
        if name in echo:
            continue
        owners = matrix.owners(change.object_type, name, before)
        current = gold.get(name)
        if change.system in owners:
            if current is not None and current["by"] in owners and supersedes(current, at, change.system):
                stale = True
                continue
            news = news or current is None or current["d"] != digests[name]
        elif values[name] is None or (current is not None and current["d"] == digests[name]):
            continue
        elif current is not None:
            review.refused.append(Refusal(name, values[name], owners, current))
            continue
        else:
            news = True
        gold[name] = golden_field(values[name], digests[name], at_text, change.system)
        review.golden_changed = True
    _remember(memory, change, changed, digests)
    if news:
        review.outcome = RECORDED
        review.payload = {**payload, **{name: gold[name]["v"] for name in values if name in gold}}
    elif review.refused:
        review.outcome = GOVERNED
    elif stale:
        review.outcome = STALE
    elif echo:
        review.outcome = ECHO
    return review


def _remember(memory: RememberedRecord, change: Change, changed: list[str], digests: dict[str, str]) -> None:
    for name in changed:
        memory.seen[name] = digests[name]
        # Seen to change: an expectation of an echo is met, or overtaken by someone else's edit.
        memory.written.pop(name, None)
    memory.seen_at = change.changed_at
    memory.system_id = change.source_id
