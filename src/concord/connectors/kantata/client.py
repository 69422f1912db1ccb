"""``KantataClient``: the Kantata OX API v1 as Concord uses it (async, httpx).

Everything goes through one ``ApiSession``: the ``RateGovernor`` (Kantata sends no usage headers, so its
pace and concurrency are the only brakes), the bearer token from the spec's grant (renewed once after a
401, the call repeated once), and Kantata's error envelope mapped to Concord's error tree. Nothing here
knows about the sandbox: point the spec at ``https://api.mavenlink.com`` and the same code runs.

Reads decode the envelope (``Envelope``) and join side-loaded associations into each record; lists page
with ``page``/``per_page`` until ``meta.page_count``. Writes wrap the object in its singular key
(``{"time_entry": {...}}``); bulk creates send up to 100 objects under the plural key and report per
object. Upserts by external reference are in ``concord.connectors.kantata.references``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from concord.connectors.http import jsonio
from concord.connectors.http.auth import TokenManager
from concord.connectors.http.errors import PlatformError
from concord.connectors.http.governor import Priority, RateGovernor
from concord.connectors.http.paging import Page, follow_pages
from concord.connectors.http.session import ApiSession
from concord.connectors.kantata.auth import RefreshTokenSink, make_grant
from concord.connectors.kantata.envelope import Envelope, Record, decode_envelope, singular
from concord.connectors.kantata.errors import SYSTEM, KantataErrorMapper, failed_indexes, rejection
from concord.connectors.kantata.spec import MAX_PER_PAGE, KantataSpec
from concord.engine.errors import CannotEncode, ConcordError, Rejected, TransientError

_COLLECTION = re.compile(r"^[a-z][a-z_]*[a-z]$")
_ID = re.compile(r"^\d+$")
MAX_ONLY = 200
"""Ids per ``only=`` look-up."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome for one object of a batch, at its position in the input.

    Attributes:
        index: Position of the object in the input.
        id: The record's Kantata id (when it was written).
        success: Whether the object was written.
        created: True if created, False if updated, None when unknown.
        record: The record as Kantata answered it.
        errors: What Kantata said about a refused object.
        failure: The classified error of a failed object (transient ones may be sent again; a bulk
            *create* is not idempotent, so repeat through ``bulk_upsert_by_reference`` instead).
    """

    index: int
    id: str | None
    success: bool
    created: bool | None = None
    record: Record | None = None
    errors: tuple[PlatformError, ...] = ()
    failure: ConcordError | None = None


def collection_name(value: str) -> str:
    """``value`` if it is a Kantata collection name (``time_entries``), else ``CannotEncode``."""
    if not _COLLECTION.match(value):
        raise CannotEncode(f"{value!r} is not a Kantata collection name such as 'time_entries'")
    return value


def record_id(value: object) -> str:
    """``value`` as a Kantata id (digits), else ``CannotEncode``."""
    text = str(value).strip()
    if not _ID.match(text):
        raise CannotEncode(f"{value!r} is not a Kantata record id")
    return text


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class KantataClient:
    """An async client of one Kantata account; use ``async with`` or call ``aclose()``.

    Args:
        spec: Where the account is and how to authenticate.
        transport: An httpx transport (tests only; the default talks to the network).
        governor: A shared call budget (default: one from ``spec.rate``). Share it between every client
            of the same account, because Kantata's limits are the account's.
        on_refresh_token: Receives a rotated refresh token, to store it.
    """

    def __init__(
        self,
        spec: KantataSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        governor: RateGovernor | None = None,
        on_refresh_token: RefreshTokenSink | None = None,
    ) -> None:
        self.spec = spec
        self.governor = governor or RateGovernor(SYSTEM, spec.rate)
        self.session = ApiSession(
            mapper=KantataErrorMapper(spec.throttle_backoff_s),
            governor=self.governor,
            timeout=httpx.Timeout(spec.timeout_s, connect=spec.connect_timeout_s),
            transport=transport,
            headers={"Accept": "application/json"},
            base_url=spec.base_url,
        )
        grant = make_grant(spec, self.session, on_refresh_token=on_refresh_token)
        self.tokens = TokenManager(grant, default_ttl_s=None, system=SYSTEM)
        self.session.tokens = self.tokens
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    # -- plumbing -------------------------------------------------------------------------------------

    def path(self, collection: str, rid: object | None = None, action: str | None = None) -> str:
        """``/api/v1/time_entries.json``, ``/api/v1/time_entries/7.json``, ``.../7/approve.json``."""
        base = f"/api/v1/{collection_name(collection)}"
        if rid is not None:
            base += f"/{record_id(rid)}"
        if action is not None:
            base += f"/{collection_name(action)}"
        return base + ".json"

    async def call(self, method: str, path: str, **options: Any) -> Any:
        """One API call (``path`` as from ``path()``); the decoded JSON answer, None when empty."""
        return await self.session.request_json(method, path, **options)

    @asynccontextmanager
    async def holding(self, key: str) -> AsyncIterator[None]:
        """Serialise the work on one key within this client (e.g. look-up then create of one record)."""
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @staticmethod
    def _params(
        params: Mapping[str, str] | None, include: Sequence[str], extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        out = {str(k): str(v) for k, v in (params or {}).items()}
        if include:
            names = dict.fromkeys([*out.get("include", "").split(","), *include])
            out["include"] = ",".join(name for name in names if name)
        out.update(extra or {})
        return out

    # -- reads ----------------------------------------------------------------------------------------

    async def list_page(
        self,
        collection: str,
        params: Mapping[str, str] | None = None,
        *,
        page: int = 1,
        per_page: int | None = None,
        include: Sequence[str] = (),
        priority: Priority = Priority.NORMAL,
    ) -> Envelope:
        """One page of ``GET /{collection}.json`` (filters, ``order``, ``include``... in ``params``)."""
        size = per_page or self.spec.per_page
        if not 1 <= size <= MAX_PER_PAGE:
            raise CannotEncode(f"per_page must be between 1 and {MAX_PER_PAGE}, not {size}")
        query = self._params(params, include, {"page": str(page), "per_page": str(size)})
        body = await self.call("GET", self.path(collection), params=query, priority=priority)
        return decode_envelope(body, collection)

    def pages(
        self,
        collection: str,
        params: Mapping[str, str] | None = None,
        *,
        per_page: int | None = None,
        include: Sequence[str] = (),
        priority: Priority = Priority.NORMAL,
    ) -> AsyncIterator[Page[Record]]:
        """Every page of a list, first to last (records joined with ``include``).

        Pages are fetched by number: a list that changes while it is read may shift across a page
        boundary. For change detection use ``changed_since``, which pages by stamp.
        """
        size = per_page or self.spec.per_page

        async def fetch(token: str | None) -> Page[Record]:
            number = int(token or 1)
            envelope = await self.list_page(
                collection, params, page=number, per_page=size, include=include, priority=priority
            )
            more = envelope.page_number < envelope.page_count and len(envelope.records) >= size
            next_token = str(number + 1) if more else None
            return Page(envelope.joined(include), next_token, envelope.count)

        return follow_pages(fetch)

    async def iterate(
        self,
        collection: str,
        params: Mapping[str, str] | None = None,
        *,
        per_page: int | None = None,
        include: Sequence[str] = (),
        priority: Priority = Priority.NORMAL,
    ) -> AsyncIterator[Record]:
        """Every record of a list, page after page (joined with ``include``)."""
        pages = self.pages(collection, params, per_page=per_page, include=include, priority=priority)
        async for page in pages:
            for record in page.items:
                yield record

    async def get(
        self,
        collection: str,
        rid: object,
        *,
        include: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> Record:
        """One record by id (``GET /{collection}/{id}.json``), joined with ``include``.

        Raises:
            Rejected: it does not exist or the endpoint's default filters hide it (404).
        """
        query = self._params(params, include)
        body = await self.call("GET", self.path(collection, rid), params=query or None, priority=priority)
        envelope = decode_envelope(body, collection)
        if not envelope.records:
            raise Rejected(f"{SYSTEM} has no {singular(collection)} {rid}")
        return envelope.joined(include)[0]

    async def find(
        self,
        collection: str,
        ids: Sequence[object],
        *,
        include: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> dict[str, Record]:
        """The records among ``ids`` that exist (``only=``, 200 a call; a missing id is simply absent)."""
        wanted = list(dict.fromkeys(record_id(rid) for rid in ids))
        found: dict[str, Record] = {}
        for chunk in _chunks(wanted, MAX_ONLY):
            query = {**(params or {}), "only": ",".join(chunk)}
            envelope = await self.list_page(
                collection, query, per_page=MAX_PER_PAGE, include=include, priority=priority
            )
            found.update((str(record["id"]), record) for record in envelope.joined(include))
        return found

    # -- single writes --------------------------------------------------------------------------------

    async def create(
        self,
        collection: str,
        fields: Mapping[str, Any],
        *,
        include: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> Record:
        """Create a record (``POST /{collection}.json {"<singular>": fields}``); returns it as saved.

        A nested ``external_reference`` in ``fields`` is stored with the record, in one transaction.
        """
        query = self._params(params, include)
        return await self._write("POST", self.path(collection), collection, fields, include, query, priority)

    async def update(
        self,
        collection: str,
        rid: object,
        fields: Mapping[str, Any],
        *,
        include: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> Record:
        """Change a record (``PUT /{collection}/{id}.json``); returns it as saved.

        ``params`` reach records the endpoint's default filters hide (``from_archived_workspaces=true``).
        """
        query = self._params(params, include)
        path = self.path(collection, rid)
        return await self._write("PUT", path, collection, fields, include, query, priority)

    async def delete(self, collection: str, rid: object, *, priority: Priority = Priority.NORMAL) -> None:
        """Delete a record (``DELETE /{collection}/{id}.json``; tasks are only marked deleted)."""
        await self.call("DELETE", self.path(collection, rid), priority=priority)

    async def _write(
        self,
        method: str,
        path: str,
        collection: str,
        fields: Mapping[str, Any],
        include: Sequence[str],
        query: Mapping[str, str],
        priority: Priority,
    ) -> Record:
        body = {singular(collection): dict(fields)}
        answer = await self.call(method, path, json=body, params=query or None, priority=priority)
        envelope = decode_envelope(answer, collection)
        if len(envelope.records) != 1:
            raise TransientError(f"{SYSTEM} answered a write of one {singular(collection)} without it")
        return envelope.joined(include)[0]

    # -- bulk creates ---------------------------------------------------------------------------------

    async def bulk_create(
        self,
        collection: str,
        items: Sequence[Mapping[str, Any]],
        *,
        chunk_size: int | None = None,
        priority: Priority = Priority.NORMAL,
    ) -> list[ItemResult]:
        """Create many records (``POST /{collection}.json {"<collection>": [...]}``, 100 a call, calls
        sent concurrently within the governor's budget); one result per item, in input order.

        Kantata takes a bulk create all or nothing: when objects are refused, the call's errors name them
        by index (``time_entries[3].date_performed``); those objects are reported with Kantata's messages
        and the rest of their chunk is sent again. A validation refusal that names no object is narrowed
        down by halving the chunk. Transient failures are reported for every object of the chunk.
        """
        size = chunk_size or self.spec.bulk_size
        if not 1 <= size <= self.spec.bulk_size:
            raise ValueError(f"chunk_size must be between 1 and {self.spec.bulk_size}")
        results: list[ItemResult | None] = [None] * len(items)
        sendable: list[tuple[int, Record]] = []
        for index, item in enumerate(items):
            try:
                jsonio.dumps(dict(item))
            except CannotEncode as error:
                results[index] = ItemResult(index, None, False, failure=error)
                continue
            sendable.append((index, dict(item)))
        answers = await asyncio.gather(
            *(self._send_bulk(collection, list(chunk), priority) for chunk in _chunks(sendable, size))
        )
        for chunk_results in answers:
            for result in chunk_results:
                results[result.index] = result
        return [result for result in results if result is not None]

    async def _send_bulk(
        self, collection: str, chunk: list[tuple[int, Record]], priority: Priority
    ) -> list[ItemResult]:
        done: list[ItemResult] = []
        pending = chunk
        while pending:
            outcome = await self._post_bulk(collection, [item for _, item in pending], priority)
            if isinstance(outcome, Envelope):
                done += _created(pending, outcome)
                return done
            failure, errors = outcome
            blamed = failed_indexes(errors, collection) if isinstance(failure, Rejected) else {}
            blamed = {i: e for i, e in blamed.items() if i < len(pending)}
            if blamed:
                for position, item_errors in blamed.items():
                    index = pending[position][0]
                    done.append(
                        ItemResult(
                            index, None, False, errors=tuple(item_errors), failure=rejection(item_errors)
                        )
                    )
                pending = [entry for position, entry in enumerate(pending) if position not in blamed]
            elif len(pending) > 1 and any(error.code == "validation" for error in errors):
                half = len(pending) // 2
                done += await self._send_bulk(collection, pending[:half], priority)
                done += await self._send_bulk(collection, pending[half:], priority)
                return done
            else:
                return done + [
                    ItemResult(index, None, False, errors=tuple(errors), failure=failure)
                    for index, _ in pending
                ]
        return done

    async def _post_bulk(
        self, collection: str, items: list[Record], priority: Priority
    ) -> Envelope | tuple[ConcordError, list[PlatformError]]:
        mapper = self.session.mapper
        try:
            response = await self.session.request(
                "POST", self.path(collection), json={collection: items}, priority=priority, check=False
            )
            if response.status_code >= 300:
                errors = mapper.parse(response.status_code, _body_of(response))
                return mapper.for_status(response.status_code, errors, response.headers), errors
            envelope = decode_envelope(mapper.decode(response), collection)
        except ConcordError as error:
            return error, []
        if len(envelope.records) != len(items):
            return TransientError(
                f"{SYSTEM} answered a bulk create of {len(items)} with {len(envelope.records)}"
            ), []
        return envelope

    # -- lifecycle ------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connections."""
        await self.session.aclose()

    async def __aenter__(self) -> KantataClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _body_of(response: httpx.Response) -> Any:
    try:
        return jsonio.loads(response.content) if response.content.strip() else None
    except ValueError:
        return response.text


def _created(pending: list[tuple[int, Record]], envelope: Envelope) -> list[ItemResult]:
    return [
        ItemResult(index, str(record["id"]), True, True, dict(record))
        for (index, _), record in zip(pending, envelope.records, strict=True)
    ]
