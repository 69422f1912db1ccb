"""The Kantata response envelope: ordered ``results``, id-keyed collections, side-loaded includes, meta.

Shape (mavenlink/brainstem ``presenter_collection.rb``)::

    {"count": N, "results": [{"key": "workspaces", "id": "55"}],
     "workspaces": {"55": {...}}, "users": {...},
     "meta": {"count": N, "page_count": P, "page_number": n, "page_size": S}}

Every included (non-polymorphic) association gets its top-level key even when empty; a record present
both as a result and as a side-load keeps its primary rendering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from concord.sandbox.kantata.hooks import Record, RecordReader
from concord.sandbox.kantata.query import Window, page_count
from concord.sandbox.kantata.specs import BelongsTo, HasMany, PolymorphicSubject, ResourceSpec


@dataclass(frozen=True)
class Catalog:
    """All resource specs, looked up by collection or by subject type."""

    specs: tuple[ResourceSpec, ...]
    by_collection: Mapping[str, ResourceSpec] = field(init=False)
    by_subject_type: Mapping[str, ResourceSpec] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_collection", {spec.collection: spec for spec in self.specs})
        object.__setattr__(self, "by_subject_type", {spec.subject_type: spec for spec in self.specs})


def hidden_attributes(
    spec: ResourceSpec, includes: Iterable[str] = (), optional: Iterable[str] = ()
) -> set[str]:
    """Attributes not rendered for a request: foreign keys of associations not included, optional fields
    not asked for."""
    included = set(includes)
    hidden = set(spec.hidden_foreign_keys()) - {
        assoc.foreign_key
        for name, assoc in spec.associations.items()
        if name in included and isinstance(assoc, BelongsTo)
    }
    return hidden | (set(spec.optional_fields) - set(optional))


def render(spec: ResourceSpec, record: Record, hidden: set[str] | None = None) -> Record:
    """The public form of a stored record: internal (``_``) keys dropped, and ``hidden`` ones (by default
    those hidden when nothing is included)."""
    drop = hidden_attributes(spec) if hidden is None else hidden
    return {key: value for key, value in record.items() if key[:1] != "_" and key not in drop}


@dataclass
class EnvelopeBuilder:
    """Assemble one response: primary records first, then their requested associations."""

    spec: ResourceSpec
    catalog: Catalog
    reader: RecordReader
    includes: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)

    def build(self, records: list[Record], count: int, window: Window) -> dict[str, Any]:
        """The envelope for ``records`` (already filtered, ordered and windowed) out of ``count`` matches."""
        key = self.spec.collection
        hidden = hidden_attributes(self.spec, self.includes, self.optional)
        primary = {record["id"]: render(self.spec, record, hidden) for record in records}
        body: dict[str, Any] = {"count": count, "results": [{"key": key, "id": rid} for rid in primary]}
        body[key] = primary
        for name in self.includes:
            self._include(name, records, primary, body)
        body["meta"] = {
            "count": count,
            "page_count": page_count(count, window.page_size),
            "page_number": window.page_number if count > 0 else 0,
            "page_size": window.page_size,
        }
        return body

    def _include(
        self, name: str, records: list[Record], primary: dict[str, Record], body: dict[str, Any]
    ) -> None:
        assoc = self.spec.associations[name]
        if isinstance(assoc, BelongsTo):
            body.setdefault(assoc.target, {})
            ids = {str(record[assoc.foreign_key]) for record in records if record.get(assoc.foreign_key)}
            self._side_load(assoc.target, ids, body)
        elif isinstance(assoc, HasMany):
            self._include_many(assoc, records, primary, body)
        elif isinstance(assoc, PolymorphicSubject):
            self._include_subject(assoc, records, primary, body)

    def _include_many(
        self, assoc: HasMany, records: list[Record], primary: dict[str, Record], body: dict[str, Any]
    ) -> None:
        loaded = assoc.through_target or assoc.target
        body.setdefault(loaded, {})
        wanted: set[str] = set()
        for record in records:
            related = [
                item
                for item in self.reader.find(assoc.target, assoc.inverse_key, record["id"])
                if all(str(item.get(attr)) == value for attr, value in assoc.where)
                and not item.get("deleted_at")
            ]
            related.sort(key=lambda item: int(item["id"]))
            if assoc.through_key is not None:
                ids = list(
                    dict.fromkeys(
                        str(item[assoc.through_key]) for item in related if item.get(assoc.through_key)
                    )
                )
            else:
                ids = [item["id"] for item in related]
            primary[record["id"]][assoc.ids_field] = ids
            wanted.update(ids)
        self._side_load(loaded, wanted, body)

    def _include_subject(
        self,
        assoc: PolymorphicSubject,
        records: list[Record],
        primary: dict[str, Record],
        body: dict[str, Any],
    ) -> None:
        for record in records:
            target = self.catalog.by_subject_type.get(str(record.get(assoc.type_field)))
            subject_id = str(record.get(assoc.id_field))
            subject = self.reader.get(target.collection, subject_id) if target else None
            if target is None or subject is None or subject.get("deleted_at"):
                primary[record["id"]]["subject_ref"] = None
                continue
            primary[record["id"]]["subject_ref"] = {"key": target.collection, "id": subject_id}
            self._side_load(target.collection, {subject_id}, body)

    def _side_load(self, collection: str, ids: set[str], body: dict[str, Any]) -> None:
        target_spec = self.catalog.by_collection.get(collection)
        if target_spec is None:
            return
        hidden = hidden_attributes(target_spec)
        bucket = body.setdefault(collection, {})
        for rid in sorted(ids, key=int):
            if rid in bucket:
                continue
            record = self.reader.get(collection, rid)
            if record is not None:
                bucket[rid] = render(target_spec, record, hidden)
