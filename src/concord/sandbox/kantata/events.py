"""The Subscribed Events feed: Kantata's pull-only change feed (it has no webhooks).

Every create, update and delete of a served resource appends an event ``<subject>:<created|updated|
deleted>`` with ``subject_type``/``subject_id``, ``subject_changed_at``, ``created_at``, the acting
``user_id`` and, as optional fields, ``previous_payload``, ``current_payload`` and ``payload_changes``
(``{attribute: {"from": old, "to": new}}`` [U: the shape of payload_changes]). Clients poll
``GET /subscribed_events.json`` with ``created_after``/``created_before``, ``event_types``,
``subject_type``+``subject_id``, ``user_ids``, ``most_recent``, ``order`` and paging. Events are kept 9 days
(emulator clock) and then dropped. Unlike the real feed, the emulator emits each event once and in order;
the real one may duplicate or reorder, so clients must deduplicate by event id anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from concord.sandbox.core.clock import Clock
from concord.sandbox.kantata.envelope import Catalog
from concord.sandbox.kantata.filters import one_of, parse_bool, text_one_of
from concord.sandbox.kantata.hooks import Predicate, Record, RecordReader, ResourceHooks, WriteContext
from concord.sandbox.kantata.repository import KantataRepository
from concord.sandbox.kantata.rules_projects import ACCOUNT_ID
from concord.sandbox.kantata.specs import PolymorphicSubject, ResourceSpec
from concord.sandbox.kantata.timefmt import format_timestamp

RETENTION = timedelta(days=9)
PRUNE_INTERVAL = timedelta(minutes=1)
COLLECTION = "subscribed_events"
PAGES = "subscribed_event_pages"
PAYLOAD_FIELDS = ("previous_payload", "current_payload", "payload_changes")
# Event types of subjects whose changes are not plain created/updated/deleted.
EXTRA_EVENT_TYPES = ("timesheet:created", "timesheet:updated", "timesheet:time_entry_added")


def payload(record: Record | None) -> dict[str, Any] | None:
    """The public attributes of a record as the feed shows them."""
    if record is None:
        return None
    return {key: value for key, value in record.items() if key[:1] != "_"}


def payload_changes(before: Record | None, after: Record | None) -> dict[str, dict[str, Any]]:
    """Attributes whose value differs, as ``{attribute: {"from", "to"}}`` (``updated_at`` excluded).

    Only updates carry changes; a created or deleted event's state is its current or previous payload.
    """
    if before is None or after is None:
        return {}
    old, new = payload(before) or {}, payload(after) or {}
    keys = [key for key in dict.fromkeys([*old, *new]) if key != "updated_at"]
    return {key: {"from": old.get(key), "to": new.get(key)} for key in keys if old.get(key) != new.get(key)}


def build_events_spec(clock: Clock) -> ResourceSpec:
    """The read-only ``subscribed_events`` resource; its default scope applies the 9-day retention."""

    def retention(params: Mapping[str, str], reader: RecordReader) -> Predicate | None:
        horizon = format_timestamp(clock.now() - RETENTION)
        return lambda record: str(record.get("created_at")) > horizon

    return ResourceSpec(
        collection=COLLECTION,
        singular="subscribed_event",
        subject_type="SubscribedEvent",
        event_subject="subscribed_event",
        fields=(),
        associations={"subject": PolymorphicSubject()},
        orders=("created_at",),
        default_order="created_at:desc",
        external_references=False,
        emits_events=False,
        optional_fields=PAYLOAD_FIELDS,
        hooks=ResourceHooks(
            default_scope=retention,
            filters={
                "event_types": text_one_of("event_type"),
                "subject_type": text_one_of("subject_type"),
                "subject_id": one_of("subject_id"),
                "user_ids": one_of("user_id"),
            },
        ),
    )


def most_recent(records: list[Record], params: Mapping[str, str]) -> list[Record]:
    """Apply ``most_recent`` (latest event per subject) or ``most_recent_by_event_type`` (per subject and
    event type); ``records`` keeps its order otherwise."""

    def wanted(name: str) -> bool:
        try:
            return parse_bool(params[name]) if name in params else False
        except ValueError:
            return False

    by_type = wanted("most_recent_by_event_type")
    if not (wanted("most_recent") or by_type):
        return records
    latest: dict[tuple[str, ...], Record] = {}
    for record in records:
        key: tuple[str, ...] = (str(record["subject_type"]), str(record["subject_id"]))
        if by_type:
            key = (*key, str(record["event_type"]))
        current = latest.get(key)
        if current is None or int(record["id"]) > int(current["id"]):
            latest[key] = record
    keep = {record["id"] for record in latest.values()}
    return [record for record in records if record["id"] in keep]


def event_types(catalog: Catalog) -> list[str]:
    """Every event type the emulator can emit, sorted."""
    names = [
        f"{spec.event_subject}:{kind}"
        for spec in catalog.specs
        if spec.emits_events
        for kind in ("created", "updated", "deleted")
    ]
    return sorted({*names, *EXTRA_EVENT_TYPES})


class EventFeed:
    """The feed's events, kept in memory and stored as one DocStore document per write ("page").

    A bulk create of 100 time entries appends 100 events; storing them as one page document keeps the
    write cost of the feed independent of the batch size. Event ids are sequential. The repository serves
    the ``subscribed_events`` collection from here (see ``KantataRepository.attach_view``).
    """

    def __init__(self, repo: KantataRepository, clock: Clock) -> None:
        self._repo = repo
        self._store = repo.store
        self._clock = clock
        self._lock = threading.RLock()
        self._events: dict[str, Record] | None = None
        self._next_id = 1
        self._last_prune: datetime | None = None
        self._store.define(PAGES, id_kind="int")
        repo.attach_view(COLLECTION, self)

    def rows(self) -> dict[str, Record]:
        """Live events by id (loaded from the stored pages on first use)."""
        events = self._events
        if events is None:
            with self._lock:
                events = self._load()
        return events

    def _load(self) -> dict[str, Record]:
        events: dict[str, Record] = {}
        for doc in self._store.scan(PAGES):
            for event in doc.data["events"]:
                events[str(event["id"])] = event
        self._next_id = max((int(key) for key in events), default=0) + 1
        self._events = events
        return events

    def forget(self) -> None:
        """Reload from the store on next use (after a wipe or a failed transaction)."""
        with self._lock:
            self._events = None
            self._last_prune = None

    def record(
        self,
        subject: ResourceSpec,
        kind: str,
        items: Sequence[tuple[Record | None, Record | None]],
        ctx: WriteContext,
        *,
        event_subject: str | None = None,
    ) -> None:
        """Append one ``<subject>:<kind>`` event per ``(before, after)`` pair."""
        if not items or not subject.emits_events:
            return
        event_type = f"{event_subject or subject.event_subject}:{kind}"
        with self._lock, self._repo.transaction():
            rows = self.rows()
            events = []
            for offset, (before, after) in enumerate(items):
                current = after if after is not None else before
                assert current is not None
                events.append(
                    {
                        "id": str(self._next_id + offset),
                        "event_type": event_type,
                        "subject_type": subject.subject_type,
                        "subject_id": current["id"],
                        "subject_changed_at": ctx.now,
                        "created_at": ctx.now,
                        "updated_at": ctx.now,
                        "user_id": ctx.user_id,
                        "account_id": ACCOUNT_ID,
                        "previous_payload": payload(before),
                        "current_payload": payload(after),
                        "payload_changes": payload_changes(before, after),
                    }
                )
            self._store.insert(PAGES, {"created_at": ctx.now, "events": events})
            self._next_id += len(events)
            for event in events:
                rows[event["id"]] = event

    def maybe_prune(self) -> int:
        """Prune at most once per emulator-clock minute (reads already hide expired events)."""
        now = self._clock.now()
        if self._last_prune is not None and self._last_prune <= now < self._last_prune + PRUNE_INTERVAL:
            return 0
        self._last_prune = now
        return self.prune()

    def prune(self) -> int:
        """Drop events past the retention (emulator clock); returns how many."""
        horizon = format_timestamp(self._clock.now() - RETENTION)
        with self._lock, self._repo.transaction():
            rows = self.rows()
            expired = [key for key, event in rows.items() if str(event.get("created_at")) <= horizon]
            for key in expired:
                del rows[key]
            for page in self._store.scan(PAGES):
                if str(page.data.get("created_at")) <= horizon:
                    self._store.delete(PAGES, page.id)
        return len(expired)
