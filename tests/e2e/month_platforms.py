"""Reading a month's sandbox straight through the three platforms' own APIs (tokens from their token
endpoints, then their REST and query APIs), as anyone inspecting the firm's systems would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from concord.sandbox.simulator import SandboxTargets
from concord.sandbox.simulator.auth import NETSUITE_ASSERTION_TYPE, netsuite_assertion

Included = dict[str, dict[str, dict[str, Any]]]
"""Kantata's side-loaded records: collection → id → record."""


class Platforms:
    """Authenticated reads of the sandbox's three platforms."""

    def __init__(self, data: Path) -> None:
        targets = SandboxTargets.from_data_dir(data)
        sf, kt, ns = targets.salesforce, targets.kantata, targets.netsuite
        self.http = httpx.Client(timeout=30.0)
        self.sf = f"{sf.base_url}/services/data/{sf.api_version}"
        self.kt = f"{kt.base_url}/api/v1"
        self.ns = ns.base_url
        sf_token = self.http.post(
            sf.token_endpoint(),
            data={"grant_type": "client_credentials"},
            auth=(sf.client_id, sf.client_secret.get_secret_value()),
        ).json()["access_token"]
        kt_form = {
            "grant_type": "client_credentials",
            "client_id": kt.client_id,
            "client_secret": kt.client_secret.get_secret_value(),
        }
        kt_token = self.http.post(kt.token_endpoint(), data=kt_form).json()["access_token"]
        ns_form = {
            "grant_type": "client_credentials",
            "client_assertion_type": NETSUITE_ASSERTION_TYPE,
            "client_assertion": netsuite_assertion(ns),
        }
        ns_token = self.http.post(ns.token_endpoint(), data=ns_form).json()["access_token"]
        self.headers = {
            "sf": {"Authorization": f"Bearer {sf_token}"},
            "kt": {"Authorization": f"Bearer {kt_token}"},
            "ns": {"Authorization": f"Bearer {ns_token}", "Prefer": "transient"},
        }

    def soql(self, query: str) -> list[dict[str, Any]]:
        page = self.http.get(f"{self.sf}/query", params={"q": query}, headers=self.headers["sf"]).json()
        rows = list(page["records"])
        while not page["done"]:
            base = self.sf.split("/services/")[0]
            page = self.http.get(base + page["nextRecordsUrl"], headers=self.headers["sf"]).json()
            rows += page["records"]
        return rows

    def suiteql(self, query: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            answer = self.http.post(
                f"{self.ns}/services/rest/query/v1/suiteql",
                params={"limit": "1000", "offset": str(offset)},
                json={"q": query},
                headers=self.headers["ns"],
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            rows += body["items"]
            if not body.get("hasMore"):
                return rows
            offset += 1000

    def netsuite_record(self, record_type: str, record_id: str) -> dict[str, Any]:
        """One record through NetSuite's REST Record API, with its sublists and inline records."""
        answer = self.http.get(
            f"{self.ns}/services/rest/record/v1/{record_type}/{record_id}",
            params={"expandSubResources": "true"},
            headers=self.headers["ns"],
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def kantata(self, collection: str, **params: str) -> tuple[list[dict[str, Any]], Included]:
        """Every record of a Kantata list (``params`` filter it and name what to include), in the list's
        order, with the side-loaded records."""
        found: list[dict[str, Any]] = []
        included: Included = {}
        page = 1
        while True:
            query = {**params, "per_page": "200", "page": str(page)}
            body = self.http.get(
                f"{self.kt}/{collection}.json", params=query, headers=self.headers["kt"]
            ).json()
            for name, records in body.items():
                if isinstance(records, dict) and name not in ("meta", collection):
                    included.setdefault(name, {}).update(records)
            found += [body[collection][ref["id"]] for ref in body["results"] if ref["key"] == collection]
            if page >= body["meta"]["page_count"]:
                return found, included
            page += 1

    def workspaces(self) -> list[dict[str, Any]]:
        found, included = self.kantata("workspaces", include="external_references")
        refs = included.get("external_references", {})
        for workspace in found:
            workspace["refs"] = [refs[i] for i in workspace.get("external_reference_ids", [])]
        return found
