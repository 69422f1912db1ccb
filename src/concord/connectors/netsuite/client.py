"""``NetSuiteClient``: NetSuite's REST web services as Concord uses them (async, httpx).

Everything goes through one ``ApiSession``: the ``RateGovernor`` (NetSuite governs concurrency, not a
call quota, so its ``max_concurrency`` is the brake that keeps Concord under the integration's limit),
the token from the client credentials grant (renewed before it expires, and once after a 401, the call
repeated once), and NetSuite's ``o:errorDetails`` mapped to Concord's error tree. Nothing here knows
about the sandbox: point the spec at a real account and the same code runs.

- Records: ``get``/``find``/``create``/``update``/``upsert_by_external_id``/``delete``, ``list_pages``.
- SuiteQL: ``query`` pages through ``limit``/``offset`` (``Prefer: transient``) by the ``next`` links.
- Asynchronous writes with idempotency keys: ``submit_async`` (see ``concord.connectors.netsuite.jobs``).
- Many writes: ``batch`` (see ``concord.connectors.netsuite.batch``).

Numbers with a fraction come back as ``Decimal``; send ``Decimal`` for money.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from concord.connectors.http.auth import TokenManager
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.http.paging import Page, follow_pages
from concord.connectors.http.session import ApiSession
from concord.connectors.netsuite.auth import make_grant
from concord.connectors.netsuite.batch import RecordWrite, WriteResult, run_batch
from concord.connectors.netsuite.errors import SYSTEM, NetSuiteErrorMapper
from concord.connectors.netsuite.jobs import AsyncJobs, AsyncResult
from concord.connectors.netsuite.links import (
    QUERY_PATH,
    ExternalId,
    HostGuard,
    Record,
    RecordKey,
    collection_page,
    id_from_location,
    record_path,
)
from concord.connectors.netsuite.spec import NetSuiteSpec
from concord.engine.errors import CannotEncode, PermanentError, TransientError

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _fields(names: Sequence[str]) -> str:
    for name in names:
        if not _FIELD.match(name):
            raise CannotEncode(f"{name!r} is not a valid {SYSTEM} field name")
    return ",".join(names)


class NetSuiteClient:
    """An async client of one account's REST web services; use ``async with`` or call ``aclose()``.

    Args:
        spec: Where the account is and how to authenticate.
        transport: An httpx transport (tests only; the default talks to the network).
        governor: A shared call budget (default: one from ``spec.rate``). Share it between every client
            of the same account: NetSuite's concurrency limit is the account's (or the integration's).
    """

    def __init__(
        self,
        spec: NetSuiteSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        governor: RateGovernor | None = None,
    ) -> None:
        self.spec = spec
        self.governor = governor or RateGovernor(SYSTEM, spec.rate)
        # No Accept header: NetSuite answers application/vnd.oracle.resource+json (and its own error type),
        # which httpx's default */* accepts.
        headers = {"X-NetSuite-PropertyNameValidation": "Error"} if spec.strict_field_names else {}
        self.session = ApiSession(
            mapper=NetSuiteErrorMapper(),
            governor=self.governor,
            timeout=httpx.Timeout(spec.timeout_s, connect=spec.connect_timeout_s),
            transport=transport,
            headers=headers,
            base_url=spec.api_url,
        )
        self.tokens = TokenManager(make_grant(spec, self.session), system=SYSTEM)
        self.session.tokens = self.tokens
        self._guard = HostGuard(spec.api_url)
        self.jobs = AsyncJobs(self.session, spec, self._guard)

    # -- records --------------------------------------------------------------------------------------

    async def get(
        self,
        record_type: str,
        key: RecordKey,
        *,
        fields: Sequence[str] | None = None,
        expand_sub_resources: bool = False,
        priority: Priority = Priority.NORMAL,
    ) -> Record:
        """One record by internal id or external id (``ExternalId("CRM-1")`` or ``"eid:CRM-1"``).

        Raises:
            Rejected: no such record (``NONEXISTENT_ID``); use ``find`` to get None instead.
        """
        params = self._read_params(fields, expand_sub_resources)
        body = await self.session.request_json(
            "GET", record_path(record_type, key), params=params, priority=priority
        )
        if not isinstance(body, dict):
            raise TransientError(f"{SYSTEM} answered a record read with an unexpected shape")
        return body

    async def find(
        self,
        record_type: str,
        key: RecordKey,
        *,
        fields: Sequence[str] | None = None,
        expand_sub_resources: bool = False,
        priority: Priority = Priority.NORMAL,
    ) -> Record | None:
        """Like ``get``, but None when the record does not exist."""
        params = self._read_params(fields, expand_sub_resources)
        response = await self.session.request(
            "GET", record_path(record_type, key), params=params, priority=priority, check=False
        )
        if response.status_code == 404:
            return None
        self.session.mapper.raise_for_status(response)
        body = self.session.mapper.decode(response)
        if not isinstance(body, dict):
            raise TransientError(f"{SYSTEM} answered a record read with an unexpected shape")
        return body

    async def create(
        self, record_type: str, body: Mapping[str, Any], *, priority: Priority = Priority.NORMAL
    ) -> str:
        """Create a record; returns its internal id (from the 204's ``Location``).

        Not safe to repeat: prefer ``upsert_by_external_id``, or ``submit_async`` with a key.
        """
        response = await self.session.request(
            "POST", record_path(record_type), json=dict(body), priority=priority
        )
        return self._written_id(response, f"created a {record_type}")

    async def update(
        self,
        record_type: str,
        key: RecordKey,
        body: Mapping[str, Any],
        *,
        replace: Sequence[str] = (),
        priority: Priority = Priority.NORMAL,
    ) -> None:
        """Change fields of a record (``PATCH``); sublists named in ``replace`` get exactly the lines sent."""
        params = {"replace": _fields(replace)} if replace else None
        await self.session.request(
            "PATCH", record_path(record_type, key), json=dict(body), params=params, priority=priority
        )

    async def upsert_by_external_id(
        self,
        record_type: str,
        external_id: str | ExternalId,
        body: Mapping[str, Any],
        *,
        replace: Sequence[str] = (),
        priority: Priority = Priority.NORMAL,
    ) -> str:
        """Create or update the record with this external id (``PUT .../eid:{value}``); returns its id.

        Safe to repeat: one external id is one record. NetSuite answers 204 either way, so whether it
        created or updated is not known. Sublists named in ``replace`` get exactly the lines sent (without
        it, an update adds the lines sent to the ones the record has, so a repeated upsert would double them).

        Raises:
            CannotEncode: ``body`` gives ``externalId`` another value.
        """
        eid = external_id if isinstance(external_id, ExternalId) else ExternalId(external_id)
        payload = dict(body)
        if payload.get("externalId") not in (None, eid.value):
            raise CannotEncode(
                f"externalId is {payload['externalId']!r} in the body but {eid.value!r} in the upsert"
            )
        payload.pop("externalId", None)
        params = {"replace": _fields(replace)} if replace else None
        response = await self.session.request(
            "PUT", record_path(record_type, eid), json=payload, params=params, priority=priority
        )
        found = id_from_location(response.headers.get("location"))
        if found is not None:
            return found
        record = await self.find(record_type, eid, fields=["id"], priority=priority)
        if record is None or not record.get("id"):
            raise TransientError(f"{SYSTEM} upserted {record_type} eid:{eid.value} but cannot find it")
        return str(record["id"])

    async def delete(self, record_type: str, key: RecordKey, *, priority: Priority = Priority.NORMAL) -> None:
        """Delete a record."""
        await self.session.request("DELETE", record_path(record_type, key), priority=priority)

    def list_pages(
        self,
        record_type: str,
        *,
        q: str | None = None,
        page_size: int | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> AsyncIterator[Page[Record]]:
        """The pages of a record list (``GET /record/v1/{type}?q=&limit=&offset=``): ids and links only.

        Args:
            record_type: The record type.
            q: A filter (``email START_WITH barbara``, ``lastModifiedDate ON_OR_AFTER "1/5/2026"``).
            page_size: Records per page (default ``spec.query_page_size``, at most 1000).
            priority: Governor priority of each page's call.
        """
        params = {"limit": str(page_size or self.spec.query_page_size), "offset": "0"}
        if q:
            params["q"] = q
        path = record_path(record_type)

        async def fetch(next_url: str | None) -> Page[Record]:
            if next_url is None:
                body = await self.session.request_json("GET", path, params=params, priority=priority)
            else:
                body = await self.session.request_json("GET", self._guard.check(next_url), priority=priority)
            return collection_page(body, "a record list")

        return follow_pages(fetch)

    async def list_ids(
        self, record_type: str, *, q: str | None = None, priority: Priority = Priority.NORMAL
    ) -> AsyncIterator[str]:
        """The internal id of every record a list returns."""
        async for page in self.list_pages(record_type, q=q, priority=priority):
            for item in page.items:
                yield str(item["id"])

    # -- SuiteQL --------------------------------------------------------------------------------------

    async def query_page(
        self, sql: str, *, limit: int | None = None, offset: int = 0, priority: Priority = Priority.NORMAL
    ) -> Page[Record]:
        """One page of a SuiteQL query (rows without their empty ``links``)."""
        params = {"limit": str(limit or self.spec.query_page_size), "offset": str(offset)}
        body = await self.session.request_json(
            "POST", QUERY_PATH, params=params, json={"q": sql}, headers=_TRANSIENT, priority=priority
        )
        return collection_page(body, "a SuiteQL query", drop_links=True)

    def query_pages(
        self, sql: str, *, page_size: int | None = None, priority: Priority = Priority.NORMAL
    ) -> AsyncIterator[Page[Record]]:
        """The pages of a SuiteQL query, following ``links[rel=next]`` until ``hasMore`` is false.

        Order by a unique key (``ORDER BY id``): offset paging is only stable over a stable order. NetSuite
        returns at most 100,000 rows this way; change detection (``changes.py``) pages by key instead.
        """

        async def fetch(next_url: str | None) -> Page[Record]:
            if next_url is None:
                return await self.query_page(sql, limit=page_size, priority=priority)
            body = await self.session.request_json(
                "POST", self._guard.check(next_url), json={"q": sql}, headers=_TRANSIENT, priority=priority
            )
            return collection_page(body, "a SuiteQL query", drop_links=True)

        return follow_pages(fetch)

    async def query(
        self, sql: str, *, page_size: int | None = None, priority: Priority = Priority.NORMAL
    ) -> AsyncIterator[Record]:
        """Every row of a SuiteQL query, page after page (values are strings, as NetSuite sends them)."""
        async for page in self.query_pages(sql, page_size=page_size, priority=priority):
            for row in page.items:
                yield row

    # -- asynchronous requests and batches ------------------------------------------------------------

    async def submit_async(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        idempotency_key: str,
        *,
        priority: Priority = Priority.NORMAL,
    ) -> AsyncResult:
        """Run one request as an asynchronous job, once per ``idempotency_key``, and wait for its result.

        ``path`` is the REST path (``record_path("invoice")`` gives ``/services/rest/record/v1/invoice``).
        Submitting the same key again (a retry, a redelivery after a crash) does not run the request again:
        it returns the first submission's result with ``replayed=True``. So a create sent this way makes
        one record however often it is delivered; ``result.record_id`` is its id.

        Raises:
            Rejected: NetSuite refused the request (e.g. a posting in a closed period).
            TransientError: it failed in a way that may pass, or is still running; submit again.
        """
        payload = None if body is None else dict(body)
        return await self.jobs.submit(method.upper(), path, payload, idempotency_key, priority=priority)

    async def batch(
        self, writes: Sequence[RecordWrite], *, priority: Priority = Priority.NORMAL
    ) -> list[WriteResult]:
        """Carry out many record writes concurrently, as many at once as the governor allows.

        NetSuite's REST Record API has no multi-record endpoint: each record is one call, and the account's
        concurrency limit (``spec.rate.max_concurrency``) is the ceiling on throughput. Results come back
        per write, in input order; a failed write does not stop the others.
        """
        return await run_batch(self, writes, priority=priority)

    # -- plumbing -------------------------------------------------------------------------------------

    @staticmethod
    def _read_params(fields: Sequence[str] | None, expand: bool) -> dict[str, str] | None:
        params: dict[str, str] = {}
        if fields:
            params["fields"] = _fields(fields)
        if expand:
            params["expandSubResources"] = "true"
        return params or None

    @staticmethod
    def _written_id(response: httpx.Response, what: str) -> str:
        found = id_from_location(response.headers.get("location"))
        if found is None:
            # Not transient: the record exists, and sending the create again would make a second one.
            raise PermanentError(
                f"{SYSTEM} {what} but sent no record Location ({response.status_code}); "
                "look the record up before sending it again"
            )
        return found

    async def aclose(self) -> None:
        """Close the connections."""
        await self.session.aclose()

    async def __aenter__(self) -> NetSuiteClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


_TRANSIENT = {"Prefer": "transient"}
