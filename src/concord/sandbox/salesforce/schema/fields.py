"""The shape of emulated sObjects: field and object definitions, as describe reports them."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum
from functools import cached_property


class FieldType(StrEnum):
    """Field types, spelled as ``describe`` spells them."""

    ID = "id"
    STRING = "string"
    TEXTAREA = "textarea"
    PICKLIST = "picklist"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    BOOLEAN = "boolean"
    INT = "int"
    DOUBLE = "double"
    CURRENCY = "currency"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    REFERENCE = "reference"


#: Types whose values are text (compared case-insensitively in SOQL).
TEXT_TYPES = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXTAREA,
        FieldType.PICKLIST,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
    }
)
#: Types whose values are Salesforce ids.
ID_TYPES = frozenset({FieldType.ID, FieldType.REFERENCE})
#: Types whose values are numbers (kept as Decimal inside the emulator, never float).
NUMBER_TYPES = frozenset({FieldType.INT, FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT})


@dataclass(frozen=True)
class FieldDef:
    """One field of an sObject.

    Attributes:
        name: API name, e.g. ``StageName`` or ``Region__c``.
        type: the describe type.
        label: the human label.
        length: maximum length of text fields (0 for other types).
        precision: total digits of number fields.
        scale: digits after the decimal point of number fields.
        nillable: whether the field may be null.
        createable: whether a create call may set it.
        updateable: whether an update call may change it.
        required: whether a create call must supply it (REQUIRED_FIELD_MISSING otherwise).
        external_id: whether the field is flagged External ID (usable for upsert and get-by-ext-id).
        unique: whether values must be unique (case-insensitive).
        picklist: the active picklist values, in order.
        restricted: whether values outside ``picklist`` are rejected.
        reference_to: the object a reference field points to.
        relationship_name: the name used in SOQL paths and nested writes (``Account`` for ``AccountId``).
        child_relationship: the parent's name for the children pointing through this field
            (``OpportunityLineItems``), usable in SOQL parent-to-child subqueries.
        default: value given on create when none is supplied.
        cascade_delete: deleting the referenced parent deletes this record too (master-detail).
    """

    name: str
    type: FieldType
    label: str
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    required: bool = False
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    reference_to: str | None = None
    relationship_name: str | None = None
    child_relationship: str | None = None
    default: object = None
    cascade_delete: bool = False

    @property
    def custom(self) -> bool:
        """True for custom fields (``__c`` suffix)."""
        return self.name.endswith("__c")

    @property
    def calculated(self) -> bool:
        """True for fields the platform computes (neither createable nor updateable, not system)."""
        return not self.createable and not self.updateable


@dataclass(frozen=True)
class SObjectDef:
    """One sObject type and its fields."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: tuple[FieldDef, ...]
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    _by_lower: dict[str, FieldDef] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _by_relationship: dict[str, FieldDef] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for field_def in self.fields:
            self._by_lower[field_def.name.lower()] = field_def
            if field_def.relationship_name:
                self._by_relationship[field_def.relationship_name.lower()] = field_def

    @property
    def custom(self) -> bool:
        """True for custom objects (``__c`` suffix)."""
        return self.name.endswith("__c")

    def field(self, name: str) -> FieldDef | None:
        """Return the field called ``name`` (case-insensitive, as on the platform), or None."""
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """Return the reference field whose relationship name is ``name`` (case-insensitive), or None."""
        return self._by_relationship.get(name.lower())

    def external_id_fields(self) -> tuple[FieldDef, ...]:
        """The fields usable as external ids for upsert and lookup."""
        return self._external_ids

    # Field groups every write walks, computed once per object (the definition is immutable).
    @cached_property
    def _external_ids(self) -> tuple[FieldDef, ...]:
        return tuple(f for f in self.fields if f.external_id)

    @cached_property
    def unique_fields(self) -> tuple[FieldDef, ...]:
        """The fields whose values must be unique among live records."""
        return tuple(f for f in self.fields if f.unique)

    @cached_property
    def required_on_create(self) -> tuple[str, ...]:
        """Names of the fields a new record must carry a non-empty value for."""
        return tuple(f.name for f in self.fields if f.required or (not f.nillable and f.createable))

    @cached_property
    def defaulted(self) -> tuple[FieldDef, ...]:
        """The fields with a default value."""
        return tuple(f for f in self.fields if f.default is not None)

    @cached_property
    def reference_fields(self) -> dict[str, FieldDef]:
        """The reference fields by canonical name (every write checks the parents they name)."""
        return {f.name: f for f in self.fields if f.type is FieldType.REFERENCE}

    @cached_property
    def owned(self) -> bool:
        """Whether records have an ``OwnerId`` (defaulted to the caller on create)."""
        return self.field("OwnerId") is not None
