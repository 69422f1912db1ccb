"""sObject Collections: create (``POST``), update (``PATCH``), delete (``DELETE ?ids=``), retrieve
(``GET /composite/sobjects/{Object}?ids=&fields=``) and upsert (``PATCH
/composite/sobjects/{Object}/{ExtField}``) up to 200 records, answering 200 with one result per record
in request order. With ``allOrNone`` a single failure rolls every record back (the others report
``ALL_OR_NONE_OPERATION_ROLLED_BACK``); without it each record commits on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.api.common import (
    external_field_or_404,
    render_record,
    save_result,
    selected_fields,
    sobject_or_404,
)
from concord.sandbox.salesforce.api.request import ApiRequest, ApiResponse, Router
from concord.sandbox.salesforce.errors import MultipleMatchesError, RecordError, SalesforceApiError
from concord.sandbox.salesforce.records.context import CallContext
from concord.sandbox.salesforce.schema.fields import FieldDef, SObjectDef

MAX_RECORDS = 200
Result = dict[str, Any]
Operation = Callable[[CallContext], Result]


class _RollBack(Exception):
    """Raised inside an all-or-none transaction to undo it."""


def run_batch(
    request: ApiRequest, operations: list[Operation | RecordError], all_or_none: bool
) -> list[Result]:
    """Run per-record operations (or pre-decided failures) with collection semantics."""
    if not all_or_none:
        return _each_on_its_own(request, operations)
    results: list[Result] = []
    try:
        with request.org.repo.transaction():
            results = [_attempt(op, request.ctx) for op in operations]
            if any(not r["success"] for r in results):
                raise _RollBack
    except _RollBack:
        return _rolled_back(results)
    return results


def _rolled_back(results: list[Result]) -> list[Result]:
    """All-or-none results after a failure: the successes report that they were rolled back."""
    rolled_back = RecordError(
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "Record rolled back because not all records were valid and the request was using AllOrNone header",
    )
    return [r if not r["success"] else save_result(None, [rolled_back]) for r in results]


def _each_on_its_own(request: ApiRequest, operations: list[Operation | RecordError]) -> list[Result]:
    """Every record in its own platform transaction: a failed one leaves nothing behind and the others
    stand. The store commits them together (each record's writes sit in a savepoint that its failure
    rolls back), which is far cheaper than a commit per record; an unexpected error still keeps the
    records written before it, as separate commits would."""
    results: list[Result] = []
    crash: Exception | None = None
    with request.org.repo.transaction():
        for operation in operations:
            try:
                results.append(_attempt(operation, request.ctx.new_transaction()))
            except Exception as error:  # the request fails; what was written before it stays
                crash = error
                break
    if crash is not None:
        raise crash
    return results


def _attempt(operation: Operation | RecordError, ctx: CallContext) -> Result:
    if isinstance(operation, RecordError):
        return save_result(None, [operation])
    try:
        return operation(ctx)
    except RecordError as error:
        return save_result(None, [error])


def _records(request: ApiRequest) -> tuple[list[Any], bool]:
    body = request.json()
    if not isinstance(body, Mapping) or not isinstance(body.get("records"), list):
        raise SalesforceApiError.single(
            400, "JSON_PARSER_ERROR", "The request body must be an object with 'records'"
        )
    records: list[Any] = body["records"]
    if len(records) > MAX_RECORDS:
        raise SalesforceApiError.single(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    return records, bool(body.get("allOrNone", False))


def _typed(request: ApiRequest, record: Any) -> SObjectDef:
    attributes = record.get("attributes") if isinstance(record, Mapping) else None
    type_name = attributes.get("type") if isinstance(attributes, Mapping) else None
    if not isinstance(type_name, str):
        raise RecordError("INVALID_TYPE", "Must send a concrete entity type.")
    sobject = request.org.catalog.get(type_name)
    if sobject is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{type_name}' is not supported.")
    return sobject


def create_many(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``POST /composite/sobjects``: the records' writes go to the store together when the service can
    batch them (the same outcome as one by one), else one by one."""
    records, all_or_none = _records(request)
    service = request.org.records
    items: list[tuple[SObjectDef, Any] | RecordError] = []
    for record in records:
        try:
            items.append((_typed(request, record), record))
        except RecordError as error:
            items.append(error)
    outcomes = service.create_each(items, request.ctx, all_or_none=all_or_none)
    if outcomes is not None:
        results = [save_result(o) if isinstance(o, str) else save_result(None, [o]) for o in outcomes]
        if all_or_none and any(not r["success"] for r in results):
            results = _rolled_back(results)
        return ApiResponse(200, results)

    def plan(record: Any) -> Operation | RecordError:
        try:
            sobject = _typed(request, record)
        except RecordError as error:
            return error
        return lambda ctx: save_result(service.create(sobject, record, ctx))

    return ApiResponse(200, run_batch(request, [plan(r) for r in records], all_or_none))


