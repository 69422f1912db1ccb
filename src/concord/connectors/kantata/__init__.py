"""The Kantata OX connector: REST client, OAuth grants, error mapping, external-reference upserts,
approval states and change detection (record polls and the subscribed-events feed).

``KantataClient(spec)`` talks to one account (the sandbox emulator or ``https://api.mavenlink.com``: only
``base_url`` and the credentials differ); ``changed_since(client, ...)`` polls a list for changed records
and ``events_since(client, ...)`` reads the subscribed-events feed, both with a cursor that survives
restarts; ``upsert_by_reference`` / ``bulk_upsert_by_reference`` write by another system's id.
"""

from __future__ import annotations

from concord.connectors.kantata.approvals import (
    APPROVAL_INCLUDES,
    Approval,
    TimeEntryStatus,
    approval_of,
    time_entries_with_approval,
)
from concord.connectors.kantata.changes import DEFAULT_OVERLAP, ChangedRecord, ChangePoll, changed_since
from concord.connectors.kantata.client import MAX_ONLY, ItemResult, KantataClient
from concord.connectors.kantata.cursor import StampCursor
from concord.connectors.kantata.envelope import Envelope, decode_envelope
from concord.connectors.kantata.errors import KantataErrorMapper, failed_indexes, parse_errors
from concord.connectors.kantata.feed import (
    DEFAULT_FEED_OVERLAP,
    FeedEvent,
    FeedPoll,
    events_since,
    parse_event,
)
from concord.connectors.kantata.references import (
    ExternalRef,
    UpsertResult,
    attach_reference,
    bulk_upsert_by_reference,
    find_by_reference,
    find_by_references,
    subject_type,
    upsert_by_reference,
)
from concord.connectors.kantata.spec import (
    MAX_BULK,
    MAX_PER_PAGE,
    AccessTokenAuth,
    ClientCredentialsAuth,
    KantataSpec,
    RefreshTokenAuth,
)

__all__ = [
    "APPROVAL_INCLUDES",
    "DEFAULT_FEED_OVERLAP",
    "DEFAULT_OVERLAP",
    "MAX_BULK",
    "MAX_ONLY",
    "MAX_PER_PAGE",
    "AccessTokenAuth",
    "Approval",
    "ChangePoll",
    "ChangedRecord",
    "ClientCredentialsAuth",
    "Envelope",
    "ExternalRef",
    "FeedEvent",
    "FeedPoll",
    "ItemResult",
    "KantataClient",
    "KantataErrorMapper",
    "KantataSpec",
    "RefreshTokenAuth",
    "StampCursor",
    "TimeEntryStatus",
    "UpsertResult",
    "approval_of",
    "attach_reference",
    "bulk_upsert_by_reference",
    "changed_since",
    "decode_envelope",
    "events_since",
    "failed_indexes",
    "find_by_reference",
    "find_by_references",
    "parse_errors",
    "parse_event",
    "subject_type",
    "time_entries_with_approval",
    "upsert_by_reference",
]
