"""Getting bearer tokens the way each platform's integrations do: the client-credentials grant for
Salesforce and Kantata, and for NetSuite a client assertion (a JWT signed with the integration's private
key) exchanged at its OAuth 2.0 token endpoint."""

from __future__ import annotations

import time
from functools import partial

import httpx
import jwt

from concord.sandbox.simulator.http import ApiError, Authenticator
from concord.sandbox.simulator.targets import KantataTarget, NetSuiteTarget, SalesforceTarget

NETSUITE_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 300


def _access_token(system: str, response: httpx.Response) -> str:
    if response.status_code != 200:
        raise ApiError(system, "a token", response.status_code, response.text[:300])
    try:
        token = response.json().get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        # Status 0: no usable answer came, which is worth another try.
        raise ApiError(system, "a token", 0, "the answer carries no access_token")
    return token


async def _salesforce(target: SalesforceTarget, http: httpx.AsyncClient) -> str:
    response = await http.post(
        target.token_endpoint(),
        data={"grant_type": "client_credentials"},
        auth=(target.client_id, target.client_secret.get_secret_value()),
    )
    return _access_token("salesforce", response)


async def _kantata(target: KantataTarget, http: httpx.AsyncClient) -> str:
    response = await http.post(
        target.token_endpoint(),
        data={
            "grant_type": "client_credentials",
            "client_id": target.client_id,
            "client_secret": target.client_secret.get_secret_value(),
        },
    )
    return _access_token("kantata", response)


def netsuite_assertion(target: NetSuiteTarget) -> str:
    """A client assertion for NetSuite's client-credentials flow, signed with the mapping's private key.

    Raises:
        ApiError: The private key file cannot be read.
    """
    try:
        key = target.private_key_path.read_bytes()
    except OSError as exc:
        raise ApiError("netsuite", "a token", 0, f"cannot read the private key: {exc}") from exc
    now = int(time.time())  # NetSuite checks iat/exp against real time: the client signs with its own clock
    claims = {
        "iss": target.client_id,
        "scope": [target.scope],
        "aud": target.token_endpoint(),
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_S,
    }
    headers = {"kid": target.certificate_id, "typ": "JWT"}
    return jwt.encode(claims, key, algorithm=target.jwt_algorithm, headers=headers)


async def _netsuite(target: NetSuiteTarget, http: httpx.AsyncClient) -> str:
    response = await http.post(
        target.token_endpoint(),
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": NETSUITE_ASSERTION_TYPE,
            "client_assertion": netsuite_assertion(target),
        },
    )
    return _access_token("netsuite", response)


def salesforce_authenticator(target: SalesforceTarget) -> Authenticator:
    """Sessions from the connected app's client-credentials grant (consumer key and secret in Basic)."""
    return partial(_salesforce, target)


def kantata_authenticator(target: KantataTarget) -> Authenticator:
    """Tokens from Kantata's client-credentials grant."""
    return partial(_kantata, target)


def netsuite_authenticator(target: NetSuiteTarget) -> Authenticator:
    """Tokens from NetSuite's client-credentials grant with a fresh signed assertion each time."""
    return partial(_netsuite, target)
