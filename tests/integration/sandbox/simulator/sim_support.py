"""A sandbox of the three emulators on loopback ports for the simulator's tests, and small synchronous
clients that read back what the simulation did through the platforms' own APIs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from concord.sandbox.core import RunningServer, start_in_thread
from concord.sandbox.firm import SIZES
from concord.sandbox.launch.access import SandboxAccess
from concord.sandbox.launch.apps import LaunchOptions, build_apps, ports_from
from concord.sandbox.launch.credentials import ensure_credentials
from concord.sandbox.simulator import SandboxTargets
from concord.sandbox.simulator.auth import NETSUITE_ASSERTION_TYPE, netsuite_assertion

TINY = replace(
    SIZES["small"],
    consultants=12,
    customers=10,
    deals_per_month=3,
    history_months=1,
    awaiting=1,
    open_deals=6,
)
"""A firm a fifth of the small one: loads in about a second."""


@dataclass
class Sandbox:
    """Three running emulators and how to reach them."""

    servers: list[RunningServer]
    access: SandboxAccess
    targets: SandboxTargets = field(init=False)

    def __post_init__(self) -> None:
        self.targets = SandboxTargets.from_access(self.access)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_sandbox(data_dir: Path) -> Sandbox:
    """Serve Salesforce, Kantata and NetSuite on free ports, with credentials kept in ``data_dir``."""
    creds = ensure_credentials(data_dir)
    bindings = build_apps(LaunchOptions(data_dir=data_dir, ports=ports_from(0)), creds)
    servers = [start_in_thread(binding.app) for binding in bindings]
    urls = [server.base_url for server in servers]
    return Sandbox(servers, SandboxAccess(urls[0], urls[1], urls[2], creds))


def _token(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


class Readers:
    """Authenticated read clients for the three platforms of a sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        targets = sandbox.targets
        self.http = httpx.Client(timeout=30.0)
        sf, kt, ns = targets.salesforce, targets.kantata, targets.netsuite
        self.sf_url = f"{sf.base_url}/services/data/{sf.api_version}"
        self.kt_url = f"{kt.base_url}/api/v1"
        self.ns_url = ns.base_url
        self.admin_urls = [t.admin_url() for t in (sf, kt, ns)]
        self.sf_headers = {
            "Authorization": "Bearer "
            + _token(
                self.http.post(
                    sf.token_endpoint(),
                    data={"grant_type": "client_credentials"},
                    auth=(sf.client_id, sf.client_secret.get_secret_value()),
                )
            )
        }
        kt_form = {
            "grant_type": "client_credentials",
            "client_id": kt.client_id,
            "client_secret": kt.client_secret.get_secret_value(),
        }
        self.kt_headers = {
            "Authorization": "Bearer " + _token(self.http.post(kt.token_endpoint(), data=kt_form))
        }
        ns_form = {
            "grant_type": "client_credentials",
            "client_assertion_type": NETSUITE_ASSERTION_TYPE,
            "client_assertion": netsuite_assertion(ns),
        }
        self.ns_headers = {
            "Authorization": "Bearer " + _token(self.http.post(ns.token_endpoint(), data=ns_form))
        }

    def close(self) -> None:
        self.http.close()

    def soql(self, query: str) -> list[dict[str, Any]]:
        """Every row of a SOQL query."""
        page = self.http.get(f"{self.sf_url}/query", params={"q": query}, headers=self.sf_headers).json()
        rows = list(page["records"])
        while not page["done"]:
            base = self.sf_url.split("/services/")[0]
            page = self.http.get(base + page["nextRecordsUrl"], headers=self.sf_headers).json()
            rows += page["records"]
        return rows

    def kantata(self, collection: str, **params: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every record of a Kantata index (and the side-loaded records), all pages."""
        records: list[dict[str, Any]] = []
        included: dict[str, Any] = {}
        page_number = 1
        while True:
            query = {**params, "per_page": "200", "page": str(page_number)}
            response = self.http.get(
                f"{self.kt_url}/{collection}.json", params=query, headers=self.kt_headers
            )
            assert response.status_code == 200, response.text
            page = response.json()
            records += [page[ref["key"]][ref["id"]] for ref in page["results"]]
            for key, value in page.items():
                if key not in ("results", "meta", "count", collection):
                    included.setdefault(key, {}).update(value)
            if page_number >= page["meta"]["page_count"]:
                return records, included
            page_number += 1

    def kantata_count(self, collection: str, **params: str) -> int:
        """How many records a Kantata index matches."""
        query = {**params, "per_page": "1"}
        response = self.http.get(f"{self.kt_url}/{collection}.json", params=query, headers=self.kt_headers)
        assert response.status_code == 200, response.text
        count = response.json()["count"]
        assert isinstance(count, int)
        return count

    def suiteql(self, query: str) -> list[dict[str, Any]]:
        """The rows of a SuiteQL query (one page is enough here)."""
        response = self.http.post(
            f"{self.ns_url}/services/rest/query/v1/suiteql",
            json={"q": query},
            headers={**self.ns_headers, "Prefer": "transient"},
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert isinstance(items, list)
        return items

    def clocks(self) -> list[dict[str, Any]]:
        """Each emulator's admin clock."""
        return [self.http.get(f"{url}/clock").json() for url in self.admin_urls]
