"""Salesforce sessions on top of the core's token store: tokens look like ``00D...!AQ...`` and expire
after two hours (the default session timeout); a bad or expired one gets 401 INVALID_SESSION_ID."""

from __future__ import annotations

from dataclasses import dataclass

from concord.sandbox.core.auth import TokenStore, bearer_token
from concord.sandbox.salesforce.errors import SalesforceApiError
from concord.sandbox.salesforce.ids import ORG_ID

SESSION_TTL_S = 2 * 3600.0
TOKEN_PREFIX = ORG_ID[:15] + "!AQ"


@dataclass(frozen=True)
class Session:
    """An authenticated caller."""

    access_token: str
    user_id: str
    username: str
    client_id: str


def open_session(tokens: TokenStore, *, user_id: str, username: str, client_id: str) -> Session:
    """Issue a session token for ``username``."""
    issued = tokens.issue(
        username,
        scopes=("api",),
        ttl_s=SESSION_TTL_S,
        claims={"user_id": user_id, "username": username, "client_id": client_id},
    )
    return Session(issued.access_token, user_id, username, client_id)


def invalid_session() -> SalesforceApiError:
    """401 INVALID_SESSION_ID."""
    return SalesforceApiError.single(401, "INVALID_SESSION_ID", "Session expired or invalid")


def authenticate(tokens: TokenStore, authorization: str | None) -> Session:
    """The session behind an ``Authorization: Bearer`` (or ``OAuth``) header.

    Raises:
        SalesforceApiError: 401 INVALID_SESSION_ID when the token is missing, unknown or expired.
    """
    credential = bearer_token(authorization)
    if credential is None and authorization and authorization.lower().startswith("oauth "):
        credential = authorization[6:].strip()
    issued = tokens.check(credential) if credential else None
    if issued is None:
        raise invalid_session()
    claims = issued.claims
    return Session(issued.access_token, claims["user_id"], claims["username"], claims.get("client_id", ""))
