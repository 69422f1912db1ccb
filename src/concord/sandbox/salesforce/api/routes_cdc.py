"""The sandbox-only change event transport: ``GET /services/data/vNN.0/sandbox-cdc/{Channel}``.

``Channel`` is ``AccountChangeEvent``, ``Change_Order__ChangeEvent`` ... or ``ChangeEvents`` (all).
Query parameters: ``replayId`` (events after this one; ``-1`` only new events, ``-2`` everything
retained, as in CometD), ``limit`` (1..1000, default 100) and ``wait`` (seconds to long-poll for an
event, 0..30). The answer::

    {"channel": "/data/AccountChangeEvent", "latestReplayId": 57, "events": [<CometD messages>]}

Resume with ``replayId=<latestReplayId>``: it also moves past other channels' events that were looked
at. The real platform streams the same payloads over the Pub/Sub API (gRPC) or CometD.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from concord.sandbox.salesforce.api.endpoint import api_version, org_of, render
from concord.sandbox.salesforce.api.request import ApiResponse
from concord.sandbox.salesforce.auth.sessions import authenticate
from concord.sandbox.salesforce.cdc import ALL_CHANGES, PulledEvents, channel_for, entity_for_channel
from concord.sandbox.salesforce.errors import SalesforceApiError, not_found

MAX_LIMIT = 1000
MAX_WAIT_S = 30.0
_POLL_S = 0.05


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SalesforceApiError.single(
            400,
            "INVALID_REPLAY_ID" if name == "replayId" else "MALFORMED_QUERY",
            f"{name} must be an integer",
        ) from None


def create_cdc_router() -> APIRouter:
    """The FastAPI route of the pull transport (mounted before the REST catch-all)."""
    api = APIRouter()

    @api.get("/services/data/{version}/sandbox-cdc/{channel}")
    async def pull(request: Request, version: str, channel: str) -> Response:
        org = org_of(request)
        try:
            api_version(version)
            authenticate(org.state.tokens, request.headers.get("authorization"))
            entity = entity_for_channel(channel)
            if entity == "" or (entity is not None and org.catalog.get(entity) is None):
                raise not_found()
            replay_id = _int_param(request, "replayId", -1)
            limit = min(max(_int_param(request, "limit", 100), 1), MAX_LIMIT)
            wait_s = min(max(float(request.query_params.get("wait", "0") or 0), 0.0), MAX_WAIT_S)
        except ValueError:
            return render(
                org,
                ApiResponse.from_error(
                    SalesforceApiError.single(400, "MALFORMED_QUERY", "wait must be a number")
                ),
            )
        except SalesforceApiError as error:
            return render(org, ApiResponse.from_error(error))
        if replay_id < -2:
            refusal = SalesforceApiError.single(400, "INVALID_REPLAY_ID", f"Invalid replay id: {replay_id}")
            return render(org, ApiResponse.from_error(refusal))
        after = org.changes.latest_replay_id() if replay_id == -1 else max(replay_id, 0)
        pulled = await _poll(org.changes.read, entity, after, limit, wait_s)
        body: dict[str, Any] = {
            "channel": "/data/" + ALL_CHANGES if entity is None else channel_for(entity),
            "latestReplayId": pulled.latest_replay_id,
            "events": pulled.events,
        }
        return render(org, ApiResponse(200, body))

    return api


async def _poll(read: Any, entity: str | None, after: int, limit: int, wait_s: float) -> PulledEvents:
    deadline = time.monotonic() + wait_s
    while True:
        pulled: PulledEvents = await run_in_threadpool(read, entity, after, limit)
        if pulled.events or time.monotonic() >= deadline:
            return pulled
        after = pulled.latest_replay_id
        await asyncio.sleep(_POLL_S)
