"""The JSON of ``GET /sobjects`` (describeGlobal), ``GET /sobjects/{Object}`` (basic information) and
``GET /sobjects/{Object}/describe`` (full describe, with field metadata and picklist values)."""

from __future__ import annotations

from typing import Any

from concord.sandbox.salesforce.schema.catalog import Catalog
from concord.sandbox.salesforce.schema.fields import FieldDef, FieldType, SObjectDef

_SOAP_TYPES = {
    FieldType.ID: "tns:ID",
    FieldType.REFERENCE: "tns:ID",
    FieldType.BOOLEAN: "xsd:boolean",
    FieldType.INT: "xsd:int",
    FieldType.DOUBLE: "xsd:double",
    FieldType.CURRENCY: "xsd:double",
    FieldType.PERCENT: "xsd:double",
    FieldType.DATE: "xsd:date",
    FieldType.DATETIME: "xsd:dateTime",
}
_NOT_FILTERABLE = frozenset({FieldType.TEXTAREA})


def _urls(sobject: SObjectDef, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{sobject.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def object_summary(sobject: SObjectDef, version: str) -> dict[str, Any]:
    """The per-object entry of describeGlobal (and ``objectDescribe`` of the basic information)."""
    return {
        "name": sobject.name,
        "label": sobject.label,
        "labelPlural": sobject.label_plural,
        "keyPrefix": sobject.key_prefix,
        "custom": sobject.custom,
        "createable": sobject.createable,
        "updateable": sobject.updateable,
        "deletable": sobject.deletable,
        "undeletable": sobject.deletable,
        "queryable": True,
        "retrieveable": True,
        "searchable": True,
        "replicateable": True,
        "triggerable": True,
        "layoutable": True,
        "mergeable": False,
        "customSetting": False,
        "feedEnabled": False,
        "urls": _urls(sobject, version),
    }


def describe_global(catalog: Catalog, version: str) -> dict[str, Any]:
    """``GET /sobjects``."""
    return {
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [object_summary(sobject, version) for sobject in catalog.all()],
    }


def describe_field(field_def: FieldDef) -> dict[str, Any]:
    """One entry of a describe's ``fields``."""
    is_text = field_def.type not in _SOAP_TYPES
    default = field_def.default
    return {
        "name": field_def.name,
        "label": field_def.label,
        "type": field_def.type.value,
        "soapType": _SOAP_TYPES.get(field_def.type, "xsd:string"),
        "length": field_def.length if is_text or field_def.type in (FieldType.ID, FieldType.REFERENCE) else 0,
        "byteLength": field_def.length * 3,
        "precision": field_def.precision,
        "scale": field_def.scale,
        "digits": field_def.precision if field_def.type is FieldType.INT else 0,
        "nillable": field_def.nillable,
        "createable": field_def.createable,
        "updateable": field_def.updateable,
        "calculated": field_def.calculated and field_def.name not in ("Id", "IsDeleted"),
        "custom": field_def.custom,
        "externalId": field_def.external_id,
        "unique": field_def.unique,
        "caseSensitive": False,
        "idLookup": field_def.type is FieldType.ID or field_def.external_id,
        "nameField": field_def.name == "Name",
        "autoNumber": False,
        "filterable": field_def.type not in _NOT_FILTERABLE,
        "sortable": field_def.type not in _NOT_FILTERABLE,
        "groupable": field_def.type not in _NOT_FILTERABLE,
        "defaultedOnCreate": default is not None or field_def.name == "OwnerId" or not field_def.createable,
        "defaultValue": default,
        "defaultValueFormula": None,
        "picklistValues": [
            {
                "active": True,
                "defaultValue": value == default,
                "label": value,
                "validFor": None,
                "value": value,
            }
            for value in field_def.picklist
        ],
        "restrictedPicklist": field_def.restricted,
        "referenceTo": [field_def.reference_to] if field_def.reference_to else [],
        "relationshipName": field_def.relationship_name,
        "cascadeDelete": field_def.cascade_delete,
    }


def describe_object(catalog: Catalog, sobject: SObjectDef, version: str) -> dict[str, Any]:
    """``GET /sobjects/{Object}/describe``."""
    children = [
        {
            "childSObject": child.name,
            "field": reference.name,
            "relationshipName": reference.child_relationship,
            "cascadeDelete": reference.cascade_delete,
            "deprecatedAndHidden": False,
            "restrictedDelete": False,
        }
        for child, reference in catalog.children_of(sobject.name)
    ]
    return {
        **object_summary(sobject, version),
        "fields": [describe_field(f) for f in sobject.fields],
        "childRelationships": children,
        "recordTypeInfos": [],
        "supportedScopes": [{"label": "All " + sobject.label_plural.lower(), "name": "everything"}],
    }


def basic_info(sobject: SObjectDef, version: str) -> dict[str, Any]:
    """``GET /sobjects/{Object}``."""
    return {"objectDescribe": object_summary(sobject, version), "recentItems": []}
