"""sObject resources: describe, create, get, update, delete, and rows by external id (get, upsert,
delete).

Upsert answers 201 ``{"id", "success", "errors", "created": true}`` for a new record. For an updated
record the platform answers 200 ``{..., "created": false}`` from API v46.0 and 204 without a body
before; the emulator follows that rule (only v50.0+ is served, so in practice 200). ``updateOnly=true``
(v61.0+) turns a missing record into 404 instead of a create. A body naming ``Id`` or the external-id
field itself is refused with 400 INVALID_FIELD (the message wording is the emulator's own).
"""

from __future__ import annotations

from collections.abc import Mapping

from concord.sandbox.salesforce.api.common import (
    external_field_or_404,
    record_id_or_404,
    record_url,
    render_record,
    save_result,
    selected_fields,
    sobject_or_404,
)
from concord.sandbox.salesforce.api.request import ApiRequest, ApiResponse, Router
from concord.sandbox.salesforce.errors import (
    MissingRecordError,
    MultipleMatchesError,
    RecordError,
    SalesforceApiError,
    not_found,
)
from concord.sandbox.salesforce.schema.describe import basic_info, describe_global, describe_object
from concord.sandbox.salesforce.schema.fields import SObjectDef

UPSERT_200_SINCE = 46


def _dml_error(error: RecordError) -> SalesforceApiError:
    return error.as_api_error()


