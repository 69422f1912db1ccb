"""OAuth 2.0 client credentials (machine to machine) with a JWT client assertion, as NetSuite does it.

``POST /services/rest/auth/oauth2/v1/token`` takes a form with ``grant_type=client_credentials``,
``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and
``client_assertion``: a JWT whose header has ``kid`` = the certificate id and ``alg`` one of PS256/384/512
or ES256/384/512 (RSA PKCS#1 v1.5, RS256, is refused since March 2025), and whose claims are ``iss`` =
the client id, ``scope`` (``restlets``, ``rest_webservices``, ``suite_analytics``), ``aud`` = the token
URL, ``iat`` and ``exp`` at most 60 minutes after ``iat``. The answer is
``{"access_token", "expires_in": 3600, "token_type": "Bearer"}``; failures are ``{"error": code}`` with
status 400.

Certificates are configured as ``EmulatorSettings.credentials["<client id>:<certificate id>"] = PEM``
(a public key or an X.509 certificate), or registered at run time. The assertion's ``iat``/``exp`` are
checked against the real time, since the client signs with its own clock; the access token then lives
one hour of emulator clock time, so advancing the clock expires it like waiting would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from concord.sandbox.core import IssuedToken, SandboxState, TokenStatus, bearer_token
from concord.sandbox.netsuite.errors import invalid_login

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
SCOPES = frozenset({"restlets", "rest_webservices", "suite_analytics"})
TOKEN_TTL_S = 3600
MAX_ASSERTION_LIFETIME_S = 3600
CLOCK_SKEW_S = 300
MIN_RSA_BITS = 3072
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class TokenRequestError(Exception):
    """A refused token request; ``code`` is the OAuth ``error`` value."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


