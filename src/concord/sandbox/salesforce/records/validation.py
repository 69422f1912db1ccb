"""Checking a request body's fields against the object's schema, with the platform's error codes.

Field names are case-insensitive and come back in their canonical spelling. A reference may also be
given through its relationship and an external id of the parent, e.g.
``{"Account": {"Concord_Id__c": "C-1"}}`` sets ``AccountId``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from concord.sandbox.salesforce.errors import RecordError
from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import FieldDef, SObjectDef
from concord.sandbox.salesforce.values import Stored, to_stored

ExternalLookup = Callable[[SObjectDef, str, str], list[str]]
"""(object, external-id field, value) → ids of the live records with that value."""

_SECURITY_HINT = (
    "Please check the security settings of this field and verify that it is read/write for your profile "
    "or permission set."
)


def prepare_fields(
    sobject: SObjectDef,
    body: Any,
    *,
    creating: bool,
    catalog: Catalog,
    lookup: ExternalLookup,
    ignore: frozenset[str] = frozenset(),
) -> dict[str, Stored]:
    """Validate ``body`` for a create (``creating``) or an update and return its stored values.

    Args:
        sobject: The object written.
        body: The decoded JSON body.
        creating: True for create, False for update.
        catalog: For resolving nested external-id references.
        lookup: Finds parents by external id.
        ignore: Lower-cased keys to skip (``id`` in collection updates, the URL's external-id field).

    Raises:
        RecordError: JSON_PARSER_ERROR, INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE or a value error.
    """
    if not isinstance(body, Mapping):
        raise RecordError(
            "JSON_PARSER_ERROR", f"Cannot deserialize instance of {sobject.name} from non-object value"
        )
    values: dict[str, Stored] = {}
    read_only: list[str] = []
    for key, raw in body.items():
        lowered = key.lower()
        if lowered == "attributes" or lowered in ignore:
            continue
        field_def = sobject.field(key)
        if field_def is None:
            field_def, raw = _nested_reference(sobject, key, raw, catalog, lookup)
        if field_def.name == "Id":
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "Record ID: cannot specify Id in an insert call"
                if creating
                else "Unable to create/update fields: Id",
                ["Id"],
            )
        if not (field_def.createable if creating else field_def.updateable):
            read_only.append(field_def.name)
            continue
        values[field_def.name] = to_stored(field_def, raw)
    if read_only:
        raise RecordError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(read_only)}. {_SECURITY_HINT}",
            read_only,
        )
    return values


def _nested_reference(
    sobject: SObjectDef, key: str, raw: Any, catalog: Catalog, lookup: ExternalLookup
) -> tuple[FieldDef, Any]:
    reference = sobject.relationship(key)
    if reference is None or reference.reference_to is None or not isinstance(raw, Mapping):
        raise RecordError("INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject.name}")
    parent = catalog.get(reference.reference_to)
    keys = [k for k in raw if k.lower() != "attributes"]
    ext_field = parent.field(keys[0]) if parent is not None and len(keys) == 1 else None
    if parent is None or ext_field is None or not ext_field.external_id:
        raise RecordError(
            "INVALID_FIELD",
            f"The relationship {key} must name exactly one external ID field of {reference.reference_to}",
            [reference.name],
        )
    value = str(raw[keys[0]])
    found = lookup(parent, ext_field.name, value)
    if not found:
        raise RecordError(
            "INVALID_FIELD",
            f"Foreign key external ID: {value} not found for field {ext_field.name} in entity {parent.name}",
            [reference.name],
        )
    if len(found) > 1:
        raise RecordError(
            "INVALID_FIELD",
            f"Foreign key external ID: {value} matches multiple records for field {ext_field.name} "
            f"in entity {parent.name}",
            [reference.name],
        )
    return reference, found[0]


def missing_required(sobject: SObjectDef, record: Mapping[str, Stored]) -> RecordError | None:
    """REQUIRED_FIELD_MISSING for the required fields ``record`` leaves empty, or None."""
    missing = [name for name in sobject.required_on_create if record.get(name) in (None, "")]
    if not missing:
        return None
    return RecordError(
        "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
    )
