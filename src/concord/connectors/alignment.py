"""Aligning master data that two systems both hold, by a business key they share: e.g. the firm's people,
users in the PSA and employees in the ERP, matched by e-mail address, so that time a person logs in the
PSA posts under their employee record in the ERP.

Both sides are read whole through the connectors' ``list`` action and the mappings (a record the
canonical model cannot take whole, like a PSA user without an employee number, still offers the key it
holds). A record whose key is found once on each side is linked in the cross-reference to the other
side's entity; when both already had entities of their own, those are merged (audited). A key found more
than once on a side, or on one side only, is reported, never guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from concord.domain.ids import new_id
from concord.domain.messages import JSON, CommandEnvelope
from concord.engine.crossref import CrossReferenceService
from concord.engine.errors import ConcordError
from concord.engine.ports import Connector, Failed

__all__ = ["AlignmentReport", "align_by_key"]


@dataclass(slots=True)
class AlignmentReport:
    """What an alignment did."""

    linked: int = 0
    already: int = 0
    merged: int = 0
    only_in: dict[str, int] = field(default_factory=dict)
    """Keys found on one side only, per system."""
    ambiguous: list[str] = field(default_factory=list)
    """Keys held by more than one record of a side: left for a person."""

    def __str__(self) -> str:
        only = ", ".join(f"{n} only in {system}" for system, n in self.only_in.items() if n)
        parts = [f"{self.linked} linked", f"{self.already} already linked", f"{self.merged} merged"]
        if only:
            parts.append(only)
        if self.ambiguous:
            parts.append(f"{len(self.ambiguous)} keys held by several records (left alone)")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class _Held:
    system_id: str
    global_id: str | None


async def _read(connector: Connector, system: str, object_type: str, key: str) -> dict[str, list[_Held]]:
    envelope = CommandEnvelope(
        new_id(), f"align/{system}/{object_type}/{new_id()}", system, "list", object_type, {}, ""
    )
    (outcome,) = await connector.execute([envelope])
    if isinstance(outcome, Failed):
        raise ConcordError(f"{system} could not list {object_type}: {outcome.classification.reason}")
    answer: JSON = outcome.result
    by_key: dict[str, list[_Held]] = {}
    holders: list[tuple[JSON, str, str | None]] = [
        (record, str(record["system_ids"].get(system, "")), str(record["global_id"]))
        for record in answer["records"]
    ]
    holders += [
        (held.get("values") or {}, str(held["system_id"]), held.get("global_id"))
        for held in answer["invalid"]
    ]
    for values, system_id, global_id in holders:
        value = values.get(key)
        if isinstance(value, str) and value.strip() and system_id:
            by_key.setdefault(value.strip().casefold(), []).append(_Held(system_id, global_id))
    return by_key


async def align_by_key(
    connectors: Mapping[str, Connector],
    xref: CrossReferenceService,
    object_type: str,
    key: str,
    systems: tuple[str, str],
    *,
    actor: str = "concord",
) -> AlignmentReport:
    """Link the records of ``object_type`` that ``systems`` share by the canonical field ``key``.

    The first system's entity survives a merge (name the system of record first).
    """
    first, second = systems
    left = await _read(connectors[first], first, object_type, key)
    right = await _read(connectors[second], second, object_type, key)
    report = AlignmentReport(only_in=Counter())
    report.only_in = {first: len(left.keys() - right.keys()), second: len(right.keys() - left.keys())}
    for value in sorted(left.keys() & right.keys()):
        ours, theirs = left[value], right[value]
        if len(ours) != 1 or len(theirs) != 1:
            report.ambiguous.append(value)
            continue
        a, b = ours[0], theirs[0]
        a_id = xref.global_id(first, object_type, a.system_id)
        b_id = xref.global_id(second, object_type, b.system_id)
        if a_id is None and b_id is None:
            a_id = xref.ensure(first, object_type, a.system_id)
        if a_id is not None and b_id is not None:
            if xref.canonical(a_id) == xref.canonical(b_id):
                report.already += 1
                continue
            reason = f"the same {key} ({value}) in {first} and {second}"
            xref.merge(a_id, b_id, object_type, by=actor, reason=reason)
            report.merged += 1
        elif a_id is not None:
            xref.link(a_id, second, object_type, b.system_id, by=actor)
            report.linked += 1
        else:
            assert b_id is not None
            xref.link(b_id, first, object_type, a.system_id, by=actor)
            report.linked += 1
    return report
