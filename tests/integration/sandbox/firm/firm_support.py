"""Helpers of the firm tests: the three emulators served in this process, and readers of their APIs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from concord.sandbox.core import start_in_thread
from concord.sandbox.launch import (
    LaunchOptions,
    SandboxAccess,
    build_apps,
    ensure_credentials,
    fetch_tokens,
    ports_from,
)
from concord.sandbox.launch.access import SALESFORCE_API_VERSION, register_salesforce_jwt


@contextmanager
def running_sandbox(data_dir: Path) -> Iterator[SandboxAccess]:
    """The three emulators on free loopback ports with the sandbox credentials of ``data_dir``."""
    creds = ensure_credentials(data_dir)
    with ExitStack() as stack:
        urls = {}
        for binding in build_apps(LaunchOptions(data_dir=data_dir, ports=ports_from(0)), creds):
            urls[binding.name] = stack.enter_context(start_in_thread(binding.app)).base_url
        access = SandboxAccess(urls["salesforce"], urls["kantata"], urls["netsuite"], creds)
        with httpx.Client(timeout=10.0) as client:
            register_salesforce_jwt(client, access)
        yield access


class Reader:
    """Reads the emulators through their platform APIs with the sandbox's own credentials."""

    def __init__(self, access: SandboxAccess) -> None:
        async def tokens() -> dict[str, str]:
            async with httpx.AsyncClient(timeout=10.0) as client:
                return await fetch_tokens(client, access)

        self.tokens = asyncio.run(tokens())
        self.http = httpx.Client(timeout=30.0)
        self.access = access

    def close(self) -> None:
        self.http.close()

    def _get(self, system: str, url: str, **params: Any) -> Any:
        response = self.http.get(
            url, params=params, headers={"Authorization": f"Bearer {self.tokens[system]}"}
        )
        assert response.status_code == 200, response.text
        return json.loads(response.content, parse_float=Decimal)

    def soql(self, query: str) -> list[dict[str, Any]]:
        """Every row of a SOQL query (following ``nextRecordsUrl``)."""
        base = self.access.salesforce_url
        page = self._get("salesforce", f"{base}/services/data/{SALESFORCE_API_VERSION}/query", q=query)
        rows: list[dict[str, Any]] = page["records"]
        while not page["done"]:
            page = self._get("salesforce", base + page["nextRecordsUrl"])
            rows += page["records"]
        return rows

    def sobject(self, sobject: str, record_id: str) -> dict[str, Any]:
        """One Salesforce record."""
        api = f"{self.access.salesforce_url}/services/data/{SALESFORCE_API_VERSION}"
        url = f"{api}/sobjects/{sobject}/{record_id}"
        record: dict[str, Any] = self._get("salesforce", url)
        return record

    def kantata(self, path: str, **params: Any) -> dict[str, Any]:
        """``GET /api/v1/<path>``."""
        body: dict[str, Any] = self._get("kantata", f"{self.access.kantata_url}/api/v1/{path}", **params)
        return body

    def kantata_one(self, plural: str, record_id: str, **params: Any) -> dict[str, Any]:
        """One Kantata record as rendered."""
        body = self.kantata(f"{plural}/{record_id}.json", **params)
        record: dict[str, Any] = body[plural][record_id]
        return record

    def suiteql(self, query: str) -> list[dict[str, Any]]:
        """Every row of a SuiteQL query (1,000 a page)."""
        rows: list[dict[str, Any]] = []
        url = f"{self.access.netsuite_url}/services/rest/query/v1/suiteql"
        headers = {"Authorization": f"Bearer {self.tokens['netsuite']}", "Prefer": "transient"}
        while True:
            response = self.http.post(
                url, json={"q": query}, params={"limit": 1000, "offset": len(rows)}, headers=headers
            )
            assert response.status_code == 200, response.text
            page = response.json()
            rows += page["items"]
            if not page["hasMore"]:
                return rows
