"""Kantata's subscribed-events feed: the platform's pull substitute for push (it has no webhooks).

``GET /subscribed_events.json?created_after=...&order=created_at:asc&optional_fields=...`` lists events
named ``<subject>:<created|updated|deleted>`` (``time_entry:updated``) with the subject's type and id,
``subject_changed_at``, ``created_at`` and, as optional fields, ``current_payload``, ``previous_payload``
and ``payload_changes`` (api-contracts.md §4.5). The feed is an add-on for administrators, keeps events
nine days, and may deliver an event late or twice.

``events_since`` reads it with the same cursor as record polls (``concord.connectors.kantata.cursor``),
keyed by event id and stamped by ``created_at``: an event is handed out once, an event listed late (with a
``created_at`` below what was read) is caught while inside the overlap window, and the encoded cursor
survives restarts. A cursor older than the nine-day retention has lost events: run a record poll
(``changed_since``) over that period instead. Deletions, which record polls cannot see, come from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from concord.connectors.http.governor import Priority
from concord.connectors.http.polling import Poll
from concord.connectors.kantata.client import KantataClient
from concord.connectors.kantata.cursor import (
    MAX_SEEN,
    Row,
    StampCursor,
    Watermark,
    digest,
    ms,
    parse_stamp,
    query_stamp,
    scan,
)
from concord.connectors.kantata.envelope import Record
from concord.connectors.kantata.errors import SYSTEM
from concord.domain.messages import Change
from concord.engine.errors import TransientError

FEED = "subscribed_events"
PAYLOAD_FIELDS = ("current_payload", "previous_payload", "payload_changes")
DEFAULT_FEED_OVERLAP = timedelta(minutes=5)
RETENTION = timedelta(days=9)


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One subscribed event.

    Attributes:
        event_id: The event's id.
        event_type: ``<subject>:<action>`` (``time_entry:updated``).
        subject_type: The record's type (``TimeEntry``).
        subject_id: The record's id.
        created_at: When the event was recorded (the cursor's stamp).
        subject_changed_at: When the record changed.
        current_payload: The record after the change (None for a deletion).
        previous_payload: The record before the change (None for a creation).
        payload_changes: ``{attribute: {"from", "to"}}`` for an update.
        user_id: Who made the change.
    """

    event_id: str
    event_type: str
    subject_type: str
    subject_id: str
    created_at: datetime
    subject_changed_at: datetime
    current_payload: Record | None = None
    previous_payload: Record | None = None
    payload_changes: Mapping[str, Any] = field(default_factory=dict)
    user_id: str | None = None

    @property
    def action(self) -> str:
        """``created``, ``updated``, ``deleted`` (or another action of the subject)."""
        return self.event_type.rpartition(":")[2]

    @property
    def deleted(self) -> bool:
        """Whether the record was deleted."""
        return self.action == "deleted"

    @property
    def payload(self) -> Record:
        """The record's state the event reports (after the change; before it, for a deletion)."""
        return dict(self.current_payload or self.previous_payload or {})

    @property
    def version(self) -> str:
        """``<subject_changed_at ms>:<action>:<digest>``: the same for a duplicate of this event, so the
        inbox drops it whatever its event id."""
        return f"{ms(self.subject_changed_at)}:{self.action}:{digest(self.payload)}"

    def to_change(self, system: str, object_type: str | None = None) -> Change:
        """The engine's ``Change`` (object type: the subject type unless given)."""
        return Change(
            system=system,
            object_type=object_type or self.subject_type,
            source_id=self.subject_id,
            payload=self.payload,
            changed_at=self.subject_changed_at,
            version=self.version,
            deleted=self.deleted,
        )


def parse_event(row: Mapping[str, Any]) -> FeedEvent:
    """A feed row as a ``FeedEvent``.

    Raises:
        TransientError: it lacks the id, type, subject or ``created_at``.
    """
    try:
        created = parse_stamp(row["created_at"])
        changed = row.get("subject_changed_at")
        user = row.get("user_id")
        return FeedEvent(
            event_id=str(row["id"]),
            event_type=str(row["event_type"]),
            subject_type=str(row["subject_type"]),
            subject_id=str(row["subject_id"]),
            created_at=created,
            subject_changed_at=created if changed is None else parse_stamp(changed),
            current_payload=_payload(row.get("current_payload")),
            previous_payload=_payload(row.get("previous_payload")),
            payload_changes=dict(row.get("payload_changes") or {}),
            user_id=None if user is None else str(user),
        )
    except KeyError as exc:
        raise TransientError(f"{SYSTEM} sent a subscribed event without {exc}") from exc


