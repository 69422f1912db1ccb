"""The FastAPI side of the REST API: ``GET /services/data`` (versions, no auth) and one route for
everything under ``/services/data/vNN.0`` that checks the version and the session, then runs the
internal router in a worker thread. Every answer carries ``Sforce-Limit-Info``."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from concord.sandbox.core.fastlane import FastRoute, fast_route
from concord.sandbox.salesforce.api import (
    routes_collections,
    routes_composite,
    routes_misc,
    routes_query,
    routes_sobjects,
)
from concord.sandbox.salesforce.api.request import ApiRequest, ApiResponse, Router, dump_json
from concord.sandbox.salesforce.auth.sessions import Session, authenticate
from concord.sandbox.salesforce.errors import SalesforceApiError, not_found
from concord.sandbox.salesforce.limits import limit_info_header
from concord.sandbox.salesforce.org import SalesforceOrg
from concord.sandbox.salesforce.records.context import CallContext

MIN_VERSION = 50
MAX_VERSION = 68
JSON_TYPE = "application/json;charset=UTF-8"
_VERSIONED = re.compile(r"^v(\d+)\.0(/.*)?$")
_CLIENT_OPTION = re.compile(r"client\s*=\s*([^,;\s]+)")
_SEASONS = ("Winter", "Spring", "Summer")
_METHODS = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]


def versions() -> list[dict[str, str]]:
    """``GET /services/data``: the served API versions with their release labels."""
    out = []
    for version in range(MIN_VERSION, MAX_VERSION + 1):
        step = version - MIN_VERSION
        label = f"{_SEASONS[step % 3]} '{21 + step // 3}"
        out.append({"label": label, "url": f"/services/data/v{version}.0", "version": f"{version}.0"})
    return out


def build_router() -> Router:
    """The internal router with every REST resource."""
    router = Router()
    routes_misc.register(router)
    routes_query.register(router)
    routes_composite.register(router)
    routes_collections.register(router)
    routes_sobjects.register(router)
    return router


def api_version(version_text: str) -> str:
    """``59.0`` from ``v59.0`` when the version is served.

    Raises:
        SalesforceApiError: 404 NOT_FOUND for an unknown version.
    """
    match = re.fullmatch(r"v(\d+)\.0", version_text)
    if match is None or not MIN_VERSION <= int(match.group(1)) <= MAX_VERSION:
        raise not_found()
    return f"{int(match.group(1))}.0"


def org_of(request: Request) -> SalesforceOrg:
    """The org behind the app."""
    org: SalesforceOrg = request.app.state.salesforce
    return org


def call_context(session: Session, version: str, headers: Mapping[str, str]) -> CallContext:
    """The context of a call: its user, version and ``Sforce-Call-Options`` client."""
    match = _CLIENT_OPTION.search(headers.get("sforce-call-options", ""))
    return CallContext(session.user_id, version, match.group(1) if match else None)


def render(org: SalesforceOrg, response: ApiResponse) -> Response:
    """The HTTP response, with ``Sforce-Limit-Info``."""
    headers = {**response.headers, "Sforce-Limit-Info": limit_info_header(org.state.profile)}
    if response.body is None:
        return Response(status_code=response.status, headers=headers)
    return Response(
        dump_json(response.body), status_code=response.status, headers=headers, media_type=JSON_TYPE
    )


async def serve_data_api(request: Request, rest: str, router: Router) -> Response:
    """Any call under ``/services/data/{rest}``: version and session checks, then the internal router."""
    org = org_of(request)
    try:
        match = _VERSIONED.match(rest)
        if match is None:
            raise not_found()
        version = api_version(f"v{match.group(1)}.0")
        session = authenticate(org.state.tokens, request.headers.get("authorization"))
    except SalesforceApiError as error:
        return render(org, ApiResponse.from_error(error))
    headers = {k.lower(): v for k, v in request.headers.items()}
    api_request = ApiRequest(
        org=org,
        method=request.method,
        version=version,
        path=(match.group(2) or "").rstrip("/"),
        query=dict(request.query_params),
        headers=headers,
        session=session,
        ctx=call_context(session, version, headers),
        raw_body=await request.body(),
    )
    call = router.plan(api_request)
    response = call.run() if call.light else await run_in_threadpool(call.run)
    if request.method == "HEAD":
        response.body = None
    return render(org, response)


def fast_routes(router: Router) -> list[FastRoute]:
    """The data API for the core's fast lane: everything the catch-all route serves, except the paths
    that earlier FastAPI routes own (the version list and the change event transport)."""

    async def data_api(request: Request, params: Mapping[str, str]) -> Response:
        return await serve_data_api(request, params["rest"], router)

    return [
        fast_route("/services/data/", ["GET"], None),
        fast_route("/services/data/{version}/sandbox-cdc/{channel}", ["GET"], None),
        fast_route("/services/data/{rest:path}", _METHODS, data_api),
    ]


def create_data_router(router: Router) -> APIRouter:
    """The FastAPI routes of ``/services/data`` (``router`` serves the versioned resources)."""
    api = APIRouter()

    @api.get("/services/data")
    @api.get("/services/data/")
    async def list_versions() -> Response:
        return Response(dump_json(versions()), media_type=JSON_TYPE)

    @api.api_route("/services/data/{rest:path}", methods=_METHODS)
    async def data_api(request: Request, rest: str) -> Response:
        return await serve_data_api(request, rest, router)

    return api
