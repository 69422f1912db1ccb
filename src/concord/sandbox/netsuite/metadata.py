"""``GET /record/v1/metadata-catalog[/{type}]``: the record types and a JSON schema of each.

A slim version of NetSuite's catalog: enough for a client to discover the emulated types, their fields,
which are read-only and how values are typed (references are ``{"id", "refName"}`` objects, sublists
``{"items": [...]}``).
"""

from __future__ import annotations

from typing import Any

from concord.sandbox.netsuite.catalog import RECORD_TYPES
from concord.sandbox.netsuite.fields import Field, Kind, RecordType

CATALOG_PATH = "/services/rest/record/v1/metadata-catalog"
_SCALARS: dict[Kind, dict[str, str]] = {
    Kind.TEXT: {"type": "string"},
    Kind.BOOL: {"type": "boolean"},
    Kind.INT: {"type": "integer", "format": "int64"},
    Kind.DATE: {"type": "string", "format": "date"},
    Kind.DATETIME: {"type": "string", "format": "date-time"},
    Kind.MONEY: {"type": "number", "format": "double"},
    Kind.DECIMAL: {"type": "number", "format": "double"},
    Kind.DURATION: {"type": "number", "format": "double"},
}
_REFERENCE = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "refName": {"type": "string"}, "externalId": {"type": "string"}},
}


def catalog_index(base_url: str) -> dict[str, Any]:
    """The list of record types with links to their schemas."""
    base = base_url.rstrip("/")
    items = [
        {
            "name": name,
            "links": [
                {"rel": "canonical", "href": f"{base}{CATALOG_PATH}/{name}", "mediaType": "application/json"},
                {"rel": "describes", "href": f"{base}/services/rest/record/v1/{name}"},
            ],
        }
        for name in RECORD_TYPES
    ]
    return {"items": items}


def record_schema(record_type: RecordType) -> dict[str, Any]:
    """A JSON schema of one record type."""
    properties: dict[str, Any] = {field.name: _field_schema(field) for field in record_type.fields}
    properties["links"] = {"type": "array", "readOnly": True}
    for sublist in record_type.sublists:
        line = {"type": "object", "properties": {f.name: _field_schema(f) for f in sublist.fields}}
        properties[sublist.name] = {
            "type": "object",
            "properties": {"items": {"type": "array", "items": line}},
        }
    return {"type": "object", "title": record_type.name, "properties": properties}


def _field_schema(field: Field) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_SCALARS.get(field.kind, _REFERENCE))
    if field.kind is Kind.SELECT:
        schema["x-ns-values"] = [value for value, _ in field.choices]
    if field.label:
        schema["title"] = field.label
    if field.read_only:
        schema["readOnly"] = True
    return schema
