"""What every platform client shares: tokens, the call budget, error mapping, paging and exact JSON.

A platform client (``concord.connectors.salesforce.client`` is the model) builds one ``ApiSession`` from:

- an ``ErrorMapper`` subclass that parses the platform's error bodies and claims its special cases;
- a ``RateGovernor`` with the spec's ``GovernorPolicy``, fed by a ``UsageReader`` for its usage headers;
- a ``TokenManager`` whose grant posts to the platform's token endpoint through the same session
  (``authenticated=False, governed=False, check=False``).

Then every call is ``await session.request_json(method, url, ...)``; failures arrive as Concord errors
(``TransientError``/``Throttled``/``PermanentError``/``Rejected``/``CannotEncode``) and ``classify`` turns any
of them into the engine's ``Classification``.
"""

from __future__ import annotations

from concord.connectors.http.auth import AccessToken, Grant, TokenManager
from concord.connectors.http.errors import (
    ErrorMapper,
    PlatformError,
    classify,
    map_http_errors,
    retry_after_seconds,
    translate,
)
from concord.connectors.http.governor import (
    ApiUsage,
    GovernorPolicy,
    GovernorState,
    GovernorStatus,
    Permit,
    Priority,
    QuotaPaused,
    RateGovernor,
)
from concord.connectors.http.paging import NextLinkPaginator, Page, Paginator, follow_pages, iterate_items
from concord.connectors.http.session import ApiSession, UsageReader

__all__ = [
    "AccessToken",
    "ApiSession",
    "ApiUsage",
    "ErrorMapper",
    "GovernorPolicy",
    "GovernorState",
    "GovernorStatus",
    "Grant",
    "NextLinkPaginator",
    "Page",
    "Paginator",
    "Permit",
    "PlatformError",
    "Priority",
    "QuotaPaused",
    "RateGovernor",
    "TokenManager",
    "UsageReader",
    "classify",
    "follow_pages",
    "iterate_items",
    "map_http_errors",
    "retry_after_seconds",
    "translate",
]
