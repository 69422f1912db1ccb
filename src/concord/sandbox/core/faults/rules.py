"""Fault rules: what may go wrong on which endpoint (pure data, JSON-friendly for the admin API)."""

from __future__ import annotations

import fnmatch
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_METHOD = re.compile(r"^[A-Z]+(,[A-Z]+)*$|^\*$")


class OutageWindow(BaseModel):
    """A period (emulator clock time) during which matching requests get 503.

    Give ``start``/``end``, or ``duration_s`` (from ``start``, or from the moment the rule is added).
    Without ``end`` or ``duration_s`` the outage lasts until the rule is removed. Stored rules always show
    the resolved ``start``/``end``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: datetime | None = None
    end: datetime | None = None
    duration_s: float | None = Field(default=None, gt=0)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("outage times need a timezone, e.g. 2025-03-01T09:00:00Z")
        return None if value is None else value.astimezone(UTC)

    def resolved(self, now: datetime) -> OutageWindow:
        """Concrete window: ``start`` defaults to ``now``, ``duration_s`` becomes ``end``."""
        start = self.start or now
        end = self.end
        if end is None and self.duration_s is not None:
            end = start + timedelta(seconds=self.duration_s)
        return OutageWindow(start=start, end=end)

    def contains(self, now: datetime) -> bool:
        """Whether ``now`` is inside the (resolved) window."""
        if self.start is not None and now < self.start:
            return False
        return self.end is None or now < self.end


class FaultRule(BaseModel):
    """Misbehaviour applied to the requests one endpoint pattern matches.

    ``endpoint`` is ``"*"`` (everything), a path glob (``"/api/v1/*"``) or a method and a glob
    (``"POST /services/data/*/composite/*"``, ``"GET,HEAD /x"``); ``*`` also matches ``/``; the query string
    is not part of the path. Randomness comes from a ``random.Random(seed)`` per rule: for every matching
    request the rule draws, in this order, one number for each of ``error_rate``, ``timeout_rate``,
    ``malformed_rate`` and ``truncated_rate`` that is above 0, then one for the jitter if ``jitter_ms > 0``.
    So with a fixed seed a test knows exactly which requests fail.

    When several effects fire on one request the answer is, in order of precedence: outage (503), 429
    burst, injected error, hang; latency is always added first; body effects (malformed, truncated, slow
    drip) apply to the emulator's own answer only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, description="Assigned when the rule is added; used to remove it.")
    endpoint: str = "*"
    description: str = ""
    seed: int | None = Field(default=None, description="Seed of the rule's random generator; None = random.")
    max_faults: int | None = Field(
        default=None, ge=1, description="Rule goes dormant after affecting N requests."
    )

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=400, le=599)

    latency_ms: float = Field(default=0.0, ge=0.0, le=600_000.0)
    jitter_ms: float = Field(default=0.0, ge=0.0, le=600_000.0, description="Adds uniform(0, jitter_ms).")

    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    hang_s: float = Field(
        default=30.0, gt=0.0, le=3600.0, description="Hang bound; then a 504 if still there."
    )

    burst_429: bool = False
    burst_every: int = Field(default=10, ge=0, description="Requests let through before each burst.")
    burst_length: int = Field(default=3, ge=1, description="Consecutive 429s per burst.")
    retry_after_s: int | None = Field(default=None, ge=0, description="Retry-After on injected 429s.")

    malformed_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    truncated_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    truncate_mode: Literal["cut_json", "drop_connection"] = "cut_json"

    outage: list[OutageWindow] = Field(default_factory=list)

    slow_drip: bool = False
    drip_chunk_bytes: int = Field(default=16, ge=1)
    drip_interval_ms: float = Field(default=100.0, ge=0.0, le=60_000.0)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        parse_endpoint(value)
        return value.strip()

    @field_validator("outage", mode="before")
    @classmethod
    def _one_window(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value


class FaultRuleSet(BaseModel):
    """The body of ``PUT /__sandbox/faults``: the complete new list of rules."""

    model_config = ConfigDict(extra="forbid")

    rules: list[FaultRule] = Field(default_factory=list)


def parse_endpoint(endpoint: str) -> tuple[frozenset[str] | None, re.Pattern[str]]:
    """Split ``"METHOD[,METHOD] GLOB"`` into allowed methods (``None`` = any) and a compiled path pattern.

    Raises:
        ValueError: The pattern is malformed (the message says what is expected).
    """
    text = endpoint.strip()
    parts = text.split()
    if len(parts) == 1:
        methods, glob = None, parts[0]
    elif len(parts) == 2:
        method = parts[0].upper()
        if not _METHOD.match(method):
            raise ValueError(f"bad method in endpoint {endpoint!r}: use e.g. 'GET', 'GET,POST' or '*'")
        methods, glob = (None if method == "*" else frozenset(method.split(","))), parts[1]
    else:
        raise ValueError(f"bad endpoint {endpoint!r}: expected '*', '/path/glob' or 'METHOD /path/glob'")
    if glob != "*" and not glob.startswith("/"):
        raise ValueError(f"bad endpoint {endpoint!r}: the path glob must start with '/' (or be '*')")
    return methods, re.compile(fnmatch.translate(glob))
