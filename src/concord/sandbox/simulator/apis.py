"""The calls the simulator makes, per platform, on top of ``PlatformClient``: SOQL and sObject Collections
for Salesforce, paged lists, bulk creates and timesheet and expense report resolutions for Kantata,
SuiteQL and record updates for NetSuite, and the sandbox admin clock of each emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from concord.sandbox.simulator.http import ApiError, PlatformClient

T = TypeVar("T")
R = TypeVar("R")
Record = dict[str, Any]

SALESFORCE_BATCH = 200
KANTATA_BULK = 100
KANTATA_PAGE = 200
SUITEQL_PAGE = 1000
CLOCK_ATTEMPTS = 5


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """``items`` cut into slices of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), size)]


async def gather_all(items: Sequence[T], work: Callable[[T], Awaitable[R]]) -> list[R]:
    """``work`` on every item concurrently (the client bounds requests in flight); results in order."""
    return list(await asyncio.gather(*(work(item) for item in items)))


class SalesforceApi:
    """SOQL queries and sObject Collections writes (200 records a call, each record on its own)."""

    def __init__(self, client: PlatformClient, api_version: str) -> None:
        self.client = client
        self.data = f"/services/data/{api_version}"

    async def query(self, soql: str) -> list[Record]:
        """Every row of ``soql``, following ``nextRecordsUrl``."""
        page = await self.client.json("GET", f"{self.data}/query", params={"q": soql}, what="a query")
        rows: list[Record] = list(page["records"])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = await self.client.json("GET", str(page["nextRecordsUrl"]), what="the next query batch")
            rows.extend(page["records"])
        return rows

    async def _collection(self, method: str, sobject: str, records: Sequence[Record]) -> list[Record]:
        async def one(batch: Sequence[Record]) -> list[Record]:
            body = {"allOrNone": False, "records": [{"attributes": {"type": sobject}, **r} for r in batch]}
            answer = await self.client.json(
                method, f"{self.data}/composite/sobjects", body=body, what=f"a collection of {sobject}"
            )
            return list(answer)

        results = await gather_all(chunks(records, SALESFORCE_BATCH), one)
        return [result for batch in results for result in batch]

    async def create(self, sobject: str, records: Sequence[Record]) -> list[Record]:
        """Create records of one type; one save result (``id``, ``success``, ``errors``) per record."""
        return await self._collection("POST", sobject, records) if records else []

    async def update(self, sobject: str, records: Sequence[Record]) -> list[Record]:
        """Update records (each carries its ``Id``); one save result per record."""
        return await self._collection("PATCH", sobject, records) if records else []

    async def running_user_id(self) -> str | None:
        """The id of the user the integration's session runs as (OpenID Connect user info)."""
        info = await self.client.json("GET", "/services/oauth2/userinfo", what="the user info")
        user_id = info.get("user_id") if isinstance(info, dict) else None
        return str(user_id) if user_id else None


