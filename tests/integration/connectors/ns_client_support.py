"""Helpers for the NetSuite client suite: the emulator on a loopback port with a certificate registered
through its admin route, specs pointing at it, seeding, and the small retry loop the tests use where the
engine would retry."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from concord.connectors.netsuite import NetSuiteSpec
from concord.sandbox.core import EmulatorSettings, RunningServer, SandboxState, start_in_thread
from concord.sandbox.netsuite import NETSUITE_PROFILE, NetSuiteEmulator, create_app
from concord.sandbox.netsuite.catalog import lookup
from support.aio import retry_transient as retry_transient
from support.aio import run as run

CLIENT_ID = "concord-netsuite-connector-tests"
RSA_CERT = "concord-cert-rsa"
EC_CERT = "concord-cert-ec"
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
# httpx loads the CA bundle for every client it builds (a noticeable fraction of a second); the admin
# clients of these tests share one context.
TLS = ssl.create_default_context()


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    """The RSA key of the PS256 tests (3072 bits, NetSuite's minimum), made once per session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    """The P-256 key of the ES256 tests."""
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def serve() -> RunningServer:
    """The NetSuite emulator on a free loopback port (no certificates yet: tests register them)."""
    return start_in_thread(create_app(EmulatorSettings(name="netsuite")))


@dataclass
class NetSuite:
    """The running NetSuite emulator and a plain client of its admin API."""

    server: RunningServer
    admin: httpx.Client

    @classmethod
    @contextmanager
    def fresh(cls, server: RunningServer) -> Iterator[NetSuite]:
        """The emulator wiped (data, faults, clock, tokens), instant profile, test certificates mapped."""
        with httpx.Client(base_url=server.base_url, timeout=30.0, verify=TLS) as admin:
            running = cls(server, admin)
            running.reset()
            yield running

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.server.app.state.sandbox
        return state

    @property
    def emulator(self) -> NetSuiteEmulator:
        emulator: NetSuiteEmulator = self.server.app.state.netsuite
        return emulator

    def reset(self) -> None:
        self.state.reset(tokens=True)
        self.state.profile.platform = NETSUITE_PROFILE
        self.state.profile.mode = "instant"
        self.register(CLIENT_ID, RSA_CERT, public_pem(rsa_key()))
        self.register(CLIENT_ID, EC_CERT, public_pem(ec_key()))

    def register(self, client_id: str, certificate_id: str, pem: str) -> None:
        """Map a certificate to the integration (the OAuth 2.0 Client Credentials Setup page)."""
        response = self.admin.put(
            f"/__sandbox/netsuite/certificates/{client_id}/{certificate_id}", content=pem
        )
        assert response.status_code == 204, response.text

    def spec(self, **overrides: Any) -> NetSuiteSpec:
        """PS256 client credentials against the emulator (its URL is the account's REST host)."""
        options: dict[str, Any] = {
            "account_id": "1234567",
            "base_url": self.base_url,
            "client_id": CLIENT_ID,
            "certificate_id": RSA_CERT,
            "private_key": private_pem(rsa_key()),
        }
        options.update(overrides)
        return NetSuiteSpec(**options)

    def ec_spec(self, **overrides: Any) -> NetSuiteSpec:
        """ES256 client credentials against the emulator."""
        options = {"certificate_id": EC_CERT, "private_key": private_pem(ec_key()), "algorithm": "ES256"}
        return self.spec(**{**options, **overrides})

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, f"/__sandbox/{path}", **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def fault(self, **rule: Any) -> None:
        self.ok("POST", "faults", json=rule)

    def profile(self, **update: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("PUT", "profile", json=update)
        return result

    def freeze_clock(self, at: datetime) -> None:
        self.ok("PUT", "clock", json={"now": at.isoformat(), "frozen": True})

    def requests(self, **filters: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("GET", "requests", params=filters)
        return result

    def count(self, **filters: Any) -> int:
        return int(self.requests(limit=0, **filters)["total"])

    def expire_tokens(self) -> int:
        return int(self.ok("POST", "tokens/expire")["expired"])

    def seed(self, record_type: str, bodies: list[dict[str, Any]]) -> list[str]:
        """Create records in-process (the same rules as a POST, without HTTP)."""
        return [self.emulator.service.create(record_type, body) for body in bodies]

    def records(self, record_type: str) -> list[dict[str, Any]]:
        """The stored bodies of every live record of a type, with their ids."""
        found = lookup(record_type)
        assert found is not None
        return [{"id": r.id, **r.body} for r in self.emulator.repo.scan(found)]

    def basics(self) -> dict[str, str]:
        """A subsidiary, a customer, a project, an employee and a service item."""
        ids = {"subsidiary": self.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]}
        sub = {"id": ids["subsidiary"]}
        ids["customer"] = self.seed("customer", [{"companyName": "Acme Consulting", "subsidiary": sub}])[0]
        ids["job"] = self.seed(
            "job",
            [
                {
                    "companyName": "Acme ERP rollout",
                    "parent": {"id": ids["customer"]},
                    "entityStatus": {"id": "2"},
                }
            ],
        )[0]
        ids["employee"] = self.seed(
            "employee", [{"firstName": "Ada", "lastName": "Lovelace", "subsidiary": sub}]
        )[0]
        ids["item"] = self.seed("serviceItem", [{"itemId": "Consulting", "rate": 150}])[0]
        return ids

    def add_period(self, name: str, start: str, end: str, **flags: bool) -> str:
        return self.seed(
            "accountingPeriod", [{"periodName": name, "startDate": start, "endDate": end, **flags}]
        )[0]


def customers(subsidiary: str, count: int, prefix: str = "Client") -> list[dict[str, Any]]:
    """Bodies of ``count`` customers of one subsidiary."""
    return [{"companyName": f"{prefix} {n:04d}", "subsidiary": {"id": subsidiary}} for n in range(count)]
