"""HTTP routes of the emulated REST web services: records, SuiteQL, asynchronous jobs.

Every route checks the bearer token first, turns the request into an ``Operation`` and either runs it
(in the threadpool: the document store is synchronous) or, with ``Prefer: respond-async``, queues it as
a job that runs after the 202 answer is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from concord.sandbox.core import SandboxState
from concord.sandbox.core.fastlane import FastEndpoint, FastRoute, fast_route
from concord.sandbox.netsuite.auth import CertificateRegistry, require_token
from concord.sandbox.netsuite.errors import error
from concord.sandbox.netsuite.jobs import IDEMPOTENCY_HEADER, JOB_PATH, AsyncJobs
from concord.sandbox.netsuite.operations import Operation, Outcome
from concord.sandbox.netsuite.render import RECORD_PATH
from concord.sandbox.netsuite.service import RecordService
from concord.sandbox.netsuite.suiteql.service import QUERY_PATH

_RECORD_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def to_response(outcome: Outcome) -> Response:
    """The HTTP response for an outcome."""
    headers = {k: v for k, v in outcome.headers.items() if k.lower() != "content-type"}
    media_type = outcome.headers.get("content-type")
    return Response(outcome.body or b"", status_code=outcome.status, headers=headers, media_type=media_type)


def platform_router(service: RecordService, jobs: AsyncJobs, realm: str, fast: list[FastRoute]) -> APIRouter:
    """Routes for the record, query and async services under ``/services/rest``; the record and query
    routes are also appended to ``fast``, for the core's fast lane (no earlier route shares their
    paths)."""
    router = APIRouter()

    async def operation(request: Request) -> Operation:
        sandbox: SandboxState = request.app.state.sandbox
        require_token(sandbox, request.headers.get("authorization"), realm)
        validation = request.headers.get("x-netsuite-propertynamevalidation", "")
        return Operation(
            method=request.method,
            path=request.url.path,
            params=dict(request.query_params),
            body=await request.body(),
            base_url=str(request.base_url),
            strict_names=validation.strip().lower() == "error",
        )

    async def perform(request: Request, background: BackgroundTasks, op: Operation) -> Response:
        prefer = request.headers.get("prefer", "").lower()
        if "respond-async" in prefer:
            outcome, job_id = await run_in_threadpool(
                jobs.submit, op, request.headers.get(IDEMPOTENCY_HEADER)
            )
            if job_id is not None:
                background.add_task(jobs.run, job_id)
            return to_response(outcome)
        if service.is_light(op):
            return to_response(service.execute(op))
        return to_response(await run_in_threadpool(service.execute, op))

    async def records(request: Request, background: BackgroundTasks) -> Response:
        return await perform(request, background, await operation(request))

    async def suiteql(request: Request, background: BackgroundTasks) -> Response:
        op = await operation(request)
        prefer = request.headers.get("prefer", "").lower()
        if "transient" not in prefer and "respond-async" not in prefer:
            raise error(
                400, "INVALID_HEADER", "SuiteQL queries need the header Prefer: transient.", header="Prefer"
            )
        return await perform(request, background, op)

    router.add_api_route(
        RECORD_PATH + "/{rest:path}", records, methods=_RECORD_METHODS, include_in_schema=False
    )
    router.add_api_route(QUERY_PATH, suiteql, methods=["POST"], include_in_schema=False)

    @router.get(JOB_PATH + "/{rest:path}", include_in_schema=False)
    async def async_job(request: Request) -> Response:
        op = await operation(request)
        outcome = await run_in_threadpool(jobs.answer, op.path, op.base_url)
        return to_response(outcome)

    fast.extend(
        [
            fast_route(RECORD_PATH + "/{rest:path}", _RECORD_METHODS, _with_background(records)),
            fast_route(QUERY_PATH, ["POST"], _with_background(suiteql)),
        ]
    )
    return router


def _with_background(endpoint: Callable[[Request, BackgroundTasks], Awaitable[Response]]) -> FastEndpoint:
    """A fast-lane endpoint for ``endpoint``, with background tasks run after the answer is sent, as
    FastAPI runs them."""

    async def serve(request: Request, params: Mapping[str, str]) -> Response:
        background = BackgroundTasks()
        response = await endpoint(request, background)
        if response.background is None:
            response.background = background
        return response

    return serve


def certificate_admin_router(registry: CertificateRegistry) -> APIRouter:
    """``PUT /__sandbox/netsuite/certificates/{client_id}/{certificate_id}`` with a PEM body: map a
    certificate to an integration at run time (what the OAuth 2.0 Client Credentials Setup page does)."""
    router = APIRouter()

    @router.put("/__sandbox/netsuite/certificates/{client_id}/{certificate_id}", status_code=204)
    async def register(client_id: str, certificate_id: str, request: Request) -> Response:
        try:
            registry.register(client_id, certificate_id, await request.body())
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from exc
        return Response(status_code=204)

    return router
