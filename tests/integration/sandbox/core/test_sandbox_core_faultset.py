"""FaultSet decisions without a server: matching, precedence, labels, determinism."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from concord.sandbox.core import Clock, FaultRule, FaultSet
from concord.sandbox.core.faults import parse_endpoint


@pytest.fixture
def faults() -> FaultSet:
    clock = Clock()
    clock.set(datetime(2025, 1, 1, tzinfo=UTC), frozen=True)
    return FaultSet(clock)


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "matches"),
    [
        ("*", "GET", "/anything/at/all", True),
        ("POST /services/data/*/composite/*", "POST", "/services/data/v62.0/composite/sobjects", True),
        ("POST /services/data/*/composite/*", "GET", "/services/data/v62.0/composite/sobjects", False),
        ("GET,PATCH /api/v1/*", "PATCH", "/api/v1/workspaces/1", True),
        ("/api/v1/users", "GET", "/api/v1/users/1", False),
        ("* /x", "DELETE", "/x", True),
    ],
)
def test_endpoint_patterns(endpoint: str, method: str, path: str, matches: bool) -> None:
    methods, pattern = parse_endpoint(endpoint)

    assert ((methods is None or method in methods) and pattern.match(path) is not None) is matches


def test_answer_pre_empts_body_effects_and_labels_say_so(faults: FaultSet) -> None:
    faults.add(FaultRule(error_rate=1.0, malformed_rate=1.0, slow_drip=True, latency_ms=5))

    plan = faults.decide("GET", "/x")

    assert plan is not None
    assert plan.answer is not None
    assert not plan.rewrites_body
    assert plan.labels() == ["latency", "error"]
    assert faults.stats()["r1"]["injected"] == {"latency": 1, "error": 1}


def test_outage_beats_burst_beats_error_and_first_rule_answers(faults: FaultSet) -> None:
    faults.add(FaultRule(endpoint="/x", error_rate=1.0, error_status=500))
    faults.add(FaultRule(endpoint="/x", burst_429=True, burst_every=0, burst_length=1))
    faults.add(FaultRule(endpoint="/y", outage=[{"duration_s": 60}], burst_429=True, burst_every=0))

    x = faults.decide("GET", "/x")
    y = faults.decide("GET", "/y")

    assert x is not None and x.answer is not None and x.answer.status == 500
    assert y is not None and y.answer is not None and y.answer.kind == "outage"


def test_latency_from_several_rules_adds_up(faults: FaultSet) -> None:
    faults.replace([FaultRule(latency_ms=100), FaultRule(endpoint="GET /x", latency_ms=50)])

    plan = faults.decide("GET", "/x")

    assert plan is not None
    assert plan.delay_s == pytest.approx(0.15)
    assert faults.decide("GET", "/nothing") is not None
    assert faults.decide("POST", "/x").delay_s == pytest.approx(0.1)  # type: ignore[union-attr]


def test_same_seed_same_decisions(faults: FaultSet) -> None:
    rule = FaultRule(error_rate=0.5, timeout_rate=0.2, jitter_ms=100, seed=99)

    def run() -> list[tuple[str, ...]]:
        faults.replace([rule])
        plans = [faults.decide("GET", "/x") for _ in range(50)]
        return [(*plan.labels(), f"{plan.delay_s:.6f}") if plan else () for plan in plans]

    first = run()
    assert first == run()
    assert 10 < sum("error" in labels for labels in first) < 40
    assert len({labels[-1] for labels in first}) > 40  # jitter differs request to request


def test_outage_duration_is_resolved_when_added(faults: FaultSet) -> None:
    stored = faults.add(FaultRule(outage=[{"duration_s": 90}]))

    (window,) = stored.outage
    assert window.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert window.end == datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=90)


def test_no_rules_means_no_plan(faults: FaultSet) -> None:
    assert not faults.active
    assert faults.decide("GET", "/x") is None
    faults.add(FaultRule(endpoint="/other", error_rate=1.0))
    assert faults.decide("GET", "/x") is None
