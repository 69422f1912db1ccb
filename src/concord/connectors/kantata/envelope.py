"""Kantata's response envelope, decoded: ordered results, id-keyed objects, side-loaded associations.

Every read and write answers::

    {"count": N, "meta": {"count": N, "page_count": P, "page_number": n, "page_size": S},
     "results": [{"key": "time_entries", "id": "101"}, ...],
     "time_entries": {"101": {...}}, "workspaces": {"55": {...}}, ...}

The order lives in ``results`` only (api-contracts.md §4.2). ``include=<association>`` side-loads related
records in their own collections and links them by foreign key (``workspace_id``), by an id list
(``external_reference_ids``) or, for polymorphic subjects, by ``subject_ref: {"key", "id"}``.
``Envelope.joined`` puts the related records into each result under the association's name, so callers
read ``entry["workspace"]["title"]`` instead of looking ids up themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from concord.connectors.kantata.errors import SYSTEM
from concord.engine.errors import TransientError

Record = dict[str, Any]

# Associations whose collection is not simply their name made plural (Kantata's resource catalogue).
_TARGETS = {
    "active_submission": "timesheet_submissions",
    "recent_submission": "timesheet_submissions",
    "creator": "users",
    "assignee": "users",
    "assignees": "users",
    "participants": "users",
    "parent": "stories",
    "sub_stories": "stories",
    "current_assignments": "assignments",
    "workspace_role": "roles",
}
# Associations whose collection depends on the record's own: an expense's submissions are expense reports.
_TARGETS_BY_COLLECTION = {
    ("expenses", "active_submission"): "expense_report_submissions",
    ("expenses", "recent_submission"): "expense_report_submissions",
}


def plural(name: str) -> str:
    """``story`` → ``stories``, ``workspace`` → ``workspaces``."""
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    return name if name.endswith("s") else name + "s"


def singular(name: str) -> str:
    """``stories`` → ``story``, ``external_references`` → ``external_reference``."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def target_of(association: str, collection: str | None = None) -> str:
    """The collection an association's records (of a record of ``collection``) are side-loaded in."""
    return (
        _TARGETS_BY_COLLECTION.get((collection or "", association))
        or _TARGETS.get(association)
        or plural(association)
    )


@dataclass(frozen=True, slots=True)
class Envelope:
    """One decoded answer.

    Attributes:
        key: The primary collection (``time_entries``).
        records: The primary records, in ``results`` order.
        collections: Every id-keyed collection of the answer (side-loads included).
        count: Matches over all pages.
        page_count: Pages at the requested page size (0 when nothing matched).
        page_number: This page's number.
    """

    key: str
    records: Sequence[Record]
    collections: Mapping[str, Mapping[str, Record]] = field(default_factory=dict)
    count: int = 0
    page_count: int = 0
    page_number: int = 0

    @property
    def ids(self) -> list[str]:
        """The primary records' ids, in order."""
        return [str(record["id"]) for record in self.records]

    def related(self, record: Mapping[str, Any], association: str) -> Record | list[Record] | None:
        """The side-loaded record(s) ``association`` links ``record`` to (None or [] when absent)."""
        if association == "subject":
            ref = record.get("subject_ref")
            if not isinstance(ref, Mapping):
                return None
            return self._one(str(ref.get("key")), ref.get("id"))
        target = target_of(association, self.key)
        ids_field = f"{singular(association)}_ids"
        if ids_field in record:
            found = (self._one(target, rid) for rid in record.get(ids_field) or ())
            return [item for item in found if item is not None]
        return self._one(target, record.get(f"{association}_id"))

    def joined(self, associations: Sequence[str]) -> list[Record]:
        """Copies of the primary records with each association's record(s) under its name."""
        out = []
        for record in self.records:
            copy = dict(record)
            for name in associations:
                copy[name] = self.related(record, name)
            out.append(copy)
        return out

    def _one(self, collection: str, record_id: Any) -> Record | None:
        if record_id is None or record_id == "":
            return None
        found = self.collections.get(collection, {}).get(str(record_id))
        return None if found is None else dict(found)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def decode_envelope(body: Any, key: str) -> Envelope:
    """Decode an answer whose primary collection is ``key``.

    Raises:
        TransientError: the body is not an envelope, or ``results`` names records it does not carry (a
            truncated or spoiled answer; the call may be repeated).
    """
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise TransientError(f"{SYSTEM} answered without the results envelope")
    collections = {
        name: value
        for name, value in body.items()
        if isinstance(value, dict) and name != "meta" and all(isinstance(v, dict) for v in value.values())
    }
    records: list[Record] = []
    for ref in body["results"]:
        if not isinstance(ref, dict):
            raise TransientError(f"{SYSTEM} answered a malformed results entry")
        found = collections.get(str(ref.get("key")), {}).get(str(ref.get("id")))
        if found is None:
            raise TransientError(f"{SYSTEM} listed {ref.get('key')} {ref.get('id')} but did not send it")
        records.append(found)
    raw_meta = body.get("meta")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    count = _int(meta.get("count", body.get("count")))
    return Envelope(
        key=key,
        records=records,
        collections=collections,
        count=count,
        page_count=_int(meta.get("page_count")),
        page_number=_int(meta.get("page_number")),
    )
