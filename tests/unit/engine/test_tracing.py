"""W3C trace context."""

from __future__ import annotations

import pytest

from concord.domain.tracing import InvalidTraceparent, TraceContext


def test_round_trip_and_child_keeps_the_trace() -> None:
    header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    trace = TraceContext.parse(header)
    assert trace.traceparent == header
    child = trace.child()
    assert child.trace_id == trace.trace_id and child.span_id != trace.span_id


@pytest.mark.parametrize(
    "bad",
    ["", "00-xyz", "00-" + "0" * 32 + "-00f067aa0ba902b7-01", "zz-" + "a" * 32 + "-" + "b" * 16 + "-01"],
)
def test_malformed_headers_are_refused_or_replaced(bad: str) -> None:
    with pytest.raises(InvalidTraceparent):
        TraceContext.parse(bad)
    assert len(TraceContext.parse_or_new(bad).trace_id) == 32
