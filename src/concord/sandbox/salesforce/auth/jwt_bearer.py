"""The OAuth 2.0 JWT bearer assertion check: an RS256 JWT whose ``iss`` is a connected app's consumer
key, signed with the key of the certificate uploaded to that app, ``sub`` a username, ``aud`` the login
host (``https://login.salesforce.com``, ``https://test.salesforce.com``) or the instance URL, and
``exp`` in the future (checked against real time: it is the client's clock that signs)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import jwt

from concord.sandbox.salesforce.auth.directory import ConnectedApp, Directory
from concord.sandbox.salesforce.auth.errors import OAuthError

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")


def verify_assertion(
    directory: Directory, assertion: str, audiences: Sequence[str]
) -> tuple[ConnectedApp, str]:
    """Check a JWT bearer assertion; return the connected app and the username (``sub``).

    Raises:
        OAuthError: ``invalid_client_id``, ``invalid_client`` or ``invalid_grant`` with the platform's
            descriptions (``invalid assertion``, ``audience is invalid``, ``expired authorization code``).
    """
    try:
        unverified: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", "invalid assertion") from exc
    app = directory.app(str(unverified.get("iss", "")))
    if app is None:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    public_key = app.public_key()
    if public_key is None or header.get("alg") != "RS256":
        raise OAuthError("invalid_grant", "invalid assertion")
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            public_key,
            algorithms=["RS256"],
            options={"verify_aud": False, "verify_exp": False, "require": []},
        )
    except jwt.PyJWTError as exc:
        raise OAuthError("invalid_grant", "invalid assertion") from exc
    audience = claims.get("aud")
    given = audience if isinstance(audience, list) else [audience]
    allowed = {a.rstrip("/") for a in (*LOGIN_AUDIENCES, *audiences)}
    if not any(isinstance(a, str) and a.rstrip("/") in allowed for a in given):
        raise OAuthError("invalid_grant", "audience is invalid")
    _check_expiry(claims.get("exp"))
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OAuthError("invalid_grant", "invalid assertion")
    return app, subject


def _check_expiry(exp: Any) -> None:
    try:
        expires = float(exp)
    except (TypeError, ValueError):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if expires <= time.time():
        raise OAuthError("invalid_grant", "expired authorization code")
