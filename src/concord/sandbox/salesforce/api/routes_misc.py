"""The version root (``GET /services/data/vNN.0/``), ``GET /limits``, and the replication resources
``GET /sobjects/{Object}/updated`` and ``/deleted`` (``?start=&end=``, at most 30 days back, record
modification tracked by ``SystemModstamp``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from concord.sandbox.salesforce.api.common import sobject_or_404
from concord.sandbox.salesforce.api.request import ApiRequest, ApiResponse, Router
from concord.sandbox.salesforce.errors import SalesforceApiError
from concord.sandbox.salesforce.limits import limits_body
from concord.sandbox.salesforce.values import format_datetime, parse_datetime

REPLICATION_WINDOW = timedelta(days=30)
_RESOURCES = ("sobjects", "query", "queryAll", "composite", "limits")


def version_root(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /services/data/vNN.0/``: the resources of this version."""
    base = f"/services/data/v{request.version}"
    return ApiResponse(200, {name: f"{base}/{name}" for name in _RESOURCES})


def limits(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /limits``."""
    return ApiResponse(200, limits_body(request.org.state.profile))


def _window(request: ApiRequest) -> tuple[datetime, datetime]:
    start_text, end_text = request.query.get("start"), request.query.get("end")
    if not start_text or not end_text:
        raise SalesforceApiError.single(400, "MISSING_ARGUMENT", "start and end are both required")
    start, end = parse_datetime(start_text), parse_datetime(end_text)
    if start is None or end is None:
        raise SalesforceApiError.single(
            400, "INVALID_REPLICATION_DATE", f"Invalid date: {start_text if start is None else end_text}"
        )
    now = request.org.state.clock.now()
    if start < now - REPLICATION_WINDOW:
        raise SalesforceApiError.single(
            400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago"
        )
    if end <= start:
        raise SalesforceApiError.single(400, "INVALID_REPLICATION_DATE", "EndDate must be after StartDate")
    # The platform truncates to the minute and never covers the future.
    return start.replace(second=0, microsecond=0), min(end, now).replace(second=0, microsecond=0)


def _stamp(record: Mapping[str, Any]) -> datetime | None:
    value = record.get("SystemModstamp")
    return parse_datetime(value) if isinstance(value, str) else None


def updated(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects/{Object}/updated/?start=&end=``."""
    sobject = sobject_or_404(request, params["sobject"])
    start, end = _window(request)
    changed = [
        str(r["Id"])
        for r in request.org.repo.scan(sobject.name)
        if (stamp := _stamp(r)) is not None and start <= stamp < end
    ]
    return ApiResponse(200, {"ids": changed, "latestDateCovered": format_datetime(end)})


def deleted(request: ApiRequest, params: Mapping[str, str]) -> ApiResponse:
    """``GET /sobjects/{Object}/deleted/?start=&end=``."""
    sobject = sobject_or_404(request, params["sobject"])
    start, end = _window(request)
    gone = [
        {"id": r["Id"], "deletedDate": r["SystemModstamp"]}
        for r in request.org.repo.scan(sobject.name, include_deleted=True)
        if r.get("IsDeleted") and (stamp := _stamp(r)) is not None and start <= stamp < end
    ]
    earliest = request.org.state.clock.now() - REPLICATION_WINDOW
    return ApiResponse(
        200,
        {
            "deletedRecords": gone,
            "earliestDateAvailable": format_datetime(earliest.replace(second=0, microsecond=0)),
            "latestDateCovered": format_datetime(end),
        },
    )


def register(router: Router) -> None:
    """Add the root, limits and replication routes (before the record routes they would shadow)."""
    router.add("GET", r"", version_root, light=True)
    router.add("GET", r"/limits", limits, light=True)
    router.add("GET", r"/sobjects/(?P<sobject>[A-Za-z][A-Za-z0-9_]*)/updated", updated)
    router.add("GET", r"/sobjects/(?P<sobject>[A-Za-z][A-Za-z0-9_]*)/deleted", deleted)
