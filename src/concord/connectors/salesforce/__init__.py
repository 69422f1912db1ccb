"""The Salesforce connector: REST client, OAuth grants, error mapping and change detection.

``SalesforceClient(spec)`` talks to one org (the sandbox emulator or a real one: only ``login_url`` and
the credentials differ); ``changed_since(client, ...)`` polls for changed records with a cursor.
"""

from __future__ import annotations

from concord.connectors.salesforce.changes import (
    DEFAULT_OVERLAP,
    ChangedRecord,
    ChangeEvent,
    ChangeEventBatch,
    ChangeEventTransport,
    ChangePoll,
    ModstampCursor,
    changed_since,
    parse_change_event,
)
from concord.connectors.salesforce.client import (
    MAX_COLLECTION,
    MAX_COMPOSITE,
    CompositeResult,
    CompositeSubrequest,
    RecordResult,
    SalesforceClient,
    UpsertResult,
)
from concord.connectors.salesforce.errors import (
    SalesforceErrorMapper,
    parse_errors,
    parse_limit_info,
    record_failure,
)
from concord.connectors.salesforce.spec import ClientCredentialsAuth, JwtBearerAuth, SalesforceSpec

__all__ = [
    "DEFAULT_OVERLAP",
    "MAX_COLLECTION",
    "MAX_COMPOSITE",
    "ChangeEvent",
    "ChangeEventBatch",
    "ChangeEventTransport",
    "ChangePoll",
    "ChangedRecord",
    "ClientCredentialsAuth",
    "CompositeResult",
    "CompositeSubrequest",
    "JwtBearerAuth",
    "ModstampCursor",
    "RecordResult",
    "SalesforceClient",
    "SalesforceErrorMapper",
    "SalesforceSpec",
    "UpsertResult",
    "changed_since",
    "parse_change_event",
    "parse_errors",
    "parse_limit_info",
    "record_failure",
]