class CertificateRegistry:
    """Public keys of the certificates mapped to integrations (client id, certificate id). Thread-safe."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], PublicKey] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, str]) -> CertificateRegistry:
        """Registry of every ``"<client id>:<certificate id>": PEM`` entry of the settings."""
        registry = cls()
        for key, pem in credentials.items():
            client_id, sep, cert_id = key.partition(":")
            if sep and client_id and cert_id:
                registry.register(client_id, cert_id, pem)
        return registry

    def register(self, client_id: str, certificate_id: str, pem: str | bytes) -> None:
        """Map a certificate (or bare public key) in PEM form to an integration.

        Raises:
            ValueError: The PEM holds no usable key, or an RSA key shorter than NetSuite accepts.
        """
        data = pem.encode() if isinstance(pem, str) else pem
        key: Any
        if b"BEGIN CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
        if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
            raise ValueError(f"RSA keys must have at least {MIN_RSA_BITS} bits, this one has {key.key_size}")
        if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise ValueError("only RSA and elliptic-curve keys can sign NetSuite client assertions")
        with self._lock:
            self._keys[(client_id, certificate_id)] = key

    def key(self, client_id: str, certificate_id: str) -> PublicKey | None:
        """The public key mapped to this integration and certificate."""
        with self._lock:
            return self._keys.get((client_id, certificate_id))


def exchange_assertion(
    form: Mapping[str, str], registry: CertificateRegistry, host: str
) -> tuple[str, tuple[str, ...], str]:
    """Check a client-credentials token request.

    Args:
        form: The decoded form fields.
        registry: The mapped certificates.
        host: The ``Host`` the request was sent to (a valid ``aud`` names it or NetSuite's domain).

    Returns:
        The client id, the granted scopes and the certificate id.

    Raises:
        TokenRequestError: With the OAuth error code.
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise TokenRequestError("invalid_request", "grant_type is missing")
    if grant_type != "client_credentials":
        raise TokenRequestError("unsupported_grant_type", f"grant type {grant_type} is not supported")
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise TokenRequestError("invalid_request", "a JWT client assertion is required")
    assertion = form["client_assertion"]
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRequestError("invalid_request", "the client assertion is not a JWT") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in ALGORITHMS or not isinstance(kid, str) or header.get("typ", "JWT") != "JWT":
        raise TokenRequestError("invalid_request", "unsupported JWT header")
    client_id = unverified.get("iss")
    key = registry.key(client_id, kid) if isinstance(client_id, str) else None
    if key is None:
        raise TokenRequestError("invalid_client", "unknown client or certificate")
    try:
        claims = jwt.decode(
            assertion,
            key=key,
            algorithms=[alg],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except (jwt.PyJWTError, TypeError, ValueError) as exc:
        # A certificate of the wrong family (an EC key under a PS256 header) fails with TypeError.
        raise TokenRequestError("invalid_client", "the signature does not verify") from exc
    _check_times(claims)
    _check_audience(claims.get("aud"), host)
    return str(client_id), _scopes(claims.get("scope")), kid


def _check_times(claims: Mapping[str, Any]) -> None:
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise TokenRequestError("invalid_request", "iat and exp are required")
    now = time.time()
    if exp <= now or iat > now + CLOCK_SKEW_S:
        raise TokenRequestError("invalid_grant", "the assertion is expired or not yet valid")
    if exp - iat > MAX_ASSERTION_LIFETIME_S or exp <= iat:
        raise TokenRequestError("invalid_grant", "exp must be at most 60 minutes after iat")


def _check_audience(aud: Any, host: str) -> None:
    audiences = aud if isinstance(aud, list) else [aud]
    for candidate in audiences:
        if not isinstance(candidate, str):
            continue
        parts = urlsplit(candidate)
        hostname = (parts.netloc or "").lower()
        if parts.path.rstrip("/") == TOKEN_PATH and (
            hostname == host.lower() or hostname.endswith(".suitetalk.api.netsuite.com")
        ):
            return
    raise TokenRequestError("invalid_grant", "aud must be the token endpoint URL")


def _scopes(scope: Any) -> tuple[str, ...]:
    if isinstance(scope, list):
        names = [str(s) for s in scope]
    elif isinstance(scope, str):
        names = [s for s in scope.replace(",", " ").split() if s]
    else:
        names = []
    if not names or any(name not in SCOPES for name in names):
        raise TokenRequestError(
            "invalid_scope", "scope must list restlets, rest_webservices or suite_analytics"
        )
    return tuple(dict.fromkeys(names))


def require_token(sandbox: SandboxState, authorization: str | None, realm: str) -> IssuedToken:
    """The valid bearer token of a REST web services request.

    Raises:
        NetSuiteError: 401 ``INVALID_LOGIN`` when the token is missing, unknown, expired or lacks the
            ``rest_webservices`` scope.
    """
    presented = bearer_token(authorization)
    if presented is None:
        raise invalid_login(realm, "invalid_request")
    status, token = sandbox.tokens.inspect(presented)
    if status is not TokenStatus.VALID or token is None or "rest_webservices" not in token.scopes:
        raise invalid_login(realm)
    return token


def token_router(registry: CertificateRegistry) -> APIRouter:
    """The token endpoint."""
    router = APIRouter()

    @router.post(TOKEN_PATH, include_in_schema=False)
    async def token(request: Request) -> JSONResponse:
        sandbox: SandboxState = request.app.state.sandbox
        content_type = request.headers.get("content-type", "")
        try:
            if not content_type.startswith("application/x-www-form-urlencoded"):
                raise TokenRequestError("invalid_request", "the body must be form-encoded")
            raw = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
            form = {name: values[0] for name, values in raw.items() if values}
            client_id, scopes, cert_id = exchange_assertion(form, registry, request.headers.get("host", ""))
        except (TokenRequestError, UnicodeDecodeError) as exc:
            code = exc.code if isinstance(exc, TokenRequestError) else "invalid_request"
            return JSONResponse({"error": code}, status_code=400, headers={"Cache-Control": "no-store"})
        issued = sandbox.tokens.issue(
            client_id, scopes=scopes, ttl_s=TOKEN_TTL_S, claims={"certificate_id": cert_id}
        )
        body = {"access_token": issued.access_token, "expires_in": TOKEN_TTL_S, "token_type": "Bearer"}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return router
