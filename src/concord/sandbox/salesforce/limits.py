"""The org's API limits: the daily request quota reported in ``Sforce-Limit-Info`` and ``GET /limits``,
and the realistic profile that enforces it.

The count and the quota live in the core's ``ProfileGovernor`` (one source of truth): every call is
counted, and in the realistic profile a call over the quota is refused with 403
``REQUEST_LIMIT_EXCEEDED`` / ``TotalRequests Limit exceeded.``. Tests exhaust it quickly with
``PUT /__sandbox/profile {"mode": "realistic", "daily_call_limit": 5, "latency_ms": 0, "jitter_ms": 0}``.
Two approximations: the platform's day is a rolling 24 hours (here the emulator clock's UTC day), and
OAuth token requests are counted too (the platform does not count them).
"""

from __future__ import annotations

from typing import Any

from concord.sandbox.core.profiles import PlatformProfile, ProfileGovernor

DEFAULT_DAILY_LIMIT = 100_000
"""Enterprise Edition's base daily allocation."""

SALESFORCE_PROFILE = PlatformProfile(
    latency_ms=150.0,
    jitter_ms=150.0,
    # The platform allows 25 concurrent long-running (>20 s) requests per production org; the core counts
    # every request in flight, which is stricter but only matters under heavy parallel load.
    max_concurrency=25,
    concurrency_status=403,
    daily_call_limit=DEFAULT_DAILY_LIMIT,
    daily_limit_status=403,
    sends_retry_after=False,
)
"""Typical latency 150 to 300 ms per call, 25 concurrent long-running requests, the daily API quota."""


def daily_limit(governor: ProfileGovernor) -> int:
    """The daily quota shown to clients (the platform always has one)."""
    limit = governor.platform.daily_call_limit
    return DEFAULT_DAILY_LIMIT if limit is None else limit


def limit_info_header(governor: ProfileGovernor) -> str:
    """``Sforce-Limit-Info`` value: ``api-usage=<used>/<limit>``."""
    return f"api-usage={governor.calls_today}/{daily_limit(governor)}"


def limits_body(governor: ProfileGovernor) -> dict[str, Any]:
    """``GET /limits``: the daily API quota, plus a few other limits clients commonly read."""
    limit = daily_limit(governor)
    return {
        "DailyApiRequests": {"Max": limit, "Remaining": max(limit - governor.calls_today, 0)},
        "ConcurrentPerOrgLongTxn": {"Max": 25, "Remaining": 25},
        "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
        "DailyDeliveredPlatformEvents": {"Max": 50000, "Remaining": 50000},
        "DataStorageMB": {"Max": 5120, "Remaining": 5120},
        "FileStorageMB": {"Max": 20480, "Remaining": 20480},
    }
