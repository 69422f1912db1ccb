"""``POST /services/oauth2/token`` (form-encoded) with the grants integrations use:

- ``password``: ``client_id``, ``client_secret``, ``username``, ``password`` (optionally followed by
  the user's security token);
- ``client_credentials``: consumer key and secret in ``Authorization: Basic`` (or the form), running
  as the connected app's run-as user;
- ``urn:ietf:params:oauth:grant-type:jwt-bearer``: an RS256 ``assertion`` (see ``jwt_bearer``).

Success: ``{"access_token", "instance_url", "id", "token_type": "Bearer", "scope", "issued_at",
"signature"}`` where ``signature`` is base64(HMAC-SHA256(consumer secret, id + issued_at)).
Failure: HTTP 400 ``{"error", "error_description"}``.

``GET /services/oauth2/userinfo`` answers the OpenID Connect user info of a session (its
``organization_id`` is what the Pub/Sub API calls ``tenantid``); a bad token gets 403
``Bad_OAuth_Token``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from concord.sandbox.core.auth import basic_credentials, client_secret_ok
from concord.sandbox.salesforce.auth.directory import ConnectedApp, Login
from concord.sandbox.salesforce.auth.errors import OAuthError
from concord.sandbox.salesforce.auth.jwt_bearer import JWT_BEARER_GRANT, verify_assertion
from concord.sandbox.salesforce.auth.sessions import Session, authenticate, open_session
from concord.sandbox.salesforce.errors import SalesforceApiError
from concord.sandbox.salesforce.ids import ORG_ID
from concord.sandbox.salesforce.org import SalesforceOrg

ID_URL = "https://login.salesforce.com/id/{org}/{user}"


def _app(org: SalesforceOrg, client_id: str | None, client_secret: str | None) -> ConnectedApp:
    if not client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    app = org.directory.app(client_id)
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if not client_secret or not client_secret_ok(
        {app.client_id: app.client_secret}, client_id, client_secret
    ):
        raise OAuthError("invalid_client", "invalid client credentials")
    return app


def _active_login(org: SalesforceOrg, login: Login | None) -> Login:
    if login is None:
        raise OAuthError("invalid_grant", "authentication failure")
    user = org.repo.get("User", login.user_id)
    if user is None or not user.get("IsActive", True):
        raise OAuthError("invalid_grant", "inactive user")
    return login


def _password_grant(org: SalesforceOrg, form: Mapping[str, str]) -> tuple[ConnectedApp, Login]:
    app = _app(org, form.get("client_id"), form.get("client_secret"))
    login = org.directory.check_password(form.get("username", ""), form.get("password", ""))
    return app, _active_login(org, login)


def _client_credentials_grant(
    org: SalesforceOrg, form: Mapping[str, str], authorization: str | None
) -> tuple[ConnectedApp, Login]:
    basic = basic_credentials(authorization)
    client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
    app = _app(org, client_id, secret)
    if not app.run_as:
        raise OAuthError("invalid_grant", "no client credentials user enabled")
    return app, _active_login(org, org.directory.login(app.run_as))


def _jwt_grant(org: SalesforceOrg, form: Mapping[str, str], instance_url: str) -> tuple[ConnectedApp, Login]:
    assertion = form.get("assertion")
    if not assertion:
        raise OAuthError("invalid_request", "assertion is required")
    app, username = verify_assertion(org.directory, assertion, [instance_url])
    login = org.directory.login(username)
    if login is None:
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return app, _active_login(org, login)


def issue_token(
    org: SalesforceOrg, form: Mapping[str, str], authorization: str | None, instance_url: str
) -> dict[str, str]:
    """Run a token request; return the token response body.

    Raises:
        OAuthError: with the platform's error code and description.
    """
    grant = form.get("grant_type", "")
    if grant == "password":
        app, login = _password_grant(org, form)
    elif grant == "client_credentials":
        app, login = _client_credentials_grant(org, form, authorization)
    elif grant == JWT_BEARER_GRANT:
        app, login = _jwt_grant(org, form, instance_url)
    else:
        raise OAuthError("unsupported_grant_type", "grant type not supported")
    session = open_session(
        org.state.tokens, user_id=login.user_id, username=login.username, client_id=app.client_id
    )
    return token_body(session, app, instance_url, org.state.clock.now().timestamp())


def token_body(session: Session, app: ConnectedApp, instance_url: str, now_s: float) -> dict[str, str]:
    """The token response for an opened session."""
    identity = ID_URL.format(org=ORG_ID, user=session.user_id)
    issued_at = str(int(now_s * 1000))
    digest = hmac.new(app.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return {
        "access_token": session.access_token,
        "instance_url": instance_url,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode(),
        "scope": "api",
    }


def instance_url_of(request: Request) -> str:
    """The emulator's own base URL as the client reached it (its ``instance_url``)."""
    return str(request.base_url).rstrip("/")


def create_oauth_router() -> APIRouter:
    """The token endpoint route."""
    api = APIRouter()

    @api.post("/services/oauth2/token")
    async def token(request: Request) -> JSONResponse:
        org: SalesforceOrg = request.app.state.salesforce
        # Parsed by hand: starlette's form parser needs python-multipart, which Concord does not ship.
        form = dict(
            parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True)
        )
        try:
            body = issue_token(org, form, request.headers.get("authorization"), instance_url_of(request))
        except OAuthError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(body)

    @api.get("/services/oauth2/userinfo")
    async def userinfo(request: Request) -> Response:
        org: SalesforceOrg = request.app.state.salesforce
        try:
            session = authenticate(org.state.tokens, request.headers.get("authorization"))
        except SalesforceApiError:
            return PlainTextResponse("Bad_OAuth_Token", status_code=403)
        user = org.repo.get("User", session.user_id) or {}
        return JSONResponse(
            {
                "sub": ID_URL.format(org=ORG_ID, user=session.user_id),
                "user_id": session.user_id,
                "organization_id": ORG_ID,
                "preferred_username": session.username,
                "name": user.get("Name"),
                "email": user.get("Email"),
                "email_verified": True,
                "zoneinfo": "GMT",
                "locale": "en_US",
            }
        )

    return api
