"""Binding field paths to the schema, and reading their values from stored records.

A path such as ``Opportunity.Account.Name`` walks reference fields by relationship name
(``Opportunity`` is ``OpportunityId``'s relationship) down to a leaf field of the last object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import FieldDef, SObjectDef
from concord.sandbox.salesforce.soql.ast import FieldPath
from concord.sandbox.salesforce.soql.errors import SoqlError
from concord.sandbox.salesforce.values import Stored

StoredRecord = Mapping[str, Stored]


class RecordSource(Protocol):
    """Where a query reads records from (stored form: field API name to stored value)."""

    def scan(self, sobject: str, *, include_deleted: bool) -> Iterable[StoredRecord]:
        """Every record of ``sobject``, in id order; soft-deleted ones too when asked."""
        ...

    def get(self, sobject: str, record_id: str) -> StoredRecord | None:
        """One record by id, deleted or not, or None."""
        ...


@runtime_checkable
class ChangedSource(RecordSource, Protocol):
    """A source that can also read only recently written records (the emulator's repository)."""

    def scan_written_since(
        self, sobject: str, since: datetime, *, include_deleted: bool
    ) -> Iterable[StoredRecord]:
        """In id order, at least the records of ``sobject`` whose ``SystemModstamp`` is at or after
        ``since`` (possibly more)."""
        ...


@dataclass(frozen=True)
class BoundPath:
    """A field path bound to the schema: the reference hops, then the leaf field and its object."""

    hops: tuple[tuple[SObjectDef, FieldDef], ...]
    target: SObjectDef
    leaf: FieldDef

    @property
    def key(self) -> tuple[str, ...]:
        """Canonical spelling, for de-duplication."""
        return (*(ref.name for _, ref in self.hops), self.leaf.name)


_FIELD_HINT = (
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field "
    "name. Please reference your WSDL or the describe call for the appropriate names."
)
_RELATIONSHIP_HINT = (
    "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom "
    "relationship name. Please reference your WSDL or the describe call for the appropriate names."
)


def bind(catalog: Catalog, root: SObjectDef, path: FieldPath) -> BoundPath:
    """Bind ``path`` relative to ``root``.

    Raises:
        SoqlError: INVALID_FIELD naming the unknown column or relationship.
    """
    current = root
    hops: list[tuple[SObjectDef, FieldDef]] = []
    for part in path.parts[:-1]:
        reference = current.relationship(part)
        target = catalog.get(reference.reference_to) if reference and reference.reference_to else None
        if reference is None or target is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"Didn't understand relationship '{part}' in field path. {_RELATIONSHIP_HINT}",
                path.position,
            )
        hops.append((current, reference))
        current = target
    leaf = current.field(path.parts[-1])
    if leaf is None:
        raise SoqlError(
            "INVALID_FIELD",
            f"No such column '{path.parts[-1]}' on entity '{current.name}'. {_FIELD_HINT}",
            path.position,
        )
    return BoundPath(tuple(hops), current, leaf)


def child_relationship(
    catalog: Catalog, parent: SObjectDef, name: str, position: int
) -> tuple[SObjectDef, FieldDef]:
    """The child object and its reference field behind a parent-to-child relationship name.

    Raises:
        SoqlError: INVALID_TYPE when ``parent`` has no such child relationship.
    """
    for child, reference in catalog.children_of(parent.name):
        if reference.child_relationship and reference.child_relationship.lower() == name.lower():
            return child, reference
    raise SoqlError(
        "INVALID_TYPE",
        f"Didn't understand relationship '{name}' in FROM part of query call. {_RELATIONSHIP_HINT}",
        position,
    )


class RowReader:
    """Reads bound paths from records, following references through ``source`` (parents cached)."""

    def __init__(self, source: RecordSource) -> None:
        self._source = source
        self._parents: dict[tuple[str, str], StoredRecord | None] = {}

    def parent(self, sobject: str, record_id: str) -> StoredRecord | None:
        """The referenced record, or None when it does not exist."""
        key = (sobject, record_id)
        if key not in self._parents:
            self._parents[key] = self._source.get(sobject, record_id)
        return self._parents[key]

    def holder(self, record: StoredRecord, path: BoundPath) -> StoredRecord | None:
        """The record holding the leaf field: ``record`` itself, or the last parent reached."""
        current: StoredRecord | None = record
        for _, reference in path.hops:
            if current is None:
                return None
            parent_id = current.get(reference.name)
            if not isinstance(parent_id, str) or reference.reference_to is None:
                return None
            current = self.parent(reference.reference_to, parent_id)
        return current

    def stored(self, record: StoredRecord, path: BoundPath) -> Stored:
        """The stored value at ``path`` (None when any hop is null)."""
        holder = self.holder(record, path)
        return None if holder is None else holder.get(path.leaf.name)
