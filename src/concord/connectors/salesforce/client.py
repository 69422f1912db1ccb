"""``SalesforceClient``: the Salesforce REST API as Concord uses it (async, httpx).

Everything goes through one ``ApiSession``: the ``RateGovernor`` (fed from ``Sforce-Limit-Info`` on every
response), the token from the spec's grant (renewed once after a 401, the call repeated once), and
Salesforce's error codes mapped to Concord's error tree. Nothing here knows about the sandbox: point the
spec at a real org and the same code runs.

Numbers with a fraction come back as ``Decimal``; send ``Decimal`` for money.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx

from concord.connectors.http import jsonio
from concord.connectors.http.auth import TokenManager
from concord.connectors.http.errors import PlatformError
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.http.paging import Page, follow_pages
from concord.connectors.http.session import ApiSession
from concord.connectors.salesforce.auth import make_grant
from concord.connectors.salesforce.errors import (
    SYSTEM,
    SalesforceErrorMapper,
    parse_errors,
    record_failure,
    usage_of,
)
from concord.connectors.salesforce.spec import SalesforceSpec
from concord.engine.errors import CannotEncode, ConcordError, TransientError

MAX_COLLECTION = 200
"""Records per sObject Collections call."""
MAX_COMPOSITE = 25
"""Subrequests per Composite call."""

Record = dict[str, Any]
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class UpsertResult(NamedTuple):
    """What an upsert did: the record's id, and whether it was created (else updated)."""

    id: str
    created: bool


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The outcome for one record of a batch, at its position in the input.

    Attributes:
        index: Position of the record in the records given.
        id: The record's Salesforce id (when it succeeded).
        success: Whether the record was written.
        created: True if created, False if updated (upserts), None when unknown.
        errors: What Salesforce said about a failed record.
        failure: The classified error of a failed record (transient ones may be sent again).
    """

    index: int
    id: str | None
    success: bool
    created: bool | None = None
    errors: tuple[PlatformError, ...] = ()
    failure: ConcordError | None = None


@dataclass(frozen=True, slots=True)
class CompositeSubrequest:
    """One subrequest of ``POST /composite``; later ones may use ``@{referenceId.field}`` of earlier ones.

    ``url`` is a full ``/services/data/vNN.0/...`` path or relative to the API version (``sobjects/Account``).
    """

    method: str
    url: str
    reference_id: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CompositeResult:
    """The answer to one subrequest; ``failure`` is set for a status of 300 or more."""

    reference_id: str
    status: int
    body: Any
    headers: Mapping[str, str]
    failure: ConcordError | None = None


def _name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise CannotEncode(f"{value!r} is not a valid Salesforce {what} name")
    return value


def _segment(value: str) -> str:
    return quote(str(value), safe="")


class SalesforceClient:
    """An async client of one org's REST API; use ``async with`` or call ``aclose()``.

    Args:
        spec: Where the org is and how to log in.
        transport: An httpx transport (tests only; the default talks to the network).
        governor: A shared call budget (default: one from ``spec.rate``). Share it between every client
            of the same org, because the quota is the org's.
    """

    def __init__(
        self,
        spec: SalesforceSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        governor: RateGovernor | None = None,
    ) -> None:
        self.spec = spec
        self.governor = governor or RateGovernor(SYSTEM, spec.rate)
        self.session = ApiSession(
            mapper=SalesforceErrorMapper(),
            governor=self.governor,
            usage=usage_of,
            timeout=httpx.Timeout(spec.timeout_s, connect=spec.connect_timeout_s),
            transport=transport,
            headers={"Accept": "application/json", "Sforce-Call-Options": f"client={spec.client_name}"},
        )
        self.tokens = TokenManager(
            make_grant(spec, self.session), default_ttl_s=spec.session_ttl_s, system=SYSTEM
        )
        self.session.tokens = self.tokens

    # -- plumbing -------------------------------------------------------------------------------------

    async def instance_url(self) -> str:
        """The org's REST base URL (logs in if needed)."""
        if self.spec.instance_url:
            return self.spec.instance_url
        token = await self.tokens.token()
        return token.details["instance_url"]

    async def _url(self, path: str) -> str:
        base = await self.instance_url()
        return base + path if path.startswith("/") else f"{base}{self.spec.api_path}/{path}"

    async def _call(self, method: str, path: str, **options: Any) -> Any:
        return await self.session.request_json(method, await self._url(path), **options)

    # -- queries --------------------------------------------------------------------------------------

    def query_pages(
        self,
        soql: str,
        *,
        include_deleted: bool = False,
        batch_size: int | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> AsyncIterator[Page[Record]]:
        """The pages of a SOQL query, following ``nextRecordsUrl`` until ``done``.

        Args:
            soql: The query.
            include_deleted: Use ``queryAll`` (deleted and archived rows too).
            batch_size: Rows per page, 200 to 2,000 (``Sforce-Query-Options``; default from the spec).
            priority: Governor priority of each page's call.
        """
        size = batch_size or self.spec.query_batch_size
        headers = {"Sforce-Query-Options": f"batchSize={size}"} if size else {}
        resource = "queryAll" if include_deleted else "query"

        async def fetch(next_url: str | None) -> Page[Record]:
            if next_url is None:
                body = await self._call(
                    "GET", resource, params={"q": soql}, headers=headers, priority=priority
                )
            else:
                body = await self._call("GET", next_url, headers=headers, priority=priority)
            return _query_page(body)

        return follow_pages(fetch)

    async def query(
        self, soql: str, *, batch_size: int | None = None, priority: Priority = Priority.NORMAL
    ) -> AsyncIterator[Record]:
        """Every row of a SOQL query, page after page (``GET /query``)."""
        async for page in self.query_pages(soql, batch_size=batch_size, priority=priority):
            for record in page.items:
                yield record

    async def query_all(
        self, soql: str, *, batch_size: int | None = None, priority: Priority = Priority.NORMAL
    ) -> AsyncIterator[Record]:
        """Every row including deleted and archived ones (Salesforce's ``GET /queryAll``)."""
        pages = self.query_pages(soql, include_deleted=True, batch_size=batch_size, priority=priority)
        async for page in pages:
            for record in page.items:
                yield record

    # -- single records -------------------------------------------------------------------------------

    async def get(
        self,
        sobject: str,
        record_id: str,
        fields: Sequence[str] | None = None,
        *,
        priority: Priority = Priority.NORMAL,
    ) -> Record:
        """One record by id (all fields unless ``fields``)."""
        params = {"fields": ",".join(_name(f, "field") for f in fields)} if fields else None
        path = f"sobjects/{_name(sobject, 'object')}/{_segment(record_id)}"
        record: Record = await self._call("GET", path, params=params, priority=priority)
        return record

    async def get_by_external_id(
        self,
        sobject: str,
        ext_field: str,
        value: str,
        fields: Sequence[str] | None = None,
        *,
        priority: Priority = Priority.NORMAL,
    ) -> Record | None:
        """The record whose external-id field has ``value``, or None when there is none."""
        path = f"sobjects/{_name(sobject, 'object')}/{_name(ext_field, 'field')}/{_segment(value)}"
        params = {"fields": ",".join(_name(f, "field") for f in fields)} if fields else None
        response = await self.session.request(
            "GET", await self._url(path), params=params, priority=priority, check=False
        )
        if response.status_code == 404:
            return None
        self.session.mapper.raise_for_status(response)
        record: Record = self.session.mapper.decode(response)
        return record

    async def create(
        self, sobject: str, fields: Mapping[str, Any], *, priority: Priority = Priority.NORMAL
    ) -> str:
        """Create a record; returns its id."""
        body = await self._call(
            "POST", f"sobjects/{_name(sobject, 'object')}", json=dict(fields), priority=priority
        )
        return str(body["id"])

    async def update(
        self,
        sobject: str,
        record_id: str,
        fields: Mapping[str, Any],
        *,
        priority: Priority = Priority.NORMAL,
    ) -> None:
        """Change fields of a record."""
        path = f"sobjects/{_name(sobject, 'object')}/{_segment(record_id)}"
        await self._call("PATCH", path, json=dict(fields), priority=priority)

    async def delete(self, sobject: str, record_id: str, *, priority: Priority = Priority.NORMAL) -> None:
        """Delete a record (to the recycle bin)."""
        await self._call(
            "DELETE", f"sobjects/{_name(sobject, 'object')}/{_segment(record_id)}", priority=priority
        )

    async def upsert(
        self,
        sobject: str,
        ext_field: str,
        value: str,
        fields: Mapping[str, Any],
        *,
        priority: Priority = Priority.NORMAL,
    ) -> UpsertResult:
        """Create or update the record whose ``ext_field`` is ``value`` (``PATCH .../{ExtField}/{value}``).

        Raises:
            CannotEncode: ``fields`` names ``Id``, or gives ``ext_field`` another value than ``value``.
            Rejected: the value matches several records (300), or Salesforce refuses the data.
        """
        body = _upsert_body(fields, ext_field, value)
        path = f"sobjects/{_name(sobject, 'object')}/{_name(ext_field, 'field')}/{_segment(value)}"
        response = await self.session.request("PATCH", await self._url(path), json=body, priority=priority)
        answer = self.session.mapper.decode(response)
        if isinstance(answer, dict) and answer.get("id"):
            return UpsertResult(str(answer["id"]), bool(answer.get("created", response.status_code == 201)))
        # API versions before 46.0 answer an update with 204 and no body.
        found = await self.get_by_external_id(sobject, ext_field, value, ["Id"], priority=priority)
        if found is None:
            raise TransientError(f"{SYSTEM} upserted {sobject} {ext_field}={value} but cannot find it")
        return UpsertResult(str(found["Id"]), False)

    # -- batches --------------------------------------------------------------------------------------

    async def collections_upsert(
        self,
        sobject: str,
        ext_field: str,
        records: Sequence[Mapping[str, Any]],
        *,
        all_or_none: bool = False,
        chunk_size: int = MAX_COLLECTION,
        priority: Priority = Priority.NORMAL,
    ) -> list[RecordResult]:
        """Upsert many records by external id (``PATCH /composite/sobjects/{Object}/{ExtField}``), in
        chunks of up to 200 sent concurrently (the governor bounds them).

        Each record must carry its ``ext_field`` value. Failures come back per record, in input order:
        a record Salesforce refuses, a record that cannot be encoded, or every record of a chunk whose
        call failed (transient failures may simply be sent again: upserts converge).
        """
        if not 1 <= chunk_size <= MAX_COLLECTION:
            raise ValueError(f"chunk_size must be between 1 and {MAX_COLLECTION}")
        path = f"composite/sobjects/{_name(sobject, 'object')}/{_name(ext_field, 'field')}"
        results: list[RecordResult | None] = [None] * len(records)
        sendable: list[tuple[int, Record]] = []
        for index, record in enumerate(records):
            prepared = {**{k: v for k, v in record.items() if k != "attributes"}}
            try:
                jsonio.dumps(prepared)
            except CannotEncode as error:
                results[index] = RecordResult(index, None, False, failure=error)
                continue
            sendable.append((index, {"attributes": {"type": sobject}, **prepared}))
        chunks = [sendable[i : i + chunk_size] for i in range(0, len(sendable), chunk_size)]
        answers = await asyncio.gather(
            *(self._send_chunk(path, chunk, all_or_none, priority) for chunk in chunks)
        )
        for chunk_results in answers:
            for result in chunk_results:
                results[result.index] = result
        return [r for r in results if r is not None]

    async def collections_update(
        self,
        sobject: str,
        records: Sequence[tuple[str, Mapping[str, Any]]],
        *,
        all_or_none: bool = False,
        chunk_size: int = MAX_COLLECTION,
        priority: Priority = Priority.NORMAL,
    ) -> list[RecordResult]:
        """Change fields of many records by id (``PATCH /composite/sobjects``), in chunks of up to 200
        sent concurrently; one result per record, in input order (as ``collections_upsert``)."""
        if not 1 <= chunk_size <= MAX_COLLECTION:
            raise ValueError(f"chunk_size must be between 1 and {MAX_COLLECTION}")
        name = _name(sobject, "object")
        prepared = [
            (index, {"attributes": {"type": name}, **dict(fields), "Id": _segment(record_id)})
            for index, (record_id, fields) in enumerate(records)
        ]
        chunks = [prepared[i : i + chunk_size] for i in range(0, len(prepared), chunk_size)]
        answers = await asyncio.gather(
            *(self._send_chunk("composite/sobjects", chunk, all_or_none, priority) for chunk in chunks)
        )
        return sorted((r for chunk in answers for r in chunk), key=lambda r: r.index)

    async def _send_chunk(
        self, path: str, chunk: list[tuple[int, Record]], all_or_none: bool, priority: Priority
    ) -> list[RecordResult]:
        body = {"allOrNone": all_or_none, "records": [record for _, record in chunk]}
        try:
            answer = await self._call("PATCH", path, json=body, priority=priority)
            if not isinstance(answer, list) or len(answer) != len(chunk):
                raise TransientError(f"{SYSTEM} answered a collections call with an unexpected shape")
        except ConcordError as error:
            return [RecordResult(index, None, False, failure=error) for index, _ in chunk]
        return [_record_result(index, item) for (index, _), item in zip(chunk, answer, strict=True)]

    async def composite(
        self,
        subrequests: Sequence[CompositeSubrequest],
        *,
        all_or_none: bool = False,
        priority: Priority = Priority.NORMAL,
    ) -> list[CompositeResult]:
        """Run up to 25 subrequests in one API call (``POST /composite``), results in order."""
        if not 1 <= len(subrequests) <= MAX_COMPOSITE:
            raise CannotEncode(
                f"a composite call takes 1 to {MAX_COMPOSITE} subrequests, not {len(subrequests)}"
            )
        body = {
            "allOrNone": all_or_none,
            "compositeRequest": [self._subrequest(sub) for sub in subrequests],
        }
        answer = await self._call("POST", "composite", json=body, priority=priority)
        items = answer.get("compositeResponse") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise TransientError(f"{SYSTEM} answered a composite call without compositeResponse")
        mapper = self.session.mapper
        results = []
        for item in items:
            status = int(item.get("httpStatusCode", 0))
            headers = {str(k).lower(): str(v) for k, v in (item.get("httpHeaders") or {}).items()}
            failure = None
            if status >= 300:
                failure = mapper.for_status(status, mapper.parse(status, item.get("body")), headers)
            results.append(
                CompositeResult(str(item.get("referenceId", "")), status, item.get("body"), headers, failure)
            )
        return results

    def _subrequest(self, sub: CompositeSubrequest) -> dict[str, Any]:
        url = sub.url if sub.url.startswith("/") else f"{self.spec.api_path}/{sub.url}"
        out: dict[str, Any] = {"method": sub.method.upper(), "url": url, "referenceId": sub.reference_id}
        if sub.body is not None:
            out["body"] = sub.body
        if sub.headers:
            out["httpHeaders"] = dict(sub.headers)
        return out

    async def limits(self, *, priority: Priority = Priority.NORMAL) -> Record:
        """The org's limits (``GET /limits``): ``{"DailyApiRequests": {"Max", "Remaining"}, ...}``."""
        body: Record = await self._call("GET", "limits", priority=priority)
        return body

    # -- lifecycle ------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connections."""
        await self.session.aclose()

    async def __aenter__(self) -> SalesforceClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _query_page(body: Any) -> Page[Record]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise TransientError(f"{SYSTEM} answered a query without records")
    done = bool(body.get("done", True))
    next_url = body.get("nextRecordsUrl") if not done else None
    if not done and not isinstance(next_url, str):
        raise TransientError(f"{SYSTEM} answered an unfinished query without nextRecordsUrl")
    total = body.get("totalSize")
    return Page(body["records"], next_url, total if isinstance(total, int) else None)


def _upsert_body(fields: Mapping[str, Any], ext_field: str, value: str) -> Record:
    body: Record = {}
    for key, item in fields.items():
        if key.lower() == "id":
            raise CannotEncode("an upsert must not name Id; the external id in the URL identifies the record")
        if key.lower() == ext_field.lower():
            if str(item) != str(value):
                raise CannotEncode(f"{ext_field} is {item!r} in the fields but {value!r} in the upsert")
            continue
        body[key] = item
    return body


def _record_result(index: int, item: Any) -> RecordResult:
    if not isinstance(item, dict):
        failure = TransientError(f"{SYSTEM} answered a record with an unexpected shape")
        return RecordResult(index, None, False, failure=failure)
    record_id = item.get("id")
    created = item.get("created")
    if item.get("success"):
        return RecordResult(index, str(record_id), True, created if isinstance(created, bool) else None)
    errors = tuple(parse_errors(item.get("errors") or []))
    return RecordResult(
        index, None if record_id is None else str(record_id), False, None, errors, record_failure(errors)
    )
