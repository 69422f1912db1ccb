"""W3C trace context (``traceparent``) carried on every event, command, exception and log line.

One business transaction keeps one trace id from the CRM opportunity to the ERP invoice; each hop gets a
new span id. Parsing follows https://www.w3.org/TR/trace-context/ (version 00). Written by hand because the
domain must stay free of I/O libraries; ``concord.observe`` bridges these ids into OpenTelemetry.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class InvalidTraceparent(ValueError):
    """A traceparent header that does not follow W3C trace context."""


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A position in a distributed trace: which business transaction, which hop."""

    trace_id: str
    span_id: str
    sampled: bool = True

    @classmethod
    def new(cls) -> TraceContext:
        """Start a new business transaction."""
        return cls(secrets.token_hex(16), secrets.token_hex(8))

    @classmethod
    def parse(cls, header: str) -> TraceContext:
        """Read a ``traceparent`` header; raises :class:`InvalidTraceparent` when it is malformed."""
        match = _TRACEPARENT.match(header.strip().lower())
        if match is None:
            raise InvalidTraceparent(f"not a W3C traceparent: {header!r}")
        trace_id, span_id, flags = match.groups()
        if trace_id == "0" * 32 or span_id == "0" * 16:
            raise InvalidTraceparent(f"all-zero trace or span id in {header!r}")
        return cls(trace_id, span_id, bool(int(flags, 16) & 1))

    @classmethod
    def parse_or_new(cls, header: str | None) -> TraceContext:
        """Continue the caller's trace when it sent a valid one, else start a new one."""
        if header:
            try:
                return cls.parse(header)
            except InvalidTraceparent:
                pass
        return cls.new()

    @classmethod
    def continuing(cls, trace_id: object) -> TraceContext | None:
        """A new hop of the business transaction ``trace_id`` (as a platform field kept it), if valid."""
        if not isinstance(trace_id, str):
            return None
        value = trace_id.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{32}", value) or value == "0" * 32:
            return None
        return cls(value, secrets.token_hex(8))

    def child(self) -> TraceContext:
        """The next hop of the same business transaction."""
        return TraceContext(self.trace_id, secrets.token_hex(8), self.sampled)

    @property
    def traceparent(self) -> str:
        """The header value, e.g. ``00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01``."""
        return f"00-{self.trace_id}-{self.span_id}-{'01' if self.sampled else '00'}"

    def __str__(self) -> str:
        return self.traceparent
