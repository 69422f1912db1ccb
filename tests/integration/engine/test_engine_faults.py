"""Faults at the target: transient errors, timeouts, 429 bursts. Everything arrives once, retries are
spaced as configured, and the circuit breaker opens and closes."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

import pytest

from concord.engine.resilience import BreakerState, RetryPolicy
from concord.settings import BreakerSettings, DeliverySettingsModel, RetrySettings
from concord.testing.connector import Behaviour
from concord.testing.mirror_flow import generate_changes
from support.engine import assert_exactly_once, make_engine

pytestmark = pytest.mark.faults

RETRY = RetrySettings(initial_s=0.02, multiplier=2.0, max_delay_s=0.3, jitter=0.25, max_attempts=60)


def test_everything_is_delivered_once_despite_faults(store_url: str) -> None:
    feed = generate_changes(400, records=80, seed=11)
    behaviour = Behaviour(
        transient_rate=0.30,
        timeout_rate=0.05,
        hang_s=30,
        throttle_every=15,
        throttle_burst=3,
        retry_after_s=0.05,
        seed=5,
    )
    concord, connector = make_engine(
        store_url,
        feed,
        behaviour,
        retry=RETRY,
        breaker=BreakerSettings(failure_threshold=4, cooldown_s=0.05),
        delivery=DeliverySettingsModel(call_timeout_s=0.2, batch_size=100, connector_batch=20),
    )
    asyncio.run(asyncio.wait_for(concord.worker.run(until_idle=True), 240))
    assert_exactly_once(connector.ledger.effects(), feed)
    with concord.store.transaction() as tx:
        assert tx.instances.count_by_status() == {"completed": 400}
        assert tx.exceptions.list() == []

    # Retries of one command were spaced at least by the jittered backoff.
    policy = RetryPolicy(**RETRY.model_dump())
    attempts: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for key, attempt, at in connector.ledger.calls():
        attempts[key].append((attempt, at))
    retried = [sorted(calls) for calls in attempts.values() if len(calls) > 1]
    assert retried, "the faults should have forced retries"
    for calls in retried:
        for (attempt, at), (_, next_at) in itertools.pairwise(calls):
            minimum = policy.nominal_delay(attempt) * (1 - policy.jitter)
            assert next_at - at >= minimum * 0.9, (
                f"attempt {attempt + 1} came {next_at - at:.3f}s after {attempt}"
            )

    moves = [state for _, _, state in concord.breakers.transitions()]
    assert BreakerState.OPEN in moves and moves[-1] is BreakerState.CLOSED
    concord.close()


def test_throttling_pauses_the_whole_target_for_retry_after(tmp_path: object) -> None:
    feed = generate_changes(60, records=60, seed=2)
    behaviour = Behaviour(throttle_every=2, throttle_burst=1, retry_after_s=0.3)
    concord, connector = make_engine(
        f"sqlite:///{tmp_path}/t.db",
        feed,
        behaviour,
        retry=RETRY,
        delivery=DeliverySettingsModel(batch_size=10, connector_batch=10),
    )
    asyncio.run(concord.worker.run(until_idle=True))
    assert_exactly_once(connector.ledger.effects(), feed)
    times = sorted(at for _, _, at in connector.ledger.calls())
    # Every other request was a 429: the engine waited Retry-After before calling again.
    gaps = [b - a for a, b in itertools.pairwise(times) if b - a > 0.25]
    assert len(gaps) >= 3
    concord.close()


def test_a_spent_quota_budget_pauses_the_work_and_never_fails_it(tmp_path: object) -> None:
    feed = generate_changes(20, records=20, seed=3)
    # Twelve calls in a row find the budget spent: far more than the three attempts a command may fail.
    behaviour = Behaviour(quota_spent_calls=12, retry_after_s=0.01)
    concord, connector = make_engine(
        f"sqlite:///{tmp_path}/q.db",
        feed,
        behaviour,
        retry=RetrySettings(initial_s=0.01, multiplier=1.0, max_delay_s=0.05, jitter=0.0, max_attempts=3),
        breaker=BreakerSettings(failure_threshold=100, cooldown_s=0.01),
        delivery=DeliverySettingsModel(batch_size=5, connector_batch=5),
    )
    asyncio.run(concord.worker.run(until_idle=True))
    assert_exactly_once(connector.ledger.effects(), feed)
    with concord.store.transaction() as tx:
        assert tx.exceptions.counts() == {}
    concord.close()
