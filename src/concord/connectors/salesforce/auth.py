"""Salesforce's OAuth 2.0 grants against ``POST {login_url}/services/oauth2/token`` (form-encoded):

- client credentials: ``grant_type=client_credentials`` with the consumer key and secret in
  ``Authorization: Basic`` (the org's My Domain only);
- JWT bearer: ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` with an RS256 ``assertion``
  whose ``iss`` is the consumer key, ``sub`` the username, ``aud`` the login host, ``exp`` about 3 minutes.

Both answer ``{"access_token", "instance_url", "id", "token_type", "scope", "issued_at", "signature"}``
with no lifetime (the org's session timeout applies) and issue no refresh token: renewing a token means
running the grant again. Secrets are unwrapped only here, into the request; nothing here logs them.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt

from concord.connectors.http.auth import AccessToken, Grant
from concord.connectors.http.session import ApiSession
from concord.connectors.salesforce.errors import SYSTEM, TokenErrorMapper
from concord.connectors.salesforce.spec import ClientCredentialsAuth, JwtBearerAuth, SalesforceSpec
from concord.engine.errors import PermanentError

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

_token_errors = TokenErrorMapper()


def build_assertion(auth: JwtBearerAuth, *, now: float | None = None) -> str:
    """The signed JWT bearer assertion.

    Raises:
        PermanentError: the private key cannot be read or cannot sign (not a PEM RSA private key).
    """
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": auth.consumer_key,
        "sub": auth.username,
        "aud": auth.audience,
        "exp": issued + auth.assertion_ttl_s,
    }
    try:
        return jwt.encode(claims, auth.signing_key(), algorithm="RS256")
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        # Only the error's type: a key-loading message could quote the key.
        raise PermanentError(
            f"cannot sign the {SYSTEM} JWT assertion with the configured private key ({type(exc).__name__}); "
            "it must be a PEM RSA private key"
        ) from None
    except OSError as exc:
        raise PermanentError(f"cannot read the {SYSTEM} private key file: {exc.strerror}") from None


def _basic(auth: ClientCredentialsAuth) -> str:
    pair = f"{auth.consumer_key}:{auth.consumer_secret.get_secret_value()}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def _token(body: Any, spec: SalesforceSpec) -> AccessToken:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise PermanentError(f"{SYSTEM} token endpoint answered without an access_token")
    instance = spec.instance_url or str(body.get("instance_url") or "").rstrip("/")
    if not instance:
        raise PermanentError(f"{SYSTEM} token response has no instance_url; set instance_url in the spec")
    details = {
        "instance_url": instance,
        "identity": str(body.get("id", "")),
        "scope": str(body.get("scope", "")),
    }
    return AccessToken(body["access_token"], expires_in=None, details=details)


def make_grant(spec: SalesforceSpec, session: ApiSession) -> Grant:
    """The grant for ``spec.auth``, posting through ``session`` (ungoverned: token calls are not counted
    against the org's API quota)."""

    async def grant() -> AccessToken:
        headers: dict[str, str] = {"Accept": "application/json"}
        if isinstance(spec.auth, ClientCredentialsAuth):
            form = {"grant_type": "client_credentials"}
            headers["Authorization"] = _basic(spec.auth)
        else:
            form = {"grant_type": JWT_BEARER_GRANT, "assertion": build_assertion(spec.auth)}
        response = await session.request(
            "POST",
            spec.token_url,
            data=form,
            headers=headers,
            authenticated=False,
            governed=False,
            check=False,
        )
        _token_errors.raise_for_status(response)
        return _token(_token_errors.decode(response), spec)

    return grant