def _payload(value: Any) -> Record | None:
    return dict(value) if isinstance(value, Mapping) else None


class FeedPoll(Poll[FeedEvent]):
    """One pass over the feed since a cursor: iterate it (or ``take(limit)``), then store ``cursor``.

    Create it with ``events_since``.
    """

    def __init__(
        self,
        client: KantataClient,
        cursor: StampCursor,
        overlap: timedelta,
        *,
        params: Mapping[str, str],
        per_page: int,
        priority: Priority,
        max_seen: int,
    ) -> None:
        super().__init__()
        self._client = client
        self._params = {
            **params,
            "order": "created_at:asc",
            "optional_fields": ",".join(PAYLOAD_FIELDS),
        }
        self._per_page = per_page
        self._priority = priority
        self._mark = Watermark(cursor, overlap, max_seen)
        self._items = scan(self._fetch, self._mark.lower_bound(), _stamp, self._judge, sweep=False)

    @property
    def cursor(self) -> StampCursor:
        """The cursor after the last event handed out."""
        return self._mark.cursor()

    async def _next_new(self) -> FeedEvent | None:
        return await anext(self._items, None)

    def _deliver(self, item: FeedEvent) -> None:
        self._mark.deliver(item.event_id, ms(item.created_at), "")

    async def aclose(self) -> None:
        """Stop reading (the cursor stays valid)."""
        await self._items.aclose()

    async def _fetch(self, at_or_after: int | None, page: int) -> tuple[list[Row], bool]:
        params = dict(self._params)
        if at_or_after is not None:
            params["created_after"] = query_stamp(at_or_after)
        envelope = await self._client.list_page(
            FEED, params, page=page, per_page=self._per_page, priority=self._priority
        )
        last = len(envelope.records) < self._per_page or envelope.page_number >= envelope.page_count
        return list(envelope.records), last

    def _judge(self, row: Row) -> FeedEvent | None:
        event = parse_event(row)
        if not self._mark.is_new(event.event_id, ms(event.created_at), ""):
            return None
        return event


def _stamp(row: Mapping[str, Any]) -> int:
    if "created_at" not in row:
        raise TransientError(f"{SYSTEM} sent a subscribed event without created_at")
    return ms(parse_stamp(row["created_at"]))


def events_since(
    client: KantataClient,
    cursor: StampCursor | str | None,
    overlap: timedelta = DEFAULT_FEED_OVERLAP,
    *,
    event_types: Sequence[str] = (),
    subject_type: str | None = None,
    per_page: int | None = None,
    priority: Priority = Priority.NORMAL,
    max_seen: int = MAX_SEEN,
) -> FeedPoll:
    """The subscribed events since ``cursor`` (see the module docstring).

    Args:
        client: The account.
        cursor: Where the last pass stopped (a cursor, its encoded text, or None for all retained events).
        overlap: How far below the high-water mark to look again for events listed late.
        event_types: Only these (``time_entry:created``...); all when empty.
        subject_type: Only events about this type (``TimeEntry``).
        per_page: Events per page (default: the spec's).
        priority: Governor priority.
        max_seen: Bound on the event ids remembered within the overlap window.

    Example::

        poll = events_since(client, stored_cursor, event_types=["time_entry:created", "time_entry:deleted"])
        events = await poll.take(500)
        ...record [event.to_change("kantata") for event in events], then store poll.cursor.encode()
    """
    params: dict[str, str] = {}
    if event_types:
        params["event_types"] = ",".join(event_types)
    if subject_type:
        params["subject_type"] = subject_type
    start = cursor if isinstance(cursor, StampCursor) else StampCursor.decode(cursor)
    return FeedPoll(
        client,
        start,
        overlap,
        params=params,
        per_page=per_page or client.spec.per_page,
        priority=priority,
        max_seen=max_seen,
    )
