"""Backoff spacing and circuit breaker states."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from concord.engine.resilience import BreakerState, CircuitBreaker, RetryPolicy

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@given(attempt=st.integers(1, 40), seed=st.integers(0, 10_000), retry_after=st.none() | st.floats(0, 100))
def test_delay_stays_in_the_jitter_band_and_honours_retry_after(
    attempt: int, seed: int, retry_after: float | None
) -> None:
    policy = RetryPolicy(initial_s=0.5, multiplier=2, max_delay_s=60, jitter=0.2)
    delay = policy.delay(attempt, retry_after, random.Random(seed))
    nominal = policy.nominal_delay(attempt)
    assert nominal <= 60
    assert delay >= (retry_after or 0)
    assert delay >= nominal * 0.8 - 1e-9
    assert delay <= max(nominal, retry_after or 0)


def test_invalid_policy_is_refused_with_the_rule() -> None:
    with pytest.raises(ValueError, match="multiplier >= 1"):
        RetryPolicy(multiplier=0.5)


def test_breaker_opens_cools_down_trials_and_closes() -> None:
    breaker = CircuitBreaker("erp", failure_threshold=3, cooldown_s=10)
    for _ in range(3):
        assert breaker.allows(T0)
        breaker.failed(T0)
    assert breaker.state is BreakerState.OPEN and not breaker.allows(T0 + timedelta(seconds=5))
    assert breaker.allows(T0 + timedelta(seconds=11)) and breaker.trial_only
    breaker.failed(T0 + timedelta(seconds=11))  # the trial failed: open again
    assert breaker.state is BreakerState.OPEN
    assert breaker.allows(T0 + timedelta(seconds=22))
    breaker.succeeded(T0 + timedelta(seconds=22))
    assert breaker.state is BreakerState.CLOSED
    assert [s for _, s in breaker.transitions] == ["open", "half_open", "open", "half_open", "closed"]


def test_throttling_pauses_without_opening() -> None:
    breaker = CircuitBreaker("crm")
    breaker.throttled(T0, 2.0)
    assert not breaker.allows(T0 + timedelta(seconds=1))
    assert breaker.allows(T0 + timedelta(seconds=2.1)) and breaker.state is BreakerState.CLOSED
