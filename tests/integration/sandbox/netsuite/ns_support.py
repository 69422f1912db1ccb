"""Helpers of the NetSuite emulator tests: client assertions, a small REST client, error checks."""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from concord.sandbox.core import RunningServer

CLIENT_ID = "3f1c0a8e5b7d4e2a9c6b1d0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a"
CERT_ID = "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
# httpx builds (and loads CA certificates into) a TLS context per client, which costs a noticeable
# fraction of a second; every loopback client of these tests shares this one.
TLS = ssl.create_default_context()
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Emulator:
    """The running emulator and the private key its client-credentials mapping trusts."""

    server: RunningServer
    key: ec.EllipticCurvePrivateKey

    @property
    def base_url(self) -> str:
        return self.server.base_url


def public_pem(key: Any) -> str:
    """PEM of a private key's public half."""
    data: bytes = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode()


def assertion(
    key: Any,
    base_url: str,
    *,
    alg: str = "ES256",
    kid: str = CERT_ID,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """A client assertion as NetSuite's client-credentials flow wants it; ``claims`` overrides."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": CLIENT_ID,
        "scope": ["rest_webservices", "restlets"],
        "aud": base_url + TOKEN_PATH,
        "iat": now,
        "exp": now + 600,
    }
    payload.update(claims or {})
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def token_form(client_assertion: str) -> dict[str, str]:
    """The form of a token request."""
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
    }


class NetSuiteClient:
    """A thin REST client: bearer token, record helpers, SuiteQL, admin calls."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(
            base_url=base_url + "/services/rest",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            verify=TLS,
        )
        self.admin = httpx.Client(base_url=base_url + "/__sandbox", timeout=10, verify=TLS)

    def close(self) -> None:
        self.http.close()
        self.admin.close()

    def create(self, record_type: str, body: Mapping[str, Any], **headers: str) -> str:
        """Create a record; return its id (from ``Location``)."""
        response = self.http.post(f"/record/v1/{record_type}", json=dict(body), headers=headers)
        assert response.status_code == 204, response.text
        return response.headers["location"].rsplit("/", 1)[1]

    def get(self, record_type: str, record_id: str, **params: str) -> dict[str, Any]:
        response = self.http.get(f"/record/v1/{record_type}/{record_id}", params=params)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def suiteql(self, q: str, *, limit: int | None = None, offset: int | None = None) -> httpx.Response:
        params = {k: str(v) for k, v in (("limit", limit), ("offset", offset)) if v is not None}
        return self.http.post(
            "/query/v1/suiteql", json={"q": q}, params=params, headers={"Prefer": "transient"}
        )

    def set_clock(self, iso: str) -> None:
        response = self.admin.put("/clock", json={"now": iso, "frozen": True})
        assert response.status_code == 200, response.text

    def seed_basics(self) -> dict[str, str]:
        """A subsidiary, a customer, a project, an employee and a service item."""
        ids = {"subsidiary": self.create("subsidiary", {"name": "Concord US", "country": "US"})}
        ids["customer"] = self.create(
            "customer", {"companyName": "Acme Consulting", "subsidiary": {"id": ids["subsidiary"]}}
        )
        ids["job"] = self.create(
            "job",
            {
                "companyName": "Acme ERP rollout",
                "parent": {"id": ids["customer"]},
                "entityStatus": {"id": "2"},
                "startDate": "2026-01-01",
                "projectedEndDate": "2026-12-31",
            },
        )
        ids["employee"] = self.create(
            "employee", {"firstName": "Ada", "lastName": "Lovelace", "subsidiary": {"id": ids["subsidiary"]}}
        )
        ids["item"] = self.create("serviceItem", {"itemId": "Consulting", "rate": 150})
        return ids

    def add_period(self, name: str, start: str, end: str, **flags: bool) -> str:
        return self.create(
            "accountingPeriod", {"periodName": name, "startDate": start, "endDate": end, **flags}
        )


def client() -> httpx.Client:
    """A plain loopback client."""
    return httpx.Client(timeout=10, verify=TLS)


def http_get(url: str, **kwargs: Any) -> httpx.Response:
    """One GET with a short-lived client."""
    with client() as http:
        return http.get(url, **kwargs)


def http_post(url: str, **kwargs: Any) -> httpx.Response:
    """One POST with a short-lived client."""
    with client() as http:
        return http.post(url, **kwargs)


def fetch_token(base_url: str, client_assertion: str) -> httpx.Response:
    with client() as http:
        return http.post(base_url + TOKEN_PATH, data=token_form(client_assertion))


def error_detail(response: httpx.Response) -> dict[str, Any]:
    """The first ``o:errorDetails`` entry, after checking the error document's shape."""
    body = response.json()
    assert set(body) >= {"type", "title", "status", "o:errorDetails"}, body
    assert body["status"] == response.status_code
    assert body["type"].startswith("https://www.rfc-editor.org/rfc/")
    detail: dict[str, Any] = body["o:errorDetails"][0]
    assert isinstance(detail["detail"], str) and detail["detail"]
    return detail
