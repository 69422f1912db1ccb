"""The three platforms of opportunity-to-project on loopback ports (Salesforce, Kantata, NetSuite
emulators), each reset for a test, with the firm's reference data seeded, and an engine built from
configuration the way ``concord run`` builds it."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from concord.bootstrap import Concord, bootstrap_from_settings
from concord.connectors.salesforce import SalesforceClient, SalesforceSpec
from concord.sandbox.core import EmulatorSettings, RunningServer, SandboxState, start_in_thread
from concord.sandbox.kantata import KANTATA_PROFILE
from concord.sandbox.kantata import create_app as kantata_app
from concord.sandbox.netsuite import NETSUITE_PROFILE, NetSuiteEmulator
from concord.sandbox.netsuite import create_app as netsuite_app
from concord.sandbox.netsuite.catalog import lookup
from concord.sandbox.salesforce import SALESFORCE_PROFILE
from concord.sandbox.salesforce import create_app as salesforce_app
from concord.settings import RetrySettings, Settings

T = TypeVar("T")
SF_CLIENT = ("concord-flow-tests", "sf-flow-secret-51c2")
KT_CLIENT = ("concord-flow-tests", "kt-flow-secret-8e07")
NS_CLIENT = "concord-flow-tests"
NS_CERT = "concord-flow-cert"
API = "/api/v1"
TLS = ssl.create_default_context()
CURRENCIES = {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"}
ACCOUNT: dict[str, Any] = {
    "Name": "Globex Corporation",
    "BillingStreet": "1 Main Street",
    "BillingCity": "Springfield",
    "BillingState": "IL",
    "BillingPostalCode": "62701",
    "BillingCountry": "United States",
    "CurrencyIsoCode": "USD",
    "Tax_Id__c": "US-12-3456789",
    "Tax_Profile__c": "Standard",
}
"""A new Salesforce account with a complete customer master: billing address, currency, tax profile."""
DEAL: dict[str, Any] = {
    "Name": "Globex ERP rollout",
    "StageName": "Closed Won",
    "CloseDate": "2026-03-02",
    "CurrencyIsoCode": "USD",
    "Region__c": "North America",
    "Pricing_Model__c": "Fixed Fee",
    "Service_Line__c": "Implementation",
    "Expected_Start__c": "2026-04-06",
}
"""A won fixed-fee implementation deal, in dollars, that the firm's provisioning configuration takes."""
LINES: list[dict[str, Any]] = [
    {"Role__c": "Senior Consultant", "Hours__c": 400, "Rate__c": 195, "Quantity": 400, "UnitPrice": 195},
    {"Role__c": "Manager", "Hours__c": 120, "Rate__c": 230, "Quantity": 120, "UnitPrice": 230},
]
"""The deal's line items: 400 h x 195 + 120 h x 230 = 105,600, the deal's amount (Salesforce rolls the
products up) and the project's budget."""


def run(coro: Coroutine[Any, Any, T], timeout_s: float = 60.0) -> T:
    """Run a test coroutine on a fresh event loop, bounded in time."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def settle(concord: Concord, *, steps: int = 400, quiet: int = 3) -> None:
    """Run the worker until nothing is left (``quiet`` idle steps in a row), waiting out the backoff of
    retried commands and the settling of gathering flows."""
    idle = 0
    for _ in range(steps):
        worked = await concord.worker.step()
        idle = idle + 1 if worked == 0 and concord.worker.idle() else 0
        if idle >= quiet:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the worker still had work")


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    """The NetSuite integration's key (3072 bits, NetSuite's minimum), made once per session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def _pem(private: bool) -> str:
    key = rsa_key()
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class Servers:
    """The three emulators, running for a test module."""

    salesforce: RunningServer
    kantata: RunningServer
    netsuite: RunningServer


@contextmanager
def serve_all() -> Iterator[Servers]:
    """Start the three emulators on free loopback ports."""
    with ExitStack() as stack:
        sf = stack.enter_context(
            start_in_thread(
                salesforce_app(EmulatorSettings(name="salesforce", credentials=dict([SF_CLIENT])))
            )
        )
        kt = stack.enter_context(
            start_in_thread(kantata_app(EmulatorSettings(name="kantata", credentials=dict([KT_CLIENT]))))
        )
        ns = stack.enter_context(start_in_thread(netsuite_app(EmulatorSettings(name="netsuite"))))
        yield Servers(sf, kt, ns)


