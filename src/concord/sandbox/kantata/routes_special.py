"""Routes beyond plain CRUD: subscribed events, external references, and submissions (the routes timesheets
and expense reports share, and timesheet approval)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from concord.sandbox.kantata import events, external_refs
from concord.sandbox.kantata.approvals import ApprovalService
from concord.sandbox.kantata.approvals_spec import TIMESHEET_SUBMISSIONS
from concord.sandbox.kantata.errors import bad_request, invalid, not_found, validation_failed
from concord.sandbox.kantata.hooks import Record, WriteContext
from concord.sandbox.kantata.http import json_response, read_body
from concord.sandbox.kantata.oauth import CurrentUser
from concord.sandbox.kantata.routes_crud import API, _add
from concord.sandbox.kantata.service import KantataService
from concord.sandbox.kantata.specs import ResourceSpec


def create_feed_router(service: KantataService) -> APIRouter:
    """``/subscribed_events`` and ``/subscribed_events/event_types``."""
    router = APIRouter(tags=["kantata"])
    spec = service.events_spec

    async def list_events(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        if "subject_id" in params and "subject_type" not in params:
            raise bad_request("subject_id requires subject_type")

        def work() -> dict[str, Any]:
            service.feed.maybe_prune()
            return service.reads.index(spec, params, reduce=events.most_recent)

        return json_response(await run_in_threadpool(work))

    async def event_types(user: CurrentUser) -> Response:
        names = events.event_types(service.catalog)
        schemas = {
            name: {
                "name": name,
                "description": f"A {name.split(':')[0]} was {name.split(':')[1]}.",
                "fields": {},
            }
            for name in names
        }
        return json_response({"subscribed_event_types": names, "subscribed_event_type_schemas": schemas})

    _add(router, "GET", f"{API}/subscribed_events/event_types", event_types)
    _add(router, "GET", f"{API}/subscribed_events", list_events)
    return router


def create_external_reference_router(service: KantataService) -> APIRouter:
    """``GET /external_references`` (``subject_type`` required), ``POST /external_references/
    create_or_update`` and ``DELETE /external_references/<id>``."""
    router = APIRouter(tags=["kantata"])
    spec = external_refs.EXTERNAL_REFERENCES

    async def list_refs(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        if not params.get("subject_type"):
            raise validation_failed([invalid("subject_type", "Subject type can't be blank")])
        return json_response(await run_in_threadpool(service.reads.index, spec, params))

    async def create_or_update(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        body = (await read_body(request)).get("external_reference")
        if not isinstance(body, dict):
            raise bad_request("param is missing or the value is empty: external_reference")

        def work() -> dict[str, Any]:
            values, errors = external_refs.parse_reference(body, prefix="external_reference")
            subject_spec = service.catalog.by_subject_type.get(str(body.get("subject_type")))
            subject_id = str(body.get("subject_id") or "")
            if subject_spec is None or not subject_spec.external_references:
                errors.append(invalid("subject_type", "Subject type is not included in the list"))
            elif service.repo.get(subject_spec.collection, subject_id) is None:
                errors.append(invalid("subject_id", "Subject must exist"))
            if errors:
                raise validation_failed(errors)
            assert subject_spec is not None
            ctx = service.context(user)
            with service.writing():
                saved = external_refs.attach(
                    service.repo, subject_spec.subject_type, subject_id, values, ctx.now
                )
            return service.reads.envelope(spec, [saved], params)

        return json_response(await run_in_threadpool(work))

    async def delete_ref(record_id: str, user: CurrentUser) -> Response:
        def work() -> None:
            with service.writing():
                if service.repo.get(spec.collection, record_id) is None:
                    raise not_found(f"ExternalReference {record_id} could not be found.")
                service.repo.remove(spec.collection, record_id)

        await run_in_threadpool(work)
        return Response(status_code=204)

    _add(router, "GET", f"{API}/external_references", list_refs)
    _add(router, "POST", f"{API}/external_references/create_or_update", create_or_update)
    _add(router, "DELETE", f"{API}/external_references/{{record_id}}", delete_ref, 204)
    return router


Submit = Callable[[dict[str, Any], WriteContext], Record]
"""Creates a submission from its request body."""

ResolveOne = Callable[[str, str, str | None, WriteContext], Record]
"""Resolves one submission (action, its id, the resolution's description) and returns it as it is now."""


def add_submission_routes(
    router: APIRouter,
    service: KantataService,
    spec: ResourceSpec,
    submit: Submit,
    resolve_one: ResolveOne,
    actions: Iterable[str],
) -> None:
    """The routes every kind of submission has (timesheets, expense reports): list, show, submit, and
    ``PUT <id>/<action>`` for each action."""
    base = f"{API}/{spec.collection}"

    async def index(request: Request, user: CurrentUser) -> Response:
        return json_response(await run_in_threadpool(service.reads.index, spec, dict(request.query_params)))

    async def show(record_id: str, request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        return json_response(await run_in_threadpool(service.reads.show, spec, record_id, params))

    async def create(request: Request, user: CurrentUser) -> Response:
        params = dict(request.query_params)
        body = (await read_body(request)).get(spec.singular)
        if not isinstance(body, dict):
            raise bad_request(f"param is missing or the value is empty: {spec.singular}")

        def work() -> dict[str, Any]:
            with service.writing():
                saved = submit(body, service.context(user))
            return service.reads.envelope(spec, [saved], params)

        return json_response(await run_in_threadpool(work))

    def single(action: str) -> Any:
        async def resolve_single(record_id: str, request: Request, user: CurrentUser) -> Response:
            params = dict(request.query_params)
            resolution = (await read_body(request)).get("resolution") or {}
            description = resolution.get("description") if isinstance(resolution, dict) else None

            def work() -> dict[str, Any]:
                with service.writing():
                    saved = resolve_one(action, record_id, description, service.context(user))
                return service.reads.envelope(spec, [saved], params)

            return json_response(await run_in_threadpool(work))

        return resolve_single

    _add(router, "GET", base, index)
    _add(router, "POST", base, create)
    _add(router, "GET", f"{base}/{{record_id}}", show)
    for action in actions:
        _add(router, "PUT", f"{base}/{{record_id}}/{action}", single(action))


def create_approval_router(service: KantataService) -> APIRouter:
    """Timesheet submissions and their bulk resolutions."""
    router = APIRouter(tags=["kantata"])
    approvals = ApprovalService(service)
    spec = TIMESHEET_SUBMISSIONS

    def resolve_one(action: str, record_id: str, description: str | None, ctx: WriteContext) -> Record:
        approvals.resolve(action, [record_id], description, ctx)
        record = service.repo.get(spec.collection, record_id)
        assert record is not None
        return record

    add_submission_routes(
        router, service, spec, approvals.submit, resolve_one, ("approve", "reject", "cancel")
    )

    def bulk(action: str) -> Any:
        async def resolve_many(request: Request, user: CurrentUser) -> Response:
            resolution = (await read_body(request)).get("resolution")
            if not isinstance(resolution, dict) or not isinstance(resolution.get("submission_ids"), list):
                raise bad_request("resolution.submission_ids must be a list of submission ids")
            ids = [str(item) for item in resolution["submission_ids"]]

            def work() -> dict[str, Any]:
                with service.writing():
                    made = approvals.resolve(
                        action, ids, resolution.get("description"), service.context(user)
                    )
                return {"resolutions": made}

            return json_response(await run_in_threadpool(work))

        return resolve_many

    for path, action in (
        ("timesheet_approvals", "approve"),
        ("timesheet_rejections", "reject"),
        ("timesheet_cancellations", "cancel"),
    ):
        _add(router, "POST", f"{API}/{path}", bulk(action))
    return router
