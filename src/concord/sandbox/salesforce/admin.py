"""Salesforce-specific sandbox admin routes under ``/__sandbox/salesforce`` (loopback, no auth, not part
of the emulated API; the core's ``/__sandbox`` routes cover faults, profile, clock, reset):

- ``GET /info`` → org id, login defaults, connected apps (no secrets), record counts, latest replay id
- ``POST /connected-apps`` ``{"client_id", "client_secret", "certificate"?, "run_as"?}`` → 201
- ``POST /users`` ``{"username", "password", "security_token", "first_name"?, "last_name"?}`` → 201 ``{"id"}``
- ``POST /seed`` ``{"sobject", "records": [...], "emit_events": false}`` → 201 ``{"ids": [...]}``, every
  record validated as a create, all in one transaction (none on error: 400 with the failure)
- ``POST /undelete/{record_id}`` → ``{"id"}``: restore from the recycle bin (emits an UNDELETE event),
  as a user would in the UI; the REST API has no undelete resource.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.auth.directory import ConnectedApp, DirectoryError
from concord.sandbox.salesforce.errors import RecordError
from concord.sandbox.salesforce.ids import ORG_ID
from concord.sandbox.salesforce.org import (
    DEFAULT_PASSWORD,
    DEFAULT_SECURITY_TOKEN,
    DEFAULT_USERNAME,
    SalesforceOrg,
)


class AppRegistration(BaseModel):
    """A connected app to register."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1, repr=False)
    certificate: str | None = None
    run_as: str | None = DEFAULT_USERNAME


class UserRegistration(BaseModel):
    """A user to create, with login credentials."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3)
    password: str = Field(min_length=1, repr=False)
    security_token: str = Field(default="", repr=False)
    first_name: str = ""
    last_name: str = "User"


class SeedRequest(BaseModel):
    """Records to load."""

    model_config = ConfigDict(extra="forbid")

    sobject: str
    records: list[dict[str, Any]]
    emit_events: bool = False


def _org(request: Request) -> SalesforceOrg:
    org: SalesforceOrg = request.app.state.salesforce
    return org


def create_salesforce_admin_router() -> APIRouter:
    """The routes above (mounted at ``/__sandbox/salesforce``)."""
    api = APIRouter(tags=["sandbox-admin-salesforce"])

    @api.get("/info")
    def info(request: Request) -> dict[str, Any]:
        org = _org(request)
        return {
            "organization_id": ORG_ID,
            "default_login": {
                "username": DEFAULT_USERNAME,
                "password": DEFAULT_PASSWORD,
                "security_token": DEFAULT_SECURITY_TOKEN,
            },
            "connected_apps": [
                {"client_id": a.client_id, "run_as": a.run_as, "jwt_certificate": a.certificate is not None}
                for a in org.directory.apps()
            ],
            "records": {s.name: org.repo.count(s.name) for s in org.catalog.all()},
            "latest_replay_id": org.changes.latest_replay_id(),
        }

    @api.post("/connected-apps", status_code=status.HTTP_201_CREATED)
    def register_app(request: Request, body: AppRegistration) -> dict[str, Any]:
        try:
            _org(request).directory.put_app(
                ConnectedApp(body.client_id, body.client_secret, body.certificate, body.run_as)
            )
        except DirectoryError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        return {"client_id": body.client_id}

    @api.post("/users", status_code=status.HTTP_201_CREATED)
    def add_user(request: Request, body: UserRegistration) -> dict[str, str]:
        try:
            user_id = _org(request).add_user(
                body.username,
                body.password,
                body.security_token,
                first_name=body.first_name,
                last_name=body.last_name,
            )
        except RecordError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        return {"id": user_id}

    @api.post("/seed", status_code=status.HTTP_201_CREATED)
    def seed(request: Request, body: SeedRequest) -> dict[str, Any]:
        org = _org(request)
        sobject = org.catalog.get(body.sobject)
        if sobject is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown sObject {body.sobject!r}")
        ctx = org.system_context()
        ctx.record_changes = body.emit_events
        created: list[str] = []
        # An HTTPException inside the transaction rolls the whole seed back.
        with org.repo.transaction():
            for index, record in enumerate(body.records):
                try:
                    created.append(org.records.create(sobject, record, ctx))
                except RecordError as exc:
                    detail = f"record {index}: {exc.item.code}: {exc}"
                    raise HTTPException(status.HTTP_400_BAD_REQUEST, detail) from exc
        return {"ids": created}

    @api.post("/undelete/{record_id}")
    def undelete(request: Request, record_id: str) -> dict[str, str]:
        org = _org(request)
        canonical = ids.normalize(record_id)
        sobject = org.catalog.for_id(canonical) if canonical else None
        if canonical is None or sobject is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no record {record_id!r}")
        try:
            org.records.undelete(sobject, canonical, org.system_context())
        except RecordError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{exc.item.code}: {exc}") from exc
        return {"id": canonical}

    return api
