"""The REST Record API and SuiteQL as plain functions of an ``Operation``, answering an ``Outcome``.

- ``POST /record/v1/{type}`` creates and answers 204 with the new record's ``Location``.
- ``GET /record/v1/{type}/{id}`` (``expandSubResources``, ``fields``) reads; ``eid:{externalId}`` works
  wherever an internal id does.
- ``PATCH /record/v1/{type}/{id}`` updates (``replace=item`` swaps a sublist's lines) and answers 204.
- ``PUT /record/v1/{type}/eid:{externalId}`` upserts: one record per external id, 204 and ``Location``.
- ``DELETE`` answers 204. ``GET /record/v1/{type}?limit&offset&q`` lists ids and links.
- ``POST /query/v1/suiteql`` runs SuiteQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from concord.sandbox.core import Clock, DuplicateKeyError
from concord.sandbox.netsuite import catalog, metadata, rules
from concord.sandbox.netsuite.errors import (
    NetSuiteError,
    error,
    invalid_content,
    nonexistent_id,
    unknown_record_type,
    user_error,
)
from concord.sandbox.netsuite.fields import RecordType
from concord.sandbox.netsuite.jsonio import InvalidJsonError, loads_decimal
from concord.sandbox.netsuite.listing import compile_filter
from concord.sandbox.netsuite.operations import COLLECTION, Operation, Outcome
from concord.sandbox.netsuite.payload import build_draft
from concord.sandbox.netsuite.render import RECORD_PATH, RecordRenderer, collection
from concord.sandbox.netsuite.store import RecordRepository, StoredRecord
from concord.sandbox.netsuite.suiteql import run_suiteql
from concord.sandbox.netsuite.suiteql.service import QUERY_PATH

MAX_PAGE = 1000
_DUPLICATE = {
    "entity": "This entity already exists.",
    "transaction": "A transaction with the same external ID already exists.",
}


class RecordService:
    """Executes REST web services operations against the stored records.

    Args:
        repo: The record repository.
        clock: The emulator clock (timestamps, ``SYSDATE``).
    """

    def __init__(self, repo: RecordRepository, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        """Create a record without HTTP (for seeding); the same rules apply as to ``POST``.

        Args:
            record_type: The REST record type id (``customer``...).
            body: The record as a REST body would carry it (numbers may be ``Decimal``).

        Returns:
            The new internal id.

        Raises:
            NetSuiteError: When NetSuite would refuse the record.
        """
        found = catalog.lookup(record_type)
        if found is None:
            raise unknown_record_type(record_type, f"{RECORD_PATH}/{record_type}")
        op = Operation("POST", f"{RECORD_PATH}/{found.name}", {}, b"", "http://localhost")
        with self.repo.store.transaction():
            return self._save(op, found, dict(body), None).id

    @staticmethod
    def is_light(op: Operation) -> bool:
        """Whether ``op`` reads or writes one record: cheap enough to run on the event loop, where a
        threadpool hop would cost more than the work (lists, SuiteQL and metadata are not)."""
        if not op.path.startswith(RECORD_PATH + "/"):
            return False
        parts = [p for p in op.path.removeprefix(RECORD_PATH).split("/") if p]
        if not parts or parts[0] == "metadata-catalog":
            return False
        return len(parts) == 2 or (len(parts) == 1 and op.method == "POST")

    def execute(self, op: Operation) -> Outcome:
        """Answer one operation; every refusal becomes a NetSuite error answer."""
        try:
            return self._dispatch(op)
        except NetSuiteError as problem:
            return Outcome.failure(problem)

    def _dispatch(self, op: Operation) -> Outcome:
        if op.path.rstrip("/") == QUERY_PATH:
            if op.method != "POST":
                raise error(405, "INVALID_REQUEST", "SuiteQL queries are sent with POST.")
            document = run_suiteql(_json_body(op), op.params, self.repo, self.clock.now(), op.base_url)
            return Outcome.json(document, content_type=COLLECTION)
        parts = [p for p in op.path.removeprefix(RECORD_PATH).split("/") if p]
        if not op.path.startswith(RECORD_PATH + "/") or not parts:
            raise error(404, "NONEXISTENT_ID", "The requested resource does not exist.", url_path=op.path)
        if parts[0] == "metadata-catalog" and op.method == "GET":
            return _metadata(op, parts[1:])
        record_type = catalog.lookup(parts[0])
        if record_type is None:
            raise unknown_record_type(parts[0], op.path)
        handler = self._handler(op.method, len(parts))
        return handler(op, record_type, parts[1:])

    def _handler(self, method: str, depth: int) -> Callable[[Operation, RecordType, list[str]], Outcome]:
        table: dict[tuple[str, int], Callable[[Operation, RecordType, list[str]], Outcome]] = {
            ("GET", 1): self._list,
            ("POST", 1): self._create,
            ("GET", 2): self._get,
            ("PATCH", 2): self._update,
            ("PUT", 2): self._upsert,
            ("DELETE", 2): self._delete,
            ("GET", 3): self._sublist,
            ("GET", 4): self._sublist,
        }
        handler = table.get((method, depth))
        if handler is None:
            raise error(405, "INVALID_REQUEST", f"The {method} method is not supported for this resource.")
        return handler

    # -- reads ---------------------------------------------------------------------------------
    def _list(self, op: Operation, record_type: RecordType, _: list[str]) -> Outcome:
        limit = _paging(op, "limit", MAX_PAGE, 1, MAX_PAGE)
        offset = _paging(op, "offset", 0, 0, 10**9)
        q = op.params.get("q")
        if q:
            matches = [r for r in self.repo.scan(record_type) if compile_filter(record_type, q)(r)]
            page, total = matches[offset : offset + limit], len(matches)
        else:
            page, total = self.repo.page(record_type, offset, limit)
        renderer = RecordRenderer(self.repo, op.base_url)
        items = [
            {"links": [{"rel": "self", "href": renderer.record_href(record_type.name, r.id)}], "id": r.id}
            for r in page
        ]
        href = f"{op.base_url.rstrip('/')}{RECORD_PATH}/{record_type.name}"
        document = collection(
            items, offset=offset, total=total, self_href=href, limit=limit, params=op.params
        )
        return Outcome.json(document, content_type=COLLECTION)

    def _get(self, op: Operation, record_type: RecordType, rest: list[str]) -> Outcome:
        record = self._existing(op, record_type, rest[0])
        expand = op.params.get("expandSubResources", "").lower() == "true"
        fields = op.params.get("fields")
        only = {f.strip() for f in fields.split(",") if f.strip()} if fields else None
        document = RecordRenderer(self.repo, op.base_url).record(record, expand=expand, only=only)
        return Outcome.json(document)

    def _sublist(self, op: Operation, record_type: RecordType, rest: list[str]) -> Outcome:
        record = self._existing(op, record_type, rest[0])
        sublist = record_type.sublist(rest[1])
        if sublist is None:
            raise error(404, "NONEXISTENT_ID", f"The sublist {rest[1]} does not exist.", url_path=op.path)
        renderer = RecordRenderer(self.repo, op.base_url)
        lines = record.lines.get(sublist.name, [])
        if len(rest) == 3:
            line = next((entry for entry in lines if str(entry.get("line")) == rest[2]), None)
            if line is None:
                raise nonexistent_id(op.path)
            return Outcome.json(renderer.line(record, sublist.name, line))
        href = f"{renderer.record_href(record_type.name, record.id)}/{sublist.name}"
        items = [renderer.line(record, sublist.name, line) for line in lines]
        return Outcome.json(
            collection(items, offset=0, total=len(items), self_href=href), content_type=COLLECTION
        )

    # -- writes --------------------------------------------------------------------------------
    def _create(self, op: Operation, record_type: RecordType, _: list[str]) -> Outcome:
        body = _json_body(op)
        with self.repo.store.transaction():
            record = self._save(op, record_type, body, None)
        return Outcome.no_content(self._location(op, record))

    def _update(self, op: Operation, record_type: RecordType, rest: list[str]) -> Outcome:
        body = _json_body(op)
        with self.repo.store.transaction():
            record = self._save(op, record_type, body, self._existing(op, record_type, rest[0]))
        return Outcome.no_content(self._location(op, record))

    def _upsert(self, op: Operation, record_type: RecordType, rest: list[str]) -> Outcome:
        if not rest[0].startswith("eid:") or len(rest[0]) <= 4:
            raise error(
                405, "INVALID_REQUEST", "PUT is supported only for upsert with an external ID (eid:value).",
                url_path=op.path,
            )  # fmt: skip
        external_id = rest[0][4:]
        body = _json_body(op)
        if not isinstance(body, dict):
            raise invalid_content("Invalid content in the request body. The body must be a JSON object.")
        if body.get("externalId") not in (None, external_id):
            raise invalid_content(
                "The external ID in the request body does not match the external ID in the URL.",
                error_path="externalId",
            )
        with self.repo.store.transaction():
            existing = self.repo.find_external(record_type, external_id)
            record = self._save(op, record_type, {**body, "externalId": external_id}, existing)
        return Outcome.no_content(self._location(op, record))

    def _delete(self, op: Operation, record_type: RecordType, rest: list[str]) -> Outcome:
        with self.repo.store.transaction():
            record = self._existing(op, record_type, rest[0])
            rules.check_deletable(record, self.repo)
            self.repo.delete(record)
        return Outcome.no_content()

    def _save(
        self, op: Operation, record_type: RecordType, body: Any, existing: StoredRecord | None
    ) -> StoredRecord:
        replace = {s.strip() for s in op.params.get("replace", "").split(",") if s.strip()}
        draft = build_draft(
            record_type, body, existing, self.repo, replace=replace, strict_names=op.strict_names
        )
        requested = set(body) if isinstance(body, dict) else set()
        final = rules.apply_rules(record_type, draft, existing, self.repo, self.clock.now(), requested)
        try:
            if existing is None:
                return self.repo.insert(record_type, final.body, final.lines)
            return self.repo.replace(existing, final.body, final.lines)
        except DuplicateKeyError as exc:
            text = _DUPLICATE.get(record_type.sequence, "A record with the same external ID already exists.")
            raise user_error(text, error_path="externalId") from exc

    # -- helpers -------------------------------------------------------------------------------
    def _existing(self, op: Operation, record_type: RecordType, key: str) -> StoredRecord:
        if key.startswith("eid:"):
            found = self.repo.find_external(record_type, key[4:])
        else:
            found = self.repo.get(record_type, key)
        if found is not None:
            return found
        if record_type.tran_type and not key.startswith("eid:"):
            other = self.repo.family_type(record_type, key)
            if other is not None and other != record_type.name:
                raise user_error("Transaction type specified is incorrect.")
        raise nonexistent_id(op.path)

    def _location(self, op: Operation, record: StoredRecord) -> str:
        return RecordRenderer(self.repo, op.base_url).record_href(record.type.name, record.id)


def _metadata(op: Operation, rest: list[str]) -> Outcome:
    if not rest:
        return Outcome.json(metadata.catalog_index(op.base_url), content_type=COLLECTION)
    record_type = catalog.lookup(rest[0])
    if record_type is None or len(rest) > 1:
        raise unknown_record_type(rest[0], op.path)
    return Outcome.json(metadata.record_schema(record_type), content_type="application/schema+json")


def _json_body(op: Operation) -> Any:
    if not op.body.strip():
        raise invalid_content("Invalid content in the request body. The request body is empty.")
    try:
        return loads_decimal(op.body)
    except InvalidJsonError as exc:
        raise invalid_content(f"Invalid content in the request body. {exc}") from exc


def _paging(op: Operation, name: str, default: int, low: int, high: int) -> int:
    raw = op.params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise error(
            400,
            "INVALID_PARAMETER",
            f"Invalid value for the {name} query parameter: {raw}.",
            query_param=name,
        )
    return int(raw)