class KantataApi:
    """Kantata OX API v1 calls: paged index reads, creates (bulk where the platform has it), updates, and
    timesheet and expense report submissions and resolutions."""

    def __init__(self, client: PlatformClient) -> None:
        self.client = client
        self.errors: list[str] = []

    async def _page(self, collection: str, params: dict[str, str], page: int) -> Record:
        query = {**params, "per_page": str(KANTATA_PAGE), "page": str(page)}
        answer: Record = await self.client.json(
            "GET", f"/api/v1/{collection}.json", params=query, what=f"the {collection} list"
        )
        return answer

    async def index(
        self, collection: str, params: dict[str, str] | None = None, *, max_pages: int | None = None
    ) -> tuple[list[Record], Record]:
        """Every record of ``collection`` matching ``params`` (up to ``max_pages`` pages), in the platform's
        order, and the side-loaded records of the includes (``{collection: {id: record}}``)."""
        params = dict(params or {})
        first = await self._page(collection, params, 1)
        pages = [first]
        page_count = int(first.get("meta", {}).get("page_count") or 1)
        if max_pages is not None:
            page_count = min(page_count, max_pages)
        if page_count > 1:
            pages += await gather_all(range(2, page_count + 1), lambda n: self._page(collection, params, n))
        records: list[Record] = []
        included: Record = {}
        for page in pages:
            for ref in page.get("results", []):
                records.append(page[ref["key"]][str(ref["id"])])
            for key, value in page.items():
                if key not in ("results", "meta", "count", collection) and isinstance(value, dict):
                    included.setdefault(key, {}).update(value)
        return records, included

    def _answered(self, response: httpx.Response, what: str) -> list[Record] | None:
        """The records of a 200 answer in ``results`` order; ``None`` (reason in ``errors``) for another
        status or a body that is not the platform's envelope (a garbled answer loses the ids)."""
        if response.status_code != 200:
            self.errors.append(f"{what}: {response.status_code} {response.text[:200]}")
            return None
        try:
            answer = response.json()
            return [answer[ref["key"]][str(ref["id"])] for ref in answer["results"]]
        except (ValueError, KeyError, TypeError) as exc:
            self.errors.append(f"{what}: unreadable answer ({type(exc).__name__})")
            return None

    async def create(self, collection: str, singular: str, items: Sequence[Record]) -> list[Record | None]:
        """Create records, 100 a call with the plural key (all or none per call, as the platform does);
        a refused call is retried one record at a time so one bad record does not sink the others.

        Returns:
            The created record per item, ``None`` where the platform refused it (reason in ``errors``).
        """

        async def bulk(batch: Sequence[Record]) -> list[Record | None]:
            path = f"/api/v1/{collection}.json"
            response = await self.client.send("POST", path, body={collection: list(batch)})
            if response.status_code == 422 and len(batch) > 1:
                return await gather_all(batch, lambda item: self.create_one(collection, singular, item))
            records = self._answered(response, collection)
            if records is None or len(records) != len(batch):
                return [None] * len(batch)
            return list(records)

        results = await gather_all(chunks(items, KANTATA_BULK), bulk)
        return [record for batch in results for record in batch]

    async def create_one(self, collection: str, singular: str, item: Record) -> Record | None:
        """Create one record; ``None`` when refused (the reason goes to ``errors``)."""
        response = await self.client.send("POST", f"/api/v1/{collection}.json", body={singular: item})
        records = self._answered(response, singular)
        return records[0] if records else None

    async def update(self, collection: str, singular: str, record_id: str, changes: Record) -> Record | None:
        """Change one record; ``None`` when refused (the reason goes to ``errors``)."""
        path = f"/api/v1/{collection}/{quote(record_id)}.json"
        response = await self.client.send("PUT", path, body={singular: changes})
        records = self._answered(response, f"{singular} {record_id}")
        return records[0] if records else None

    async def submit(self, submission: Record) -> Record | None:
        """Submit a timesheet (``workspace_id``, ``user_id``, ``title``, ``line_item_ids``)."""
        return await self.create_one("timesheet_submissions", "timesheet_submission", submission)

    async def submit_expenses(self, submission: Record) -> Record | None:
        """Submit an expense report (``workspace_id``, ``user_id``, ``title``, ``expense_ids``)."""
        return await self.create_one("expense_report_submissions", "expense_report_submission", submission)

    async def resolve_expenses(self, action: str, submission_id: str, description: str) -> Record | None:
        """Approve, reject or cancel one expense report (the platform resolves them one at a time).

        Returns:
            The submission as it is now, ``None`` when refused (the reason goes to ``errors``).
        """
        path = f"/api/v1/expense_report_submissions/{quote(submission_id)}/{action}.json"
        response = await self.client.send("PUT", path, body={"resolution": {"description": description}})
        records = self._answered(response, f"expense report {submission_id} ({action})")
        return records[0] if records else None

    async def resolve(self, action: str, submission_ids: Sequence[str], description: str) -> list[str]:
        """Approve, reject or cancel submissions, 100 a call (all or none per call, as the platform
        does; a refused call is retried one by one). Returns the ids resolved."""
        path = {"approve": "timesheet_approvals", "reject": "timesheet_rejections"}[action]

        async def bulk(batch: Sequence[str]) -> list[str]:
            body = {"resolution": {"submission_ids": list(batch), "description": description}}
            response = await self.client.send("POST", f"/api/v1/{path}.json", body=body)
            if response.status_code == 200:
                return list(batch)
            if response.status_code != 422 or len(batch) == 1:
                self.errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                return []
            singles = await gather_all(batch, lambda sid: bulk([sid]))
            return [sid for single in singles for sid in single]

        resolved = await gather_all(chunks(submission_ids, KANTATA_BULK), bulk)
        return [sid for batch in resolved for sid in batch]


class NetSuiteApi:
    """SuiteQL reads and Record API updates."""

    def __init__(self, client: PlatformClient) -> None:
        self.client = client

    async def suiteql(self, query: str) -> list[Record]:
        """Every row of ``query`` (``limit``/``offset`` paging)."""
        rows: list[Record] = []
        offset = 0
        while True:
            page = await self.client.json(
                "POST",
                "/services/rest/query/v1/suiteql",
                body={"q": query},
                params={"limit": str(SUITEQL_PAGE), "offset": str(offset)},
                headers={"Prefer": "transient"},
                what="a SuiteQL query",
            )
            rows.extend(page.get("items", []))
            if not page.get("hasMore"):
                return rows
            offset += SUITEQL_PAGE

    async def update(self, record_type: str, record_id: str, changes: Record) -> None:
        """``PATCH`` one record (204)."""
        path = f"/services/rest/record/v1/{record_type}/{quote(record_id)}"
        await self.client.json("PATCH", path, body=changes, ok=(204,), what=f"{record_type} {record_id}")


class SandboxClocks:
    """The emulators' clocks, set through each one's sandbox admin API (``PUT /__sandbox/clock``)."""

    def __init__(self, http: httpx.AsyncClient, admin_urls: Sequence[str]) -> None:
        self.http = http
        self.admin_urls = list(admin_urls)

    async def set(self, now: datetime, *, frozen: bool) -> None:
        """Put every emulator's clock at ``now`` (aware), frozen or running from there.

        Raises:
            ApiError: An emulator refused.
        """

        async def one(url: str) -> None:
            body = {"now": now.isoformat(), "frozen": frozen}
            # Setting a clock is idempotent: a dropped connection (a busy emulator closing a kept-alive
            # one) is tried again rather than ending the simulation.
            for attempt in range(1, CLOCK_ATTEMPTS + 1):
                try:
                    response = await self.http.put(f"{url}/clock", json=body)
                    break
                except httpx.TransportError:
                    if attempt == CLOCK_ATTEMPTS:
                        raise
                    await asyncio.sleep(0.2 * attempt)
            if response.status_code != 200:
                raise ApiError("sandbox", f"the clock at {url}", response.status_code, response.text[:200])

        await gather_all(self.admin_urls, one)

    async def read(self, index: int = 0) -> tuple[datetime, float]:
        """An emulator's clock: its now and how far it is set from real time (seconds)."""
        response = await self.http.get(f"{self.admin_urls[index]}/clock")
        if response.status_code != 200:
            raise ApiError("sandbox", "the clock", response.status_code, response.text[:200])
        body = response.json()
        return datetime.fromisoformat(body["now"]), float(body["offset_s"])
