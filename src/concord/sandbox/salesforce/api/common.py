"""Helpers shared by the REST handlers: object lookup, record rendering, DML result bodies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.api.request import ApiRequest
from concord.sandbox.salesforce.errors import RecordError, SalesforceApiError, not_found
from concord.sandbox.salesforce.schema.fields import FieldDef, SObjectDef
from concord.sandbox.salesforce.values import Stored, to_json

_EXTERNAL_ID_MISSING = "Provided external ID field does not exist or is not accessible: {}"


def sobject_or_404(request: ApiRequest, name: str) -> SObjectDef:
    """The object named in the URL.

    Raises:
        SalesforceApiError: 404 NOT_FOUND for an unknown object.
    """
    sobject = request.org.catalog.get(name)
    if sobject is None:
        raise not_found()
    return sobject


def record_id_or_404(sobject: SObjectDef, record_id: str) -> str:
    """The canonical 18-character id of a URL's record id.

    Raises:
        SalesforceApiError: 404 NOT_FOUND when it is malformed or belongs to another object.
    """
    canonical = ids.normalize(record_id)
    if canonical is None:
        raise not_found(_EXTERNAL_ID_MISSING.format(record_id))
    if canonical[:3] != sobject.key_prefix:
        raise not_found()
    return canonical


def external_field_or_404(sobject: SObjectDef, name: str) -> FieldDef:
    """An external-id field named in the URL.

    Raises:
        SalesforceApiError: 404 NOT_FOUND when the field does not exist or is not an external id.
    """
    field_def = sobject.field(name)
    if field_def is None or not field_def.external_id:
        raise not_found(_EXTERNAL_ID_MISSING.format(name))
    return field_def


def attributes(sobject: SObjectDef, record_id: Any, version: str) -> dict[str, str]:
    """A record's ``attributes`` object."""
    return {"type": sobject.name, "url": record_url(sobject, record_id, version)}


def record_url(sobject: SObjectDef, record_id: Any, version: str) -> str:
    """A record's REST URL."""
    return f"/services/data/v{version}/sobjects/{sobject.name}/{record_id}"


def render_record(
    sobject: SObjectDef, record: Mapping[str, Stored], version: str, fields: Iterable[FieldDef] | None = None
) -> dict[str, Any]:
    """A record as ``GET /sobjects/{Object}/{id}`` returns it (all fields unless ``fields``)."""
    out: dict[str, Any] = {"attributes": attributes(sobject, record.get("Id"), version)}
    for field_def in sobject.fields if fields is None else fields:
        out[field_def.name] = to_json(field_def, record.get(field_def.name))
    return out


def selected_fields(sobject: SObjectDef, fields_param: str | None) -> list[FieldDef] | None:
    """The fields of a ``?fields=A,B`` parameter (None when absent).

    Raises:
        SalesforceApiError: 400 INVALID_FIELD naming an unknown field.
    """
    if not fields_param:
        return None
    chosen: list[FieldDef] = []
    for name in (part.strip() for part in fields_param.split(",")):
        field_def = sobject.field(name)
        if field_def is None:
            raise SalesforceApiError.single(
                400,
                "INVALID_FIELD",
                f"No such column '{name}' on entity '{sobject.name}'. If you are attempting to use a custom "
                "field, be sure to append the '__c' after the custom field name. Please reference your WSDL "
                "or the describe call for the appropriate names.",
            )
        if field_def not in chosen:
            chosen.append(field_def)
    return chosen


def save_result(
    record_id: str | None, errors: list[RecordError] | None = None, **extra: Any
) -> dict[str, Any]:
    """A SaveResult / UpsertResult / DeleteResult body."""
    return {
        "id": record_id,
        "success": not errors,
        "errors": [e.item.as_save_result() for e in errors or []],
        **extra,
    }
