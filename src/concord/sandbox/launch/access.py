"""How a client reaches a running sandbox: each emulator's URLs, its credentials, and getting tokens.

``SandboxAccess`` is what ``concord sandbox status --json`` prints and what the firm loader and the
benchmark use; it is built from the run state and credentials of a data folder, or directly from the
URLs of emulators started in tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from concord.sandbox.launch.credentials import SandboxCredentials

EMULATORS = ("salesforce", "kantata", "netsuite")
SALESFORCE_API_VERSION = "v60.0"
SALESFORCE_TOKEN_PATH = "/services/oauth2/token"
KANTATA_TOKEN_PATH = "/oauth/token"
NETSUITE_TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
NETSUITE_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ADMIN_PATH = "/__sandbox"


class TokenError(RuntimeError):
    """An emulator refused to issue a token (the message carries its answer)."""


@dataclass(frozen=True)
class SandboxAccess:
    """The base URL of each emulator and the credentials to use them."""

    salesforce_url: str
    kantata_url: str
    netsuite_url: str
    credentials: SandboxCredentials

    def base_url(self, emulator: str) -> str:
        """The base URL of ``emulator`` (``salesforce``, ``kantata`` or ``netsuite``)."""
        return {
            "salesforce": self.salesforce_url,
            "kantata": self.kantata_url,
            "netsuite": self.netsuite_url,
        }[emulator]

    def admin_url(self, emulator: str) -> str:
        """The sandbox admin API of ``emulator``."""
        return self.base_url(emulator) + ADMIN_PATH

    def connection_info(self) -> dict[str, dict[str, Any]]:
        """What a client needs per emulator (private keys only by path)."""
        creds = self.credentials
        sf, kt, ns = creds.salesforce, creds.kantata, creds.netsuite
        return {
            "salesforce": {
                "base_url": self.salesforce_url,
                "token_url": self.salesforce_url + SALESFORCE_TOKEN_PATH,
                "api_url": f"{self.salesforce_url}/services/data/{SALESFORCE_API_VERSION}",
                "admin_url": self.admin_url("salesforce"),
                "grants": ["client_credentials", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"],
                "client_id": sf.client_id,
                "client_secret": sf.client_secret,
                "username": sf.username,
                "password": sf.password,
                "security_token": sf.security_token,
                "jwt_private_key_path": str(sf.jwt_private_key),
                "jwt_algorithm": "RS256",
            },
            "kantata": {
                "base_url": self.kantata_url,
                "token_url": self.kantata_url + KANTATA_TOKEN_PATH,
                "api_url": f"{self.kantata_url}/api/v1",
                "admin_url": self.admin_url("kantata"),
                "grants": ["client_credentials", "authorization_code"],
                "client_id": kt.client_id,
                "client_secret": kt.client_secret,
            },
            "netsuite": {
                "base_url": self.netsuite_url,
                "token_url": self.netsuite_url + NETSUITE_TOKEN_PATH,
                "api_url": f"{self.netsuite_url}/services/rest/record/v1",
                "suiteql_url": f"{self.netsuite_url}/services/rest/query/v1/suiteql",
                "admin_url": self.admin_url("netsuite"),
                "grants": ["client_credentials (JWT assertion)"],
                "account_id": ns.account_id,
                "client_id": ns.client_id,
                "certificate_id": ns.certificate_id,
                "private_key_path": str(ns.private_key),
                "jwt_algorithm": "ES256",
                "scope": "rest_webservices",
            },
        }


def _token(response: httpx.Response, emulator: str) -> str:
    if response.status_code != 200:
        raise TokenError(f"{emulator} refused a token: {response.status_code} {response.text[:300]}")
    token = response.json().get("access_token")
    if not isinstance(token, str):
        raise TokenError(f"{emulator} answered a token response without access_token")
    return token


def netsuite_assertion(access: SandboxAccess, lifetime_s: int = 600) -> str:
    """A signed client assertion for NetSuite's client-credentials flow."""
    ns = access.credentials.netsuite
    now = int(time.time())
    claims = {
        "iss": ns.client_id,
        "scope": ["rest_webservices"],
        "aud": access.netsuite_url + NETSUITE_TOKEN_PATH,
        "iat": now,
        "exp": now + lifetime_s,
    }
    key = ns.private_key.read_bytes()
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": ns.certificate_id, "typ": "JWT"})


async def fetch_tokens(client: httpx.AsyncClient, access: SandboxAccess) -> dict[str, str]:
    """A bearer token from each emulator (Salesforce and Kantata by client credentials, NetSuite by a
    JWT client assertion).

    Raises:
        TokenError: An emulator refused.
    """
    creds = access.credentials
    sf = await client.post(
        access.salesforce_url + SALESFORCE_TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.salesforce.client_id,
            "client_secret": creds.salesforce.client_secret,
        },
    )
    kt = await client.post(
        access.kantata_url + KANTATA_TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "client_id": creds.kantata.client_id,
            "client_secret": creds.kantata.client_secret,
        },
    )
    ns = await client.post(
        access.netsuite_url + NETSUITE_TOKEN_PATH,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": NETSUITE_ASSERTION_TYPE,
            "client_assertion": netsuite_assertion(access),
        },
    )
    return {
        "salesforce": _token(sf, "salesforce"),
        "kantata": _token(kt, "kantata"),
        "netsuite": _token(ns, "netsuite"),
    }


def register_salesforce_jwt(client: httpx.Client, access: SandboxAccess) -> None:
    """Put the sandbox's certificate on its Salesforce connected app (after start, and after a reset,
    which drops it)."""
    sf = access.credentials.salesforce
    response = client.post(
        access.admin_url("salesforce") + "/salesforce/connected-apps",
        json={
            "client_id": sf.client_id,
            "client_secret": sf.client_secret,
            "certificate": access.credentials.salesforce_certificate(),
            "run_as": sf.username,
        },
    )
    if response.status_code != 201:
        raise TokenError(f"salesforce refused the connected app certificate: {response.text[:300]}")
