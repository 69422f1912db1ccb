"""Governance exceptions in business words: what was changed where, who owns it, what Concord did.

"Customer 'Acme' payment terms changed in Salesforce, but NetSuite owns payment terms; change not
propagated." The technical detail behind it names the values, the record's ids and the change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from concord.domain.messages import JSON, Change
from concord.domain.ownership import owning_team
from concord.domain.tracing import TraceContext
from concord.engine.model import Category, ExceptionDraft
from concord.governance.review import Refusal

#: How systems are written in messages, where capitalising the name is not enough.
SYSTEM_LABELS = {
    "netsuite": "NetSuite",
    "hubspot": "HubSpot",
    "salesforce": "Salesforce",
    "kantata": "Kantata",
    "concord": "Concord",
}

#: Fields whose value names the record in a message, in order of preference.
_NAMING_FIELDS = ("name", "number", "code", "employee_id")


def system_label(system: str) -> str:
    """A system's name as people write it."""
    return SYSTEM_LABELS.get(system, system.replace("_", " ").title())


def field_words(field: str) -> str:
    """A field's name as words ("payment_terms" → "payment terms")."""
    return field.replace("_", " ")


def object_words(object_type: str) -> str:
    """An object's name as words, capitalised ("TimeEntry" → "Time entry")."""
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", object_type).lower()
    return words[:1].upper() + words[1:]


def record_label(object_type: str, payload: JSON, source_id: str) -> str:
    """How a message names the record: "Customer 'Acme'", "Contract SOW-1042", "Time entry 7731"."""
    for field in _NAMING_FIELDS:
        value = payload.get(field)
        if isinstance(value, str) and value:
            shown = f"'{value}'" if field == "name" else value
            return f"{object_words(object_type)} {shown}"
    return f"{object_words(object_type)} {source_id}"


def authority_exception(change: Change, payload: JSON, refused: Sequence[Refusal]) -> ExceptionDraft:
    """One governance exception for the fields a change touched without owning them."""
    global_id = str(payload["global_id"])
    label = record_label(change.object_type, payload, change.source_id)
    fields = _and(field_words(r.field) for r in refused)
    by_owners: dict[frozenset[str], list[str]] = {}
    for refusal in refused:
        by_owners.setdefault(refusal.owners, []).append(field_words(refusal.field))
    owners = "; ".join(_owns(systems, names) for systems, names in by_owners.items())
    outcome = "change not propagated" if len(refused) == 1 else "changes not propagated"
    message = f"{label} {fields} changed in {system_label(change.system)}, but {owners}; {outcome}."
    object_ids = {**payload.get("system_ids", {}), change.system: change.source_id}
    return ExceptionDraft(
        category=Category.AUTHORITY,
        team=owning_team(Category.AUTHORITY, change.object_type),
        business_type=change.object_type,
        business_key=f"{change.object_type}:{global_id}",
        business_label=label,
        message=message,
        detail=_detail(change, global_id, refused),
        traceparent=TraceContext.parse_or_new(change.traceparent).traceparent,
        observed_at=change.changed_at,
        object_ids={str(k): str(v) for k, v in object_ids.items()},
    )


def _owns(systems: frozenset[str], fields: list[str]) -> str:
    if not systems:
        return f"no system is set to own {_and(fields)}"
    names = _and(sorted(system_label(s) for s in systems))
    return f"{names} {'owns' if len(systems) == 1 else 'own'} {_and(fields)}"


def _detail(change: Change, global_id: str, refused: Sequence[Refusal]) -> str:
    head = (
        f"{change.object_type} {global_id} ({change.system} id {change.source_id}, "
        f"version {change.version or '-'}, changed {change.changed_at.isoformat()}):"
    )
    lines = [
        f"{r.field}: {change.system} has {_show(r.value)}; authoritative value {_show(r.golden['v'])} "
        f"from {r.golden['by']} (changed {r.golden['at']}); owners: {', '.join(sorted(r.owners)) or 'none'}"
        for r in refused
    ]
    return " ".join([head, *lines]) if len(lines) == 1 else "\n".join([head, *lines])


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _and(words: Iterable[str]) -> str:
    listed = list(words)
    return ", ".join(listed[:-1]) + f" and {listed[-1]}" if len(listed) > 1 else "".join(listed)
