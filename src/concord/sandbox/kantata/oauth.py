"""Kantata's OAuth 2 endpoints and the bearer check on every ``/api/v1`` call.

Kantata OX authenticates API calls with ``Authorization: Bearer <token>``; tokens come from
``/oauth/token`` (authorization code; the OIDC discovery also lists ``client_credentials`` and
``refresh_token``), client authentication ``client_secret_basic`` or ``client_secret_post``. Access tokens
do not expire (only revocation kills them), so the emulator issues them for ten years. The token
endpoint answers Doorkeeper-style OAuth errors (``{"error", "error_description"}``); API calls without a
valid token get 401 ``{"errors": [{"type": "oauth", "message": "Invalid OAuth 2 Request"}]}``.

The emulator has one account; every token acts as its administrator (the first user), because an
integration's token belongs to the admin who authorised it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from concord.sandbox.core.auth import basic_credentials, bearer_token, client_secret_ok
from concord.sandbox.core.state import SandboxState
from concord.sandbox.kantata.errors import oauth_error

TOKEN_TTL_S = 10 * 365 * 24 * 3600.0
CODE_TTL_S = 600.0
DEFAULT_CLIENT_ID = "concord-sandbox"
DEFAULT_CLIENT_SECRET = "sandbox-secret"

_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
_INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
    "used in the authorization request, or was issued to another client."
)


@dataclass(frozen=True)
class _Code:
    client_id: str
    redirect_uri: str
    expires_monotonic: float


class AuthorizationCodes:
    """Short-lived authorization codes handed out by ``/oauth/authorize`` (single use)."""

    def __init__(self) -> None:
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str, redirect_uri: str) -> str:
        """A new code for ``client_id`` bound to ``redirect_uri``."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(client_id, redirect_uri, time.monotonic() + CODE_TTL_S)
        return code

    def redeem(self, code: str, client_id: str, redirect_uri: str | None) -> bool:
        """Consume ``code``; true when it was issued to this client and redirect URI and is still fresh."""
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry.client_id != client_id or time.monotonic() > entry.expires_monotonic:
            return False
        return redirect_uri is None or redirect_uri == entry.redirect_uri


def oauth_failure(status: int, error: str, description: str) -> JSONResponse:
    """A Doorkeeper-style OAuth error answer."""
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            data = await request.json()
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    # Parsed here: Starlette's form parser needs python-multipart, which the project does not ship.
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _client(request: Request, form: Mapping[str, str], credentials: Mapping[str, str]) -> str | None:
    pair = basic_credentials(request.headers.get("authorization"))
    client_id, secret = (
        pair if pair is not None else (form.get("client_id", ""), form.get("client_secret", ""))
    )
    return client_id if client_id and client_secret_ok(credentials, client_id, secret) else None


def create_oauth_router(credentials: Mapping[str, str], admin_user_id: Callable[[], str]) -> APIRouter:
    """``GET /oauth/authorize`` (auto-approved) and ``POST /oauth/token``."""
    router = APIRouter(tags=["oauth"])
    codes = AuthorizationCodes()

    @router.get("/oauth/authorize")
    def authorize(request: Request) -> Response:
        params = request.query_params
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        if client_id not in credentials:
            return oauth_failure(401, "invalid_client", _INVALID_CLIENT)
        if params.get("response_type", "code") != "code" or not redirect_uri:
            return oauth_failure(400, "invalid_request", "response_type=code and redirect_uri are required.")
        query: dict[str, str] = {"code": codes.issue(client_id, redirect_uri)}
        if "state" in params:
            query["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)

    @router.post("/oauth/token")
    async def token(request: Request) -> Response:
        form = await _form(request)
        client_id = _client(request, form, credentials)
        if client_id is None:
            return oauth_failure(401, "invalid_client", _INVALID_CLIENT)
        state: SandboxState = request.app.state.sandbox
        grant = form.get("grant_type", "")
        if grant == "authorization_code":
            if not codes.redeem(form.get("code", ""), client_id, form.get("redirect_uri")):
                return oauth_failure(400, "invalid_grant", _INVALID_GRANT)
        elif grant == "refresh_token":
            refreshed = state.tokens.refresh(form.get("refresh_token", ""), ttl_s=TOKEN_TTL_S)
            if refreshed is None or refreshed.claims.get("client_id") != client_id:
                return oauth_failure(400, "invalid_grant", _INVALID_GRANT)
            return JSONResponse(_token_body(refreshed.access_token, refreshed.refresh_token))
        elif grant != "client_credentials":
            return oauth_failure(
                400, "unsupported_grant_type", "The authorization grant type is not supported by the server."
            )
        issued = state.tokens.issue(
            client_id,
            ttl_s=TOKEN_TTL_S,
            with_refresh_token=grant == "authorization_code",
            claims={"client_id": client_id, "user_id": admin_user_id()},
        )
        return JSONResponse(_token_body(issued.access_token, issued.refresh_token))

    return router


def _token_body(access_token: str, refresh_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "bearer",
        "scope": "",
        "created_at": int(time.time()),
    }
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    return body


def bearer_user(request: Request) -> str:
    """FastAPI dependency: the id of the user a valid bearer token acts for, else 401 (oauth)."""
    state: SandboxState = request.app.state.sandbox
    token = bearer_token(request.headers.get("authorization"))
    issued = state.tokens.check(token) if token else None
    if issued is None:
        raise oauth_error()
    return str(issued.claims.get("user_id") or "1")


CurrentUser = Annotated[str, Depends(bearer_user)]
"""Handler parameter: the authenticated user's id."""
