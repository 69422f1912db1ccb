"""External references: finding Kantata records by another system's id, and upserts built on that.

Kantata links a record to another system's record with an *external reference* (``service_name``,
``service_model``, ``service_model_ref``, plus a sync ``status`` and free ``external_status`` /
``external_message`` / ``external_link``), at most one per service and record. Every list endpoint
filters by them (``external_reference_service_name``, ``external_reference_service_model``,
``external_reference_service_model_refs`` with at most 200 ids). Kantata has no native upsert and no
idempotency key, so an upsert is look-up, then update or create (api-contracts.md §4.3):

- the create carries the reference nested in its body, so the record and its reference are stored in
  one transaction: a repeated upsert (after a timeout, a crash, a replay) finds the record and updates it
  instead of creating a second one;
- within one client, upserts of the same reference are serialised (``KantataClient.holding``), so two
  concurrent ones cannot both miss the look-up. Across processes the engine's per-aggregate ordering is
  what keeps two upserts of one record apart;
- records a list hides by default (archived projects, their time) are looked up too; a deleted task
  counts as absent.

Concord writes ``service_name`` = the spec's ``service_name`` and ``service_model_ref`` = its global id;
``external_message`` is the place for the business transaction's correlation id, visible in Kantata.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from concord.connectors.http.governor import Priority
from concord.connectors.kantata.client import ItemResult, KantataClient, collection_name, record_id
from concord.connectors.kantata.envelope import Record, decode_envelope, singular
from concord.connectors.kantata.errors import SYSTEM
from concord.engine.errors import CannotEncode, ConcordError, Rejected, TransientError

MAX_REFS = 200
"""External ids per look-up (``external_reference_service_model_refs``)."""

SHOW_HIDDEN: Mapping[str, Mapping[str, str]] = {
    "time_entries": {"from_archived_workspaces": "true"},
    "expenses": {"from_archived_workspaces": "true"},
    "workspaces": {"include_archived": "true"},
    "stories": {"show_archived": "true", "show_from_archived_workspaces": "true"},
}
"""Per collection, the parameters that make its default filters show what they hide."""


@dataclass(frozen=True, slots=True)
class ExternalRef:
    """Another system's id for a Kantata record.

    Attributes:
        service_model: The other system's object (``TimeEntry``, ``Project``...).
        service_model_ref: The other system's id (Concord's global id).
        service_name: The other system (default: the spec's ``service_name``).
        status: Sync status shown in Kantata.
        external_status: Free text shown in Kantata.
        external_message: Free text shown in Kantata (the correlation id of the business transaction).
        external_link: A URL back to the other system.
    """

    service_model: str
    service_model_ref: str
    service_name: str | None = None
    status: Literal["successful", "pending", "failed"] | None = "successful"
    external_status: str | None = None
    external_message: str | None = None
    external_link: str | None = None

    def __post_init__(self) -> None:
        for name in ("service_model", "service_model_ref"):
            value = getattr(self, name)
            if not value or "," in value or len(value) > 255:
                raise CannotEncode(f"external reference {name} {value!r} must be 1-255 characters, no comma")

    def body(self, default_service_name: str) -> dict[str, Any]:
        """The nested ``external_reference`` object of a write."""
        values = {
            "service_name": self.service_name or default_service_name,
            "service_model": self.service_model,
            "service_model_ref": self.service_model_ref,
            "status": self.status,
            "external_status": self.external_status,
            "external_message": self.external_message,
            "external_link": self.external_link,
        }
        return {key: value for key, value in values.items() if value is not None}


class UpsertResult(NamedTuple):
    """What an upsert did: the record's id, whether it was created (else updated), the record saved."""

    id: str
    created: bool
    record: Record


def _matches(record: Mapping[str, Any], service_name: str, service_model: str, refs: set[str]) -> list[str]:
    found = []
    for reference in record.get("external_references") or ():
        if (
            reference.get("service_name") == service_name
            and reference.get("service_model") == service_model
            and str(reference.get("service_model_ref")) in refs
        ):
            found.append(str(reference["service_model_ref"]))
    return found


async def find_by_references(
    client: KantataClient,
    collection: str,
    service_model: str,
    refs: Sequence[str],
    *,
    service_name: str | None = None,
    priority: Priority = Priority.NORMAL,
) -> dict[str, list[Record]]:
    """The records of ``collection`` carrying each external id (absent ids are absent from the answer).

    Records are joined with their ``external_references``; a deleted task is left out.
    """
    name = service_name or client.spec.service_name
    wanted = list(dict.fromkeys(refs))
    chunks = [wanted[start : start + MAX_REFS] for start in range(0, len(wanted), MAX_REFS)]

    async def look_up(chunk: list[str]) -> list[tuple[str, Record]]:
        params = {
            **SHOW_HIDDEN.get(collection_name(collection), {}),
            "external_reference_service_name": name,
            "external_reference_service_model": service_model,
            "external_reference_service_model_refs": ",".join(chunk),
        }
        pairs: list[tuple[str, Record]] = []
        records = client.iterate(collection, params, include=("external_references",), priority=priority)
        async for record in records:
            if not record.get("deleted_at"):
                pairs += [(ref, record) for ref in _matches(record, name, service_model, set(chunk))]
        return pairs

    found: dict[str, list[Record]] = {}
    for pairs in await asyncio.gather(*(look_up(chunk) for chunk in chunks)):
        for ref, record in pairs:
            found.setdefault(ref, []).append(record)
    return found


def _single(collection: str, ref: ExternalRef, records: Sequence[Record]) -> Record | None:
    if len(records) > 1:
        ids = ", ".join(sorted(str(record["id"]) for record in records))
        raise Rejected(
            f"{SYSTEM} has several {collection} ({ids}) with external reference "
            f"{ref.service_model} {ref.service_model_ref}; it must identify one record"
        )
    return records[0] if records else None


async def find_by_reference(
    client: KantataClient, collection: str, ref: ExternalRef, *, priority: Priority = Priority.NORMAL
) -> Record | None:
    """The record carrying ``ref``, or None.

    Raises:
        Rejected: several records carry it.
    """
    found = await find_by_references(
        client,
        collection,
        ref.service_model,
        [ref.service_model_ref],
        service_name=ref.service_name,
        priority=priority,
    )
    return _single(collection, ref, found.get(ref.service_model_ref, []))


def subject_type(collection: str) -> str:
    """The type name other records use for ``collection``'s records: ``time_entries`` → ``TimeEntry``."""
    return "".join(part.capitalize() for part in singular(collection_name(collection)).split("_"))


async def attach_reference(
    client: KantataClient,
    collection: str,
    rid: object,
    ref: ExternalRef,
    *,
    priority: Priority = Priority.NORMAL,
) -> Record:
    """Link an existing record to another system's id (``POST /external_references/create_or_update``),
    e.g. when Concord matches a record it did not create; returns the external reference as stored.

    A record has at most one reference per service: this replaces the record's reference for the service.
    """
    body = {
        **ref.body(client.spec.service_name),
        "subject_type": subject_type(collection),
        "subject_id": record_id(rid),
    }
    path = client.path("external_references", action="create_or_update")
    answer = await client.call("POST", path, json={"external_reference": body}, priority=priority)
    stored = decode_envelope(answer, "external_references").records
    if len(stored) != 1:
        raise TransientError(f"{SYSTEM} answered create_or_update without the external reference")
    return dict(stored[0])


async def upsert_by_reference(
    client: KantataClient,
    collection: str,
    ref: ExternalRef,
    fields: Mapping[str, Any],
    *,
    priority: Priority = Priority.NORMAL,
) -> UpsertResult:
    """Update the record carrying ``ref`` with ``fields``, or create it with ``ref`` attached.

    Raises:
        Rejected: several records carry ``ref``, or Kantata refuses the data.
        CannotEncode: ``fields`` names ``id`` or its own ``external_reference``.
    """
    for key in ("id", "external_reference"):
        if key in fields:
            raise CannotEncode(
                f"an upsert must not set {key!r}; the external reference identifies the record"
            )
    body = {**fields, "external_reference": ref.body(client.spec.service_name)}
    name = ref.service_name or client.spec.service_name
    key = f"{collection}|{name}|{ref.service_model}|{ref.service_model_ref}"
    async with client.holding(key):
        existing = await find_by_reference(client, collection, ref, priority=priority)
        if existing is None:
            record = await client.create(collection, body, priority=priority)
            return UpsertResult(str(record["id"]), True, record)
        hidden = SHOW_HIDDEN.get(collection, {})
        record = await client.update(collection, existing["id"], body, params=hidden, priority=priority)
        return UpsertResult(str(record["id"]), False, record)


async def bulk_upsert_by_reference(
    client: KantataClient,
    collection: str,
    items: Sequence[tuple[ExternalRef, Mapping[str, Any]]],
    *,
    priority: Priority = Priority.NORMAL,
) -> list[ItemResult]:
    """Upsert many records by external reference: one look-up per 200 ids, bulk creates for the new ones
    (100 a call), one update per existing one; one result per item, in input order.

    Safe to repeat after any failure: objects created by an earlier attempt are found and updated.
    """
    results: list[ItemResult | None] = [None] * len(items)
    by_model: dict[tuple[str, str], list[int]] = {}
    seen: set[tuple[str, str, str]] = set()
    for index, (ref, fields) in enumerate(items):
        name = ref.service_name or client.spec.service_name
        identity = (name, ref.service_model, ref.service_model_ref)
        if identity in seen or "id" in fields or "external_reference" in fields:
            reason = (
                "appears twice in the batch" if identity in seen else "comes with its own id or reference"
            )
            error = CannotEncode(
                f"{singular(collection)} with external reference {ref.service_model_ref} {reason}"
            )
            results[index] = ItemResult(index, None, False, failure=error)
            continue
        seen.add(identity)
        by_model.setdefault((name, ref.service_model), []).append(index)

    creates: list[int] = []
    updates: list[tuple[int, str]] = []
    for (name, model), indexes in by_model.items():
        refs = [items[i][0].service_model_ref for i in indexes]
        try:
            found = await find_by_references(
                client, collection, model, refs, service_name=name, priority=priority
            )
        except ConcordError as error:
            for i in indexes:
                results[i] = ItemResult(i, None, False, failure=error)
            continue
        for i in indexes:
            ref = items[i][0]
            try:
                existing = _single(collection, ref, found.get(ref.service_model_ref, []))
            except Rejected as error:
                results[i] = ItemResult(i, None, False, failure=error)
                continue
            if existing is None:
                creates.append(i)
            else:
                updates.append((i, str(existing["id"])))

    def body(i: int) -> dict[str, Any]:
        ref, fields = items[i]
        return {**fields, "external_reference": ref.body(client.spec.service_name)}

    async def update(i: int, rid: str) -> ItemResult:
        try:
            hidden = SHOW_HIDDEN.get(collection, {})
            record = await client.update(collection, rid, body(i), params=hidden, priority=priority)
        except ConcordError as error:
            return ItemResult(i, rid, False, False, failure=error)
        return ItemResult(i, rid, True, False, record)

    created, updated = await asyncio.gather(
        client.bulk_create(collection, [body(i) for i in creates], priority=priority),
        asyncio.gather(*(update(i, rid) for i, rid in updates)),
    )
    for result in created:
        i = creates[result.index]
        results[i] = ItemResult(
            i, result.id, result.success, result.created, result.record, result.errors, result.failure
        )
    for result in updated:
        results[result.index] = result
    return [result for result in results if result is not None]
