"""Declarative description of one Kantata resource: attributes, associations, ordering, filters.

Routes, validation, side-loading and the change feed are generic; what differs between resources is
data held in a :class:`ResourceSpec` (and a few rule hooks, see :mod:`concord.sandbox.kantata.hooks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from concord.sandbox.kantata.fields import FieldKind, FieldSpec
from concord.sandbox.kantata.hooks import ResourceHooks


@dataclass(frozen=True)
class BelongsTo:
    """``include=<name>`` side-loads the record that ``foreign_key`` points to.

    Attributes:
        foreign_key: attribute of this record holding the target id.
        target: collection of the target.
        always_rendered: whether ``foreign_key`` is in the response without the include (Kantata renders
            plain foreign keys such as ``workspace_id`` always, but e.g. ``active_submission_id`` only when
            its association is included).
    """

    foreign_key: str
    target: str
    always_rendered: bool = True


@dataclass(frozen=True)
class HasMany:
    """``include=<name>`` side-loads the records of ``target`` pointing back here and adds ``ids_field``.

    Attributes:
        target: collection holding the related records.
        inverse_key: attribute of the related record holding this record's id.
        ids_field: attribute added to this record listing the ids (only when included).
        where: further equality conditions on the related records (e.g. ``subject_type``).
        through_key: when set, the related records are a join: their ``through_key`` ids are listed and
            the records of ``through_target`` are side-loaded instead (``participants`` via participations).
        through_target: collection side-loaded for a join.
    """

    target: str
    inverse_key: str
    ids_field: str
    where: tuple[tuple[str, str], ...] = ()
    through_key: str | None = None
    through_target: str | None = None


@dataclass(frozen=True)
class PolymorphicSubject:
    """``include=subject`` for records holding ``subject_type`` / ``subject_id`` (adds ``subject_ref``)."""

    type_field: str = "subject_type"
    id_field: str = "subject_id"


Association = BelongsTo | HasMany | PolymorphicSubject


@dataclass(frozen=True)
class ResourceSpec:
    """Everything generic code needs to serve one resource.

    Attributes:
        collection: plural name: path segment, envelope key and ``results[].key``.
        singular: key wrapping a single object in request bodies.
        subject_type: the class name other records use to point here (``TimeEntry``).
        event_subject: prefix of this resource's subscribed event types (``time_entry``).
        fields: writable attributes.
        associations: include name → association.
        orders: sortable attributes (``order=<attr>:asc|desc``).
        default_order: the order applied when none is given.
        bulk_create: ``POST`` accepts the plural key with a list of up to 100 objects.
        searchable: attributes matched by ``search=``.
        external_references: the resource can carry external references (filters, nested writes).
        emits_events: changes are recorded in the subscribed events feed.
        soft_delete: deletes set ``deleted_at`` and hide the record by default instead of removing it.
        optional_fields: attributes rendered only when named in ``optional_fields=``.
        hooks: resource rules (defaults, derived attributes, cross-field validation, default filters).
    """

    collection: str
    singular: str
    subject_type: str
    event_subject: str
    fields: tuple[FieldSpec, ...]
    associations: Mapping[str, Association] = field(default_factory=dict)
    orders: tuple[str, ...] = ("created_at", "updated_at", "id")
    default_order: str = "id:asc"
    bulk_create: bool = False
    searchable: tuple[str, ...] = ()
    external_references: bool = True
    emits_events: bool = True
    soft_delete: bool = False
    optional_fields: tuple[str, ...] = ()
    hooks: ResourceHooks = field(default_factory=ResourceHooks)

    # Field groups every write walks, computed once (the spec is immutable).
    @cached_property
    def creatable_fields(self) -> tuple[FieldSpec, ...]:
        """Attributes accepted on create, in declaration order."""
        return tuple(f for f in self.fields if f.creatable)

    @cached_property
    def updatable_fields(self) -> tuple[FieldSpec, ...]:
        """Attributes accepted on update, in declaration order."""
        return tuple(f for f in self.fields if f.updatable)

    @cached_property
    def required_fields(self) -> tuple[FieldSpec, ...]:
        """Attributes a new record must carry, in declaration order."""
        return tuple(f for f in self.fields if f.required)

    @cached_property
    def reference_fields(self) -> tuple[FieldSpec, ...]:
        """References to another collection (their targets must exist), in declaration order."""
        return tuple(f for f in self.fields if f.kind is FieldKind.REFERENCE and f.target is not None)

    def field(self, name: str) -> FieldSpec | None:
        """The writable attribute called ``name``, if any."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        return None

    def hidden_foreign_keys(self) -> tuple[str, ...]:
        """Foreign keys rendered only when their association is included."""
        return tuple(
            assoc.foreign_key
            for assoc in self.associations.values()
            if isinstance(assoc, BelongsTo) and not assoc.always_rendered
        )