def describe_all(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects``."""
    return ApiResponse(200, describe_global(request.org.catalog, request.version))


def object_info(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects/{Object}``."""
    return ApiResponse(200, basic_info(sobject_or_404(request, params["sobject"]), request.version))


def describe(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects/{Object}/describe``."""
    sobject = sobject_or_404(request, params["sobject"])
    return ApiResponse(200, describe_object(request.org.catalog, sobject, request.version))


def create(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``POST /sobjects/{Object}`` (and ``POST /sobjects/{Object}/Id``) → 201 SaveResult."""
    sobject = sobject_or_404(request, params["sobject"])
    try:
        record_id = request.org.records.create(sobject, request.json(), request.ctx)
    except RecordError as error:
        raise _dml_error(error) from None
    return ApiResponse(
        201, save_result(record_id), {"Location": record_url(sobject, record_id, request.version)}
    )


def get_record(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects/{Object}/{id}[?fields=...]``."""
    sobject = sobject_or_404(request, params["sobject"])
    record_id = record_id_or_404(sobject, params["record_id"])
    fields = selected_fields(sobject, request.query.get("fields"))
    try:
        record = request.org.records.live(sobject, record_id)
    except MissingRecordError as error:
        raise error.as_api_error() from None
    return ApiResponse(200, render_record(sobject, record, request.version, fields))


def update_record(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``PATCH /sobjects/{Object}/{id}`` → 204."""
    sobject = sobject_or_404(request, params["sobject"])
    record_id = record_id_or_404(sobject, params["record_id"])
    body = request.json()
    try:
        request.org.records.update(sobject, record_id, body, request.ctx, ignore=_same_id(body, record_id))
    except MissingRecordError as error:
        raise error.as_api_error() from None
    except RecordError as error:
        raise _dml_error(error) from None
    return ApiResponse(204)


def _same_id(body: object, record_id: str) -> frozenset[str]:
    # Sending the record's own Id in the body of an update is harmless on the platform.
    if isinstance(body, Mapping):
        given = next((v for k, v in body.items() if k.lower() == "id"), None)
        if isinstance(given, str) and given[:15] == record_id[:15]:
            return frozenset({"id"})
    return frozenset()


def delete_record(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``DELETE /sobjects/{Object}/{id}`` → 204."""
    sobject = sobject_or_404(request, params["sobject"])
    record_id = record_id_or_404(sobject, params["record_id"])
    try:
        request.org.records.delete(sobject, record_id, request.ctx)
    except MissingRecordError as error:
        raise error.as_api_error() from None
    except RecordError as error:
        raise _dml_error(error) from None
    return ApiResponse(204)


def _matches(request: ApiRequest, sobject: SObjectDef, params: Mapping[str, str]) -> list[str]:
    field_def = external_field_or_404(sobject, params["field"])
    return request.org.records.lookup_external(sobject, field_def.name, params["value"])


def _multiple(request: ApiRequest, sobject: SObjectDef, record_ids: list[str]) -> ApiResponse:
    return ApiResponse(300, [record_url(sobject, rid, request.version) for rid in record_ids])


def get_by_external_id(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects/{Object}/{ExtField}/{value}``: 200 record, 300 several, 404 none."""
    sobject = sobject_or_404(request, params["sobject"])
    matches = _matches(request, sobject, params)
    if len(matches) > 1:
        return _multiple(request, sobject, matches)
    if not matches:
        raise not_found()
    fields = selected_fields(sobject, request.query.get("fields"))
    return ApiResponse(
        200, render_record(sobject, request.org.records.live(sobject, matches[0]), request.version, fields)
    )


def upsert_by_external_id(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``PATCH /sobjects/{Object}/{ExtField}/{value}``: 201 created, 200/204 updated, 300 several."""
    sobject = sobject_or_404(request, params["sobject"])
    field_def = external_field_or_404(sobject, params["field"])
    body = request.json()
    if isinstance(body, Mapping):
        for key in body:
            if key.lower() == "id":
                raise SalesforceApiError.single(
                    400, "INVALID_FIELD", "The Id field should not be specified in the sobject data."
                )
            if key.lower() == field_def.name.lower():
                raise SalesforceApiError.single(
                    400,
                    "INVALID_FIELD",
                    f"The external ID field {field_def.name} should not be specified in the sobject data; "
                    "it is taken from the URL.",
                )
    update_only = request.query.get("updateOnly", "").lower() == "true"
    records = request.org.records
    try:
        if update_only and not records.lookup_external(sobject, field_def.name, params["value"]):
            raise not_found()
        record_id, created = records.upsert(sobject, field_def, params["value"], body, request.ctx)
    except MultipleMatchesError as error:
        return _multiple(request, sobject, error.record_ids)
    except RecordError as error:
        raise _dml_error(error) from None
    if created:
        return ApiResponse(201, save_result(record_id, created=True))
    if request.version_number >= UPSERT_200_SINCE:
        return ApiResponse(200, save_result(record_id, created=False))
    return ApiResponse(204)


def delete_by_external_id(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``DELETE /sobjects/{Object}/{ExtField}/{value}`` → 204."""
    sobject = sobject_or_404(request, params["sobject"])
    matches = _matches(request, sobject, params)
    if len(matches) > 1:
        return _multiple(request, sobject, matches)
    if not matches:
        raise not_found()
    try:
        request.org.records.delete(sobject, matches[0], request.ctx)
    except RecordError as error:
        raise _dml_error(error) from None
    return ApiResponse(204)


def register(router: Router) -> None:
    """Add the sObject routes (single-record reads and writes are light)."""
    obj = r"/sobjects/(?P<sobject>[A-Za-z][A-Za-z0-9_]*)"
    router.add("GET", r"/sobjects", describe_all)
    router.add("GET", obj, object_info)
    router.add("POST", obj, create, light=True)
    router.add("GET", obj + r"/describe", describe)
    router.add("POST", obj + r"/Id", create, light=True)
    router.add("GET", obj + r"/(?P<record_id>[^/]+)", get_record, light=True)
    router.add("PATCH", obj + r"/(?P<record_id>[^/]+)", update_record, light=True)
    router.add("DELETE", obj + r"/(?P<record_id>[^/]+)", delete_record, light=True)
    router.add("GET", obj + r"/(?P<field>[^/]+)/(?P<value>[^/]+)", get_by_external_id, light=True)
    router.add("PATCH", obj + r"/(?P<field>[^/]+)/(?P<value>[^/]+)", upsert_by_external_id, light=True)
    router.add("DELETE", obj + r"/(?P<field>[^/]+)/(?P<value>[^/]+)", delete_by_external_id, light=True)