def _reset(server: RunningServer, platform: Any) -> None:
    state: SandboxState = server.app.state.sandbox
    state.reset(tokens=True)
    state.profile.platform = platform
    state.profile.mode = "instant"


@dataclass
class World:
    """The platforms with the firm's reference data: a US subsidiary and a contract service item in
    NetSuite, a USD rate card in Kantata."""

    servers: Servers
    admin: dict[str, httpx.Client]
    ids: dict[str, str] = field(default_factory=dict)
    _kantata_token: str = ""

    @classmethod
    @contextmanager
    def fresh(cls, servers: Servers) -> Iterator[World]:
        _reset(servers.salesforce, SALESFORCE_PROFILE)
        _reset(servers.kantata, KANTATA_PROFILE)
        _reset(servers.netsuite, NETSUITE_PROFILE)
        servers.kantata.app.state.kantata_rate_budget.per_minute = 600
        with ExitStack() as stack:
            admin = {
                "salesforce": stack.enter_context(httpx.Client(base_url=servers.salesforce.base_url)),
                "kantata": stack.enter_context(httpx.Client(base_url=servers.kantata.base_url)),
                "netsuite": stack.enter_context(httpx.Client(base_url=servers.netsuite.base_url, verify=TLS)),
            }
            world = cls(servers, admin)
            answer = admin["netsuite"].put(
                f"/__sandbox/netsuite/certificates/{NS_CLIENT}/{NS_CERT}", content=_pem(private=False)
            )
            assert answer.status_code == 204, answer.text
            world.seed_reference_data()
            yield world

    def seed_reference_data(self) -> None:
        sub = self.ns_seed(
            "subsidiary", {"name": "Concord Consulting Inc.", "country": "US", "externalId": "US"}
        )
        self.ids["subsidiary"] = sub
        self.ids["item"] = self.ns_seed("serviceItem", {"itemId": "Professional services contract"})
        card = self.kantata_api(
            "POST", "rate_cards.json", {"rate_card": {"title": "Standard USD", "currency": "USD"}}
        )
        self.ids["rate_card"] = str(card["results"][0]["id"])

    # -- configuration ----------------------------------------------------------------------------------

    def settings(self, tmp_path: Path, **overrides: Any) -> Settings:
        """Concord running opportunity-to-project over the three emulators, quick retries."""
        references = {
            "netsuite_currency": {v: k for k, v in CURRENCIES.items()},
            "netsuite_currency_id": dict(CURRENCIES),
            "netsuite_subsidiary_code": {self.ids["subsidiary"]: "US"},
            "netsuite_subsidiary_id": {"US": self.ids["subsidiary"]},
            "netsuite_subsidiary_currency": {self.ids["subsidiary"]: "USD"},
            "netsuite_item_id": {"contract": self.ids["item"]},
            "kantata_rate_card_id": {"USD": self.ids["rate_card"]},
        }
        connectors: dict[str, dict[str, Any]] = {
            "salesforce": {
                "kind": "salesforce",
                "login_url": self.servers.salesforce.base_url,
                "auth": {
                    "kind": "client_credentials",
                    "consumer_key": SF_CLIENT[0],
                    "consumer_secret": SF_CLIENT[1],
                },
            },
            "kantata": {
                "kind": "kantata",
                "base_url": self.servers.kantata.base_url,
                "auth": {
                    "kind": "client_credentials",
                    "client_id": KT_CLIENT[0],
                    "client_secret": KT_CLIENT[1],
                },
                "rate": {"max_concurrency": 6},
            },
            "netsuite": {
                "kind": "netsuite",
                "account_id": "1234567",
                "base_url": self.servers.netsuite.base_url,
                "client_id": NS_CLIENT,
                "certificate_id": NS_CERT,
                "private_key": _pem(private=True),
            },
        }
        options: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path}/concord.db",
            "connectors": connectors,
            "flows": ["opportunity_to_project"],
            "reference_tables": references,
            "retry": RetrySettings(initial_s=0.01, max_delay_s=0.05, max_attempts=3),
            "log_level": "WARNING",
        }
        return Settings(**{**options, **overrides})

    def engine(self, tmp_path: Path, **overrides: Any) -> Concord:
        return bootstrap_from_settings(self.settings(tmp_path, **overrides), log_to_stderr=False)

    # -- Salesforce -------------------------------------------------------------------------------------

    def sf_spec(self) -> SalesforceSpec:
        return SalesforceSpec(
            login_url=self.servers.salesforce.base_url,
            auth={
                "kind": "client_credentials",
                "consumer_key": SF_CLIENT[0],
                "consumer_secret": SF_CLIENT[1],
            },
        )

    def sf_seed(self, sobject: str, *records: dict[str, Any]) -> list[str]:
        answer = self.admin["salesforce"].post(
            "/__sandbox/salesforce/seed", json={"sobject": sobject, "records": list(records)}
        )
        assert answer.status_code < 300, answer.text
        return list(answer.json()["ids"])

    async def sf_update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> None:
        async with SalesforceClient(self.sf_spec()) as sf:
            await sf.update(sobject, record_id, fields)

    async def sf_query(self, soql: str) -> list[dict[str, Any]]:
        async with SalesforceClient(self.sf_spec()) as sf:
            return [row async for row in sf.query(soql)]

    def sf_accounts(self) -> list[dict[str, Any]]:
        return run(self.sf_query("SELECT Id, Name FROM Account"))

    # -- Kantata ----------------------------------------------------------------------------------------

    def kantata_api(self, method: str, path: str, body: dict[str, Any] | None = None, **params: str) -> Any:
        http = self.admin["kantata"]
        if not self._kantata_token:
            token = http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=KT_CLIENT)
            assert token.status_code == 200, token.text
            self._kantata_token = str(token.json()["access_token"])
        headers = {"Authorization": f"Bearer {self._kantata_token}"}
        answer = http.request(method, f"{API}/{path}", json=body, params=params, headers=headers)
        assert answer.status_code in (200, 204), answer.text
        return answer.json() if answer.content else None

    def kantata_records(self, collection: str, **params: str) -> list[dict[str, Any]]:
        """Every record of a Kantata list (with their external references), in id order."""
        body = self.kantata_api(
            "GET", f"{collection}.json", include="external_references", per_page="200", **params
        )
        records = [body[collection][ref["id"]] for ref in body["results"]]
        references = body.get("external_references", {})
        for record in records:
            record["external_references"] = [references[i] for i in record.get("external_reference_ids", [])]
        return sorted(records, key=lambda r: int(r["id"]))

    def kantata_writes(self, collection: str) -> int:
        answer = self.admin["kantata"].get(
            "/__sandbox/requests", params={"limit": 0, "path": f"{API}/{collection}*"}
        )
        total = int(answer.json()["total"])
        reads = self.admin["kantata"].get(
            "/__sandbox/requests", params={"limit": 0, "path": f"{API}/{collection}*", "method": "GET"}
        )
        return total - int(reads.json()["total"])

    # -- NetSuite ---------------------------------------------------------------------------------------

    @property
    def netsuite(self) -> NetSuiteEmulator:
        emulator: NetSuiteEmulator = self.servers.netsuite.app.state.netsuite
        return emulator

    def ns_seed(self, record_type: str, body: dict[str, Any]) -> str:
        return self.netsuite.service.create(record_type, body)

    def ns_records(self, record_type: str) -> list[dict[str, Any]]:
        found = lookup(record_type)
        assert found is not None
        return [{"id": r.id, **r.body, "lines": r.lines} for r in self.netsuite.repo.scan(found)]

    def ns_fault(self, **rule: Any) -> str:
        answer = self.admin["netsuite"].post("/__sandbox/faults", json=rule)
        assert answer.status_code < 300, answer.text
        return str(answer.json()["id"])

    def ns_clear_faults(self) -> None:
        answer = self.admin["netsuite"].put("/__sandbox/faults", json={"rules": []})
        assert answer.status_code < 300, answer.text
