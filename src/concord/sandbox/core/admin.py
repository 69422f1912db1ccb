"""The admin API every emulator serves under ``/__sandbox`` (loopback only, no auth, not the platform's).

JSON shapes (also used by the ``concord sandbox faults`` CLI):

- ``GET /faults`` -> ``{"rules": [Rule + {"stats": {"matched", "affected", "injected": {kind: n}}}]}``
- ``PUT /faults`` ``{"rules": [Rule]}`` -> same as GET (replaces all rules, counters restart)
- ``POST /faults`` ``Rule`` -> 201 ``Rule`` with its ``id`` (409 if a given ``id`` is taken);
  ``DELETE /faults`` -> ``{"rules": []}``;
  ``DELETE /faults/{id}`` -> 204 (404 if unknown)
- ``GET /requests?path=&method=&status=&fault=&since_seq=&limit=`` -> ``{"total": matched,
  "requests": [Record]}`` (newest ``limit`` of the matches, oldest first); ``DELETE /requests`` ->
  ``{"cleared": n}``
- ``GET /profile`` -> ``{"mode", "platform": PlatformProfile, "calls_today", "remaining_today",
  "in_flight"}``; ``PUT /profile`` ``ProfileUpdate`` -> same
- ``GET /clock`` -> ``{"now", "frozen", "offset_s"}``; ``PUT /clock`` ``ClockUpdate`` -> same
- ``POST /reset`` optional ``ResetRequest`` -> ``{"reset": ResetRequest}``
- ``POST /tokens/expire`` -> ``{"expired": n}``; ``GET /health`` -> ``{"status": "ok", ...}``

A Rule is ``FaultRule`` as JSON (see ``concord.sandbox.core.faults.rules``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from concord.sandbox.core.clock import Clock, ClockError
from concord.sandbox.core.faults import FaultRule, FaultRuleSet, FaultSet
from concord.sandbox.core.profiles import ProfileUpdate
from concord.sandbox.core.state import SandboxDep


class ClockUpdate(BaseModel):
    """Body of ``PUT /__sandbox/clock``; applied in the order reset, now (with frozen), advance_s."""

    model_config = ConfigDict(extra="forbid")

    reset: bool = False
    now: datetime | None = None
    advance_s: float | None = None
    frozen: bool | None = None


class ResetRequest(BaseModel):
    """Body of ``POST /__sandbox/reset``: what to wipe (by default all but issued tokens)."""

    model_config = ConfigDict(extra="forbid")

    data: bool = True
    faults: bool = True
    requests: bool = True
    clock: bool = True
    counters: bool = True
    tokens: bool = False


class RequestQuery(BaseModel):
    """Filters of ``GET /__sandbox/requests`` (see ``RequestLog.query``)."""

    path: str | None = None
    method: str | None = None
    status: str | None = Field(default=None, description="A code such as 429 or a class such as 5xx.")
    fault: str | None = Field(default=None, description="A fault label, or 'any'.")
    since_seq: int | None = None
    limit: int = Field(default=1000, ge=0, le=1_000_000)


def _rules_view(faults: FaultSet) -> dict[str, Any]:
    stats = faults.stats()
    return {
        "rules": [
            {**rule.model_dump(mode="json"), "stats": stats.get(rule.id or "", {})} for rule in faults.rules()
        ]
    }


def _clock_view(clock: Clock) -> dict[str, Any]:
    return {"now": clock.now().isoformat(), "frozen": clock.frozen, "offset_s": clock.offset.total_seconds()}


def create_admin_router() -> APIRouter:
    """The admin routes (mounted by ``create_emulator_app`` at ``/__sandbox``)."""
    router = APIRouter(tags=["sandbox-admin"])

    @router.get("/faults")
    async def list_faults(sandbox: SandboxDep) -> dict[str, Any]:
        return _rules_view(sandbox.faults)

    @router.put("/faults")
    async def replace_faults(sandbox: SandboxDep, body: FaultRuleSet) -> dict[str, Any]:
        try:
            sandbox.faults.replace(body.rules)
        except ValueError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
        return _rules_view(sandbox.faults)

    @router.post("/faults", status_code=status.HTTP_201_CREATED)
    async def add_fault(sandbox: SandboxDep, rule: FaultRule) -> dict[str, Any]:
        try:
            return sandbox.faults.add(rule).model_dump(mode="json")
        except ValueError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc

    @router.delete("/faults")
    async def clear_faults(sandbox: SandboxDep) -> dict[str, Any]:
        sandbox.faults.clear()
        return _rules_view(sandbox.faults)

    @router.delete("/faults/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def remove_fault(sandbox: SandboxDep, rule_id: str) -> Response:
        if not sandbox.faults.remove(rule_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no fault rule with id {rule_id!r}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.get("/requests")
    async def list_requests(sandbox: SandboxDep, query: Annotated[RequestQuery, Query()]) -> dict[str, Any]:
        filters = query.model_dump(exclude={"limit"})
        try:
            matches = sandbox.requests.query(**filters)
        except ValueError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        shown = matches[-query.limit :] if query.limit else []
        return {"total": len(matches), "requests": [record.to_json() for record in shown]}

    @router.delete("/requests")
    async def clear_requests(sandbox: SandboxDep) -> dict[str, int]:
        cleared = len(sandbox.requests)
        sandbox.requests.clear()
        return {"cleared": cleared}

    @router.get("/profile")
    async def get_profile(sandbox: SandboxDep) -> dict[str, Any]:
        return sandbox.profile.view()

    @router.put("/profile")
    async def put_profile(sandbox: SandboxDep, change: ProfileUpdate) -> dict[str, Any]:
        sandbox.profile.update(change)
        if change.token_clock is not None:
            sandbox.tokens.real_time = change.token_clock == "real"
        return {**sandbox.profile.view(), "token_clock": "real" if sandbox.tokens.real_time else "emulator"}

    @router.get("/clock")
    async def get_clock(sandbox: SandboxDep) -> dict[str, Any]:
        return _clock_view(sandbox.clock)

    @router.put("/clock")
    async def put_clock(sandbox: SandboxDep, change: ClockUpdate) -> dict[str, Any]:
        clock = sandbox.clock
        try:
            if change.reset:
                clock.reset()
            if change.now is not None:
                # Freeze in the same step, or the clock would run on between set and freeze.
                clock.set(change.now, frozen=change.frozen)
            elif change.frozen is True:
                clock.freeze()
            elif change.frozen is False:
                clock.unfreeze()
            if change.advance_s is not None:
                clock.advance(change.advance_s)
        except ClockError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        return _clock_view(clock)

    @router.post("/reset")
    def reset(sandbox: SandboxDep, body: Annotated[ResetRequest | None, Body()] = None) -> dict[str, Any]:
        # A sync handler: wiping a large store must not block the event loop.
        options = body or ResetRequest()
        sandbox.reset(**options.model_dump())
        return {"reset": options.model_dump()}

    @router.post("/tokens/expire")
    async def expire_tokens(sandbox: SandboxDep) -> dict[str, int]:
        return {"expired": sandbox.tokens.expire_all()}

    @router.get("/health")
    async def health(sandbox: SandboxDep) -> dict[str, Any]:
        return sandbox.health()

    return router
