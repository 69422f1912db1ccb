"""The NetSuite connector: REST Record API and SuiteQL client, OAuth 2.0 client credentials with a JWT
assertion, error mapping, asynchronous writes with idempotency keys, batches and change detection.

``NetSuiteClient(spec)`` talks to one account (the sandbox emulator or a real one: only ``base_url`` and
the credentials differ); ``changed_since(client, ...)`` polls for changed records with a cursor.
"""

from __future__ import annotations

from concord.connectors.netsuite.batch import RecordWrite, WriteResult
from concord.connectors.netsuite.changes import (
    DEFAULT_OVERLAP,
    ChangedRecord,
    ChangePoll,
    ChangeSource,
    changed_since,
    deletions_since,
    drain,
)
from concord.connectors.netsuite.client import NetSuiteClient
from concord.connectors.netsuite.cursor import StampCursor
from concord.connectors.netsuite.errors import NetSuiteErrorMapper, parse_error_details
from concord.connectors.netsuite.jobs import AsyncResult, idempotency_uuid
from concord.connectors.netsuite.links import ExternalId, RecordKey, id_from_location, record_path
from concord.connectors.netsuite.spec import DEFAULT_CONCURRENCY, NetSuiteSpec

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_OVERLAP",
    "AsyncResult",
    "ChangePoll",
    "ChangeSource",
    "ChangedRecord",
    "ExternalId",
    "NetSuiteClient",
    "NetSuiteErrorMapper",
    "NetSuiteSpec",
    "RecordKey",
    "RecordWrite",
    "StampCursor",
    "WriteResult",
    "changed_since",
    "deletions_since",
    "drain",
    "id_from_location",
    "idempotency_uuid",
    "parse_error_details",
    "record_path",
]
