"""Kantata's OAuth 2 grants against ``POST {token_url}`` (form-encoded; client authentication
``client_secret_basic`` or ``client_secret_post``):

- ``refresh_token``: ``grant_type=refresh_token&refresh_token=...``; the answer may carry a new refresh
  token, which replaces the old one from then on (and is handed to ``on_refresh_token`` to be stored);
- ``client_credentials``: ``grant_type=client_credentials``;
- a configured access token needs no call: it is handed out once, and a second request for a token
  (after Kantata refused it with 401) is a permanent error, because nothing can renew it.

Answers are Doorkeeper's ``{"access_token", "token_type", "scope", "created_at", "refresh_token"?}``
with no lifetime: Kantata's access tokens do not expire, so a token is renewed only after a 401.
Secrets are unwrapped only here, into the request; nothing here logs them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import structlog

from concord.connectors.http.auth import AccessToken, Grant
from concord.connectors.http.session import ApiSession
from concord.connectors.kantata.errors import SYSTEM, TokenErrorMapper
from concord.connectors.kantata.spec import (
    AccessTokenAuth,
    ClientCredentialsAuth,
    KantataSpec,
    RefreshTokenAuth,
)
from concord.engine.errors import PermanentError

log = structlog.get_logger(__name__)

RefreshTokenSink = Callable[[str], None]
"""Receives a new refresh token when Kantata issues one (store it where the spec's came from)."""

_token_errors = TokenErrorMapper()


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def _access_token(body: Any) -> AccessToken:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise PermanentError(f"{SYSTEM} token endpoint answered without an access_token")
    lifetime = body.get("expires_in")
    details = {"scope": str(body.get("scope") or ""), "token_type": str(body.get("token_type") or "")}
    return AccessToken(
        body["access_token"],
        expires_in=float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else None,
        details=details,
    )


def _static(auth: AccessTokenAuth) -> Grant:
    handed_out = False

    async def grant() -> AccessToken:
        nonlocal handed_out
        if handed_out:
            raise PermanentError(
                f"{SYSTEM} refused the configured access token (revoked?); "
                "issue a new one or configure a refresh token"
            )
        handed_out = True
        return AccessToken(auth.access_token.get_secret_value())

    return grant


def make_grant(
    spec: KantataSpec, session: ApiSession, *, on_refresh_token: RefreshTokenSink | None = None
) -> Grant:
    """The grant for ``spec.auth``, posting through ``session`` (ungoverned: token calls are not API calls).

    Args:
        spec: The account.
        session: The client's session.
        on_refresh_token: Called with a new refresh token whenever Kantata rotates it.
    """
    auth = spec.auth
    if isinstance(auth, AccessTokenAuth):
        return _static(auth)
    refresh = auth.refresh_token.get_secret_value() if isinstance(auth, RefreshTokenAuth) else None
    initial = (
        auth.access_token.get_secret_value()
        if isinstance(auth, RefreshTokenAuth) and auth.access_token is not None
        else None
    )

    async def grant() -> AccessToken:
        nonlocal refresh, initial
        if initial is not None:
            token, initial = AccessToken(initial), None
            return token
        form = {"grant_type": "client_credentials" if refresh is None else "refresh_token"}
        if refresh is not None:
            form["refresh_token"] = refresh
        headers = {"Accept": "application/json"}
        _client_auth(auth, form, headers)
        response = await session.request(
            "POST",
            spec.oauth_token_url,
            data=form,
            headers=headers,
            authenticated=False,
            governed=False,
            check=False,
        )
        _token_errors.raise_for_status(response)
        body = _token_errors.decode(response)
        rotated = body.get("refresh_token") if isinstance(body, dict) else None
        if refresh is not None and isinstance(rotated, str) and rotated and rotated != refresh:
            refresh = rotated
            log.info("kantata refresh token rotated", system=SYSTEM)
            if on_refresh_token is not None:
                on_refresh_token(rotated)
        return _access_token(body)

    return grant


def _client_auth(
    auth: RefreshTokenAuth | ClientCredentialsAuth, form: dict[str, str], headers: dict[str, str]
) -> None:
    secret = auth.client_secret.get_secret_value()
    if auth.client_auth == "basic":
        headers["Authorization"] = _basic(auth.client_id, secret)
    else:
        form["client_id"] = auth.client_id
        form["client_secret"] = secret
