"""NetSuite's OAuth 2.0 client credentials grant (machine to machine) with a signed JWT client assertion.

``POST {api_url}/services/rest/auth/oauth2/v1/token`` (form-encoded) with ``grant_type=client_credentials``,
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and ``client_assertion``:
a JWT whose header carries ``typ=JWT``, ``alg`` (PS256/384/512 or ES256/384/512; RS256 is refused since
2025) and ``kid`` = the certificate id; whose claims are ``iss`` = the client id, ``scope`` (a list of
``restlets``, ``rest_webservices``, ``suite_analytics``), ``aud`` = the token URL, ``iat`` and ``exp`` (at
most an hour later). NetSuite answers ``{"access_token", "expires_in": 3600, "token_type": "Bearer"}``
and issues no refresh token: renewing means signing a new assertion.

The key is checked here, before anything is sent: RSA-PSS needs an RSA key of at least 3072 bits, ECDSA
an EC key on the curve the algorithm names. Secrets are unwrapped only here; nothing here logs them.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from concord.connectors.http.auth import AccessToken, Grant
from concord.connectors.http.session import ApiSession
from concord.connectors.netsuite.errors import SYSTEM, TokenErrorMapper
from concord.connectors.netsuite.spec import NetSuiteSpec
from concord.engine.errors import PermanentError

CLIENT_CREDENTIALS = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MIN_RSA_BITS = 3072
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}

_token_errors = TokenErrorMapper()


def load_key(spec: NetSuiteSpec) -> Any:
    """The spec's private key, loaded and checked against its algorithm.

    Raises:
        PermanentError: it cannot be read, is not an unencrypted PEM private key, or does not fit.
    """
    key = _read_key(spec)
    check_key(spec, key)
    return key


def _read_key(spec: NetSuiteSpec) -> Any:
    try:
        pem = spec.signing_key()
    except OSError as exc:
        raise PermanentError(f"cannot read the {SYSTEM} private key file: {exc.strerror}") from None
    try:
        return load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError) as exc:
        # Only the error's type: a key-loading message could quote the key.
        raise PermanentError(
            f"the {SYSTEM} private key is not an unencrypted PEM private key ({type(exc).__name__})"
        ) from None


def check_key(spec: NetSuiteSpec, key: Any) -> None:
    """Refuse a key NetSuite would refuse, with the reason.

    Raises:
        PermanentError: the key does not fit ``spec.algorithm`` (family, size or curve).
    """
    if spec.algorithm.startswith("PS"):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise PermanentError(f"{spec.algorithm} needs an RSA private key; configure ES256 for an EC key")
        if key.key_size < MIN_RSA_BITS:
            raise PermanentError(
                f"{SYSTEM} accepts RSA keys of at least {MIN_RSA_BITS} bits; this one has {key.key_size}"
            )
        return
    curve = _CURVES[spec.algorithm]
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, curve):
        raise PermanentError(f"{spec.algorithm} needs an EC private key on the {curve.name} curve")


def build_assertion(spec: NetSuiteSpec, *, key: Any = None, now: float | None = None) -> str:
    """The signed client assertion for a token request.

    Args:
        spec: The account and credentials.
        key: The private key from ``load_key`` (loaded from the spec when None).
        now: The time to sign at (epoch seconds; default now).

    Raises:
        PermanentError: the private key cannot be read or does not fit the algorithm.
    """
    key = load_key(spec) if key is None else key
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": spec.client_id,
        "scope": list(spec.scopes),
        "aud": spec.token_url,
        "iat": issued,
        "exp": issued + spec.assertion_ttl_s,
    }
    headers = {"typ": "JWT", "kid": spec.certificate_id}
    try:
        return jwt.encode(claims, key, algorithm=spec.algorithm, headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise PermanentError(f"cannot sign the {SYSTEM} client assertion ({type(exc).__name__})") from None


def _token(body: Any) -> AccessToken:
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise PermanentError(f"{SYSTEM} token endpoint answered without an access_token")
    lifetime = body.get("expires_in")
    try:
        expires_in = None if lifetime is None else float(lifetime)
    except (TypeError, ValueError):
        expires_in = None
    return AccessToken(body["access_token"], expires_in=expires_in, details={"token_type": "Bearer"})


def make_grant(spec: NetSuiteSpec, session: ApiSession) -> Grant:
    """The client credentials grant, posting through ``session``.

    The call is not governed: it always runs inside a governed call that holds a concurrency slot (the one
    that found the token missing, expiring or refused), so it never adds to the calls in flight.
    """

    async def grant() -> AccessToken:
        form = {
            "grant_type": CLIENT_CREDENTIALS,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": build_assertion(spec),
        }
        response = await session.request(
            "POST",
            spec.token_url,
            data=form,
            headers={"Accept": "application/json"},
            authenticated=False,
            governed=False,
            check=False,
        )
        _token_errors.raise_for_status(response)
        return _token(_token_errors.decode(response))

    return grant
