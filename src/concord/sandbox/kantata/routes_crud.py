"""Generic REST routes for catalogue resources under ``/api/v1``.

``GET/POST /<plural>.json`` and ``GET/PUT/DELETE /<plural>/<id>.json`` (the ``.json`` suffix is optional,
as Rails formats are). Bodies wrap one object in the singular key (``{"workspace": {...}}``); resources with
bulk create also take the plural key with a list of at most 100 (``{"time_entries": [...]}``). Creates and
updates answer 200 with the normal envelope, deletes 204. ``DELETE /time_entries.json?ids=1,2,3`` deletes
up to 100 entries, all or none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from concord.sandbox.core.fastlane import FastEndpoint, FastRoute, fast_route
from concord.sandbox.kantata.catalog import CRUD_SPECS, TIME_ENTRIES
from concord.sandbox.kantata.errors import ErrorItem, bad_request, invalid, validation_failed
from concord.sandbox.kantata.filters import parse_ids
from concord.sandbox.kantata.http import json_response, read_body
from concord.sandbox.kantata.oauth import CurrentUser, bearer_user
from concord.sandbox.kantata.service import KantataService
from concord.sandbox.kantata.specs import ResourceSpec
from concord.sandbox.kantata.writes import MAX_BULK

API = "/api/v1"
T = TypeVar("T")


def both(path: str) -> list[str]:
    """A route path with and without the ``.json`` suffix."""
    return [f"{path}.json", path]


def payloads_of(spec: ResourceSpec, body: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The objects to create and whether it is a bulk create.

    Raises:
        KantataApiError: 400 when the body has neither key, 422 for more than 100 objects.
    """
    if isinstance(body.get(spec.singular), dict):
        return [body[spec.singular]], False
    if spec.bulk_create and isinstance(body.get(spec.collection), list):
        items = body[spec.collection]
        if len(items) > MAX_BULK:
            raise validation_failed(
                [invalid(spec.collection, f"Bulk create accepts at most {MAX_BULK} objects")]
            )
        if not all(isinstance(item, dict) for item in items):
            raise bad_request(f"Every element of '{spec.collection}' must be an object.")
        return items, True
    raise bad_request(f"param is missing or the value is empty: {spec.singular}")


def _add(router: APIRouter, method: str, path: str, endpoint: Callable[..., Any], status: int = 200) -> None:
    for variant in both(path):
        router.add_api_route(
            variant,
            endpoint,
            methods=[method],
            status_code=status,
            include_in_schema=variant.endswith(".json"),
        )


@dataclass(frozen=True)
class _Endpoint:
    method: str
    path: str
    endpoint: Callable[..., Awaitable[Response]]
    status: int = 200


async def _run(work: Callable[[], T], *, light: bool) -> T:
    """Run a handler's store work: on the event loop when it touches one record (a threadpool hop costs
    more than that), in the threadpool for lists and bulk writes."""
    return work() if light else await run_in_threadpool(work)


def _endpoints(service: KantataService, spec: ResourceSpec) -> list[_Endpoint]:
    base = f"{API}/{spec.collection}"

    async def index(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        return json_response(await run_in_threadpool(service.reads.index, spec, params))

    async def show(record_id: str, request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        return json_response(service.reads.show(spec, record_id, params))

    async def create(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        payloads, bulk = payloads_of(spec, await read_body(request))

        def work() -> dict[str, Any]:
            with service.writing():
                saved = service.writes.create(spec, payloads, service.context(user), bulk=bulk)
            return service.reads.envelope(spec, saved, params)

        return json_response(await _run(work, light=not bulk))

    async def update(record_id: str, request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        body = await read_body(request)
        payload = body.get(spec.singular)
        if not isinstance(payload, dict):
            raise bad_request(f"param is missing or the value is empty: {spec.singular}")

        def work() -> dict[str, Any]:
            with service.writing():
                old = service.reads.visible(spec, record_id, params)
                saved = service.writes.update(spec, old, payload, service.context(user))
            return service.reads.envelope(spec, [saved], params)

        return json_response(await _run(work, light=True))

    async def destroy(record_id: str, request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)

        def work() -> None:
            with service.writing():
                record = service.reads.visible(spec, record_id, params)
                service.writes.delete(spec, [record], service.context(user))

        await _run(work, light=True)
        return Response(status_code=204)

    endpoints = [_Endpoint("GET", base, index), _Endpoint("POST", base, create)]
    if spec is TIME_ENTRIES:
        endpoints.append(_Endpoint("DELETE", base, _bulk_delete(service), 204))
    item = f"{base}/{{record_id}}"
    endpoints += [
        _Endpoint("GET", item, show),
        _Endpoint("PUT", item, update),
        _Endpoint("PATCH", item, update),
        _Endpoint("DELETE", item, destroy, 204),
    ]
    return endpoints


def _bulk_delete(service: KantataService) -> Callable[..., Any]:
    async def bulk_delete(request: Request, user: CurrentUser) -> Response:
        body = await read_body(request)
        raw = request.query_params.get("ids") or str(body.get("ids") or "")
        try:
            ids = parse_ids(raw)
        except ValueError as exc:
            raise bad_request(f"ids must be a comma-separated list of ids: {exc}") from exc
        if not ids or len(ids) > MAX_BULK:
            raise bad_request(f"Give between 1 and {MAX_BULK} ids.")

        def work() -> None:
            with service.writing():
                records, errors = [], []
                for rid in ids:
                    record = service.repo.get(TIME_ENTRIES.collection, rid)
                    if record is None:
                        errors.append(ErrorItem("validation", f"Time entry {rid} could not be found", "ids"))
                    else:
                        records.append(record)
                if errors:
                    raise validation_failed(errors)
                service.writes.delete(TIME_ENTRIES, records, service.context(user))

        await run_in_threadpool(work)
        return Response(status_code=204)

    return bulk_delete


def create_crud_router(service: KantataService) -> APIRouter:
    """Routes for every generic catalogue resource."""
    router = APIRouter(tags=["kantata"])
    for spec in CRUD_SPECS:
        for endpoint in _endpoints(service, spec):
            _add(router, endpoint.method, endpoint.path, endpoint.endpoint, endpoint.status)
    return router


def crud_fast_routes(service: KantataService) -> list[FastRoute]:
    """The same routes, in the same order, for the core's fast lane (no other route of the app comes
    before them that could match their paths: only the OAuth routes do, under ``/oauth``)."""
    routes = []
    for spec in CRUD_SPECS:
        for endpoint in _endpoints(service, spec):
            serve = _fast(endpoint.endpoint)
            routes += [fast_route(variant, [endpoint.method], serve) for variant in both(endpoint.path)]
    return routes


def _fast(endpoint: Callable[..., Awaitable[Response]]) -> FastEndpoint:
    async def serve(request: Request, params: Mapping[str, str]) -> Response:
        # As FastAPI would: the bearer token first (401 before anything else), then the endpoint.
        return await endpoint(request=request, user=bearer_user(request), **params)

    return serve