def update_many(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``PATCH /composite/sobjects``."""
    records, all_or_none = _records(request)
    service = request.org.records

    def plan(record: Any) -> Operation | RecordError:
        try:
            sobject = _typed(request, record)
        except RecordError as error:
            return error
        given = next((v for k, v in record.items() if k.lower() == "id"), None)
        if not isinstance(given, str):
            return RecordError("MISSING_ARGUMENT", "Id not specified in an update call")
        record_id = ids.normalize(given)
        if record_id is None or record_id[:3] != sobject.key_prefix:
            return RecordError("MALFORMED_ID", f"malformed id {given}")
        return lambda ctx: save_result(
            service.update(sobject, record_id, record, ctx, ignore=frozenset({"id"}))
        )

    return ApiResponse(200, run_batch(request, [plan(r) for r in records], all_or_none))


def delete_many(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``DELETE /composite/sobjects?ids=a,b&allOrNone=true``."""
    given = [part for part in request.query.get("ids", "").split(",") if part]
    if len(given) > MAX_RECORDS:
        raise SalesforceApiError.single(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )
    org = request.org

    def plan(raw_id: str) -> Operation | RecordError:
        record_id = ids.normalize(raw_id)
        sobject = org.catalog.for_id(record_id) if record_id else None
        if record_id is None or sobject is None:
            return RecordError("MALFORMED_ID", f"malformed id {raw_id}")

        def delete(ctx: CallContext) -> Result:
            org.records.delete(sobject, record_id, ctx)
            return save_result(record_id)

        return delete

    all_or_none = request.query.get("allOrNone", "false").lower() == "true"
    return ApiResponse(200, run_batch(request, [plan(i) for i in given], all_or_none))


def retrieve_many(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /composite/sobjects/{Object}?ids=&fields=``: records in order, null for missing ones."""
    sobject = sobject_or_404(request, params["sobject"])
    fields = selected_fields(sobject, request.query.get("fields"))
    if fields is None:
        raise SalesforceApiError.single(400, "MISSING_ARGUMENT", "fields parameter is required")
    found: list[Any] = []
    for raw_id in (part for part in request.query.get("ids", "").split(",") if part):
        record_id = ids.normalize(raw_id)
        record = request.org.repo.get(sobject.name, record_id) if record_id else None
        found.append(None if record is None else render_record(sobject, record, request.version, fields))
    return ApiResponse(200, found)


def upsert_many(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``PATCH /composite/sobjects/{Object}/{ExtField}``."""
    sobject = sobject_or_404(request, params["sobject"])
    field_def = external_field_or_404(sobject, params["field"])
    records, all_or_none = _records(request)
    keys = [_external_value(r, field_def) for r in records]
    counts = Counter(k.casefold() for k in keys if k)
    operations = [
        _upsert_plan(request, sobject, field_def, r, k, counts) for r, k in zip(records, keys, strict=True)
    ]
    return ApiResponse(200, run_batch(request, operations, all_or_none))


def _external_value(record: Any, field_def: FieldDef) -> str | None:
    if not isinstance(record, Mapping):
        return None
    value = next((v for k, v in record.items() if k.lower() == field_def.name.lower()), None)
    return None if value is None else str(value)


def _upsert_plan(
    request: ApiRequest,
    sobject: SObjectDef,
    field_def: FieldDef,
    record: Any,
    key: str | None,
    counts: Counter[str],
) -> Operation | RecordError:
    try:
        if _typed(request, record).name != sobject.name:
            return RecordError("INVALID_TYPE", f"Record type must be {sobject.name}")
    except RecordError as error:
        return error
    if any(k.lower() == "id" for k in record):
        return RecordError(
            "INVALID_FIELD", "The Id field should not be specified in the sobject data.", ["Id"]
        )
    if key is None:
        return RecordError("MISSING_ARGUMENT", f"{field_def.name} not specified", [field_def.name])
    if counts[key.casefold()] > 1:
        return RecordError(
            "DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {key}", [field_def.name]
        )
    body = {k: v for k, v in record.items() if k.lower() != field_def.name.lower()}

    def upsert(ctx: CallContext) -> Result:
        try:
            record_id, created = request.org.records.upsert(sobject, field_def, key, body, ctx)
        except MultipleMatchesError as error:
            raise RecordError(
                "DUPLICATE_EXTERNAL_ID",
                f"{field_def.name}: more than one record found for external id field: {error.record_ids}",
                [field_def.name],
            ) from None
        return save_result(record_id, created=created)

    return upsert


def register(router: Router) -> None:
    """Add the sObject Collections routes."""
    router.add("POST", r"/composite/sobjects", create_many)
    router.add("PATCH", r"/composite/sobjects", update_many)
    router.add("DELETE", r"/composite/sobjects", delete_many)
    router.add("GET", r"/composite/sobjects/(?P<sobject>[A-Za-z][A-Za-z0-9_]*)", retrieve_many)
    router.add(
        "PATCH", r"/composite/sobjects/(?P<sobject>[A-Za-z][A-Za-z0-9_]*)/(?P<field>[^/]+)", upsert_many
    )
