"""Every fault the emulator can inject ends as a transient error that a retry gets past, or as a permanent
one reported at once; and the governor keeps the client under the org's daily quota from the usage
headers alone, without a single refused call."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sf_client_support import Emulator, fast_rate, retry_transient, run

from concord.connectors.http import GovernorState, QuotaPaused, RateGovernor, classify
from concord.connectors.salesforce import SalesforceClient
from concord.engine.errors import PermanentError, Throttled, TransientError

pytestmark = pytest.mark.faults

DATA = "GET /services/data/*"

# fault rule (on every GET of the REST API) -> how many calls it spoils
TRANSIENT_FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    "error_rate_503": ({"error_rate": 1.0, "error_status": 503, "max_faults": 2}, 2),
    "error_rate_500": ({"error_rate": 1.0, "error_status": 500, "max_faults": 1}, 1),
    "timeout": ({"timeout_rate": 1.0, "hang_s": 5.0, "max_faults": 1}, 1),
    "burst_429": ({"burst_429": True, "burst_every": 0, "burst_length": 2, "max_faults": 2}, 2),
    "malformed_body": ({"malformed_rate": 1.0, "max_faults": 1}, 1),
    "truncated_body": ({"truncated_rate": 1.0, "max_faults": 1}, 1),
    "dropped_connection": ({"truncated_rate": 1.0, "truncate_mode": "drop_connection", "max_faults": 1}, 1),
    "outage": ({"outage": {}, "max_faults": 3}, 3),
}


async def read_one(emulator: Emulator, **spec: Any) -> tuple[SalesforceClient, str]:
    client = SalesforceClient(emulator.spec(timeout_s=0.5, **spec))
    record_id = await client.create("Account", {"Name": "Acme"})  # logged in before the faults start
    return client, record_id


@pytest.mark.parametrize("kind", sorted(TRANSIENT_FAULTS))
def test_transient_faults_are_retried_past(emulator: Emulator, kind: str) -> None:
    rule, spoiled = TRANSIENT_FAULTS[kind]

    async def scenario() -> list[TransientError]:
        client, record_id = await read_one(emulator)
        async with client:
            emulator.fault(endpoint=DATA, seed=7, **rule)
            record, met = await retry_transient(lambda: client.get("Account", record_id, ["Name"]))
            assert record["Name"] == "Acme"
            return met

    met = run(scenario())
    assert len(met) == spoiled
    assert all(classify(error).transient for error in met)
    assert all(isinstance(error.__cause__, Exception) for error in met if kind != "burst_429")
    if kind == "burst_429":
        assert all(classify(error).throttled for error in met)


@pytest.mark.parametrize("kind", ["slow_drip", "latency", "one_expired_session"])
def test_faults_that_only_slow_a_call_or_renew_its_token_are_invisible(emulator: Emulator, kind: str) -> None:
    rule = {
        "slow_drip": {"slow_drip": True, "drip_chunk_bytes": 64, "drip_interval_ms": 2.0, "max_faults": 1},
        "latency": {"latency_ms": 100.0, "max_faults": 1},
        "one_expired_session": {"error_rate": 1.0, "error_status": 401, "max_faults": 1},
    }[kind]

    async def scenario() -> None:
        client, record_id = await read_one(emulator)
        async with client:
            emulator.fault(endpoint=DATA, **rule)
            assert (await client.get("Account", record_id, ["Name"]))["Name"] == "Acme"

    run(scenario())
    assert emulator.count(fault="any") == 1


@pytest.mark.parametrize(("status", "calls"), [(400, 1), (401, 2), (404, 1)])
def test_permanent_faults_are_reported_not_retried(emulator: Emulator, status: int, calls: int) -> None:
    async def scenario() -> PermanentError:
        client, record_id = await read_one(emulator)
        async with client:
            emulator.fault(endpoint=DATA, error_rate=1.0, error_status=status)
            with pytest.raises(PermanentError) as refused:
                await retry_transient(lambda: client.get("Account", record_id))
            return refused.value

    error = run(scenario())
    verdict = classify(error)
    assert not verdict.transient and verdict.reason.startswith("Salesforce")
    assert emulator.count(method="GET", fault="any") == calls  # a 401 is retried once with a new token
    if status == 401:
        assert "refused the credentials" in verdict.reason


def test_the_platform_quota_refusals_are_throttling(emulator: Emulator) -> None:
    """With the governor's brakes off, the org's own 403 REQUEST_LIMIT_EXCEEDED answers come back as
    ``Throttled`` with a wait: the daily quota long, the concurrency limit short."""
    unbraked = fast_rate(pace_at=1.0, pause_at=1.0, max_concurrency=3)

    async def scenario() -> tuple[Throttled, list[Throttled]]:
        async with SalesforceClient(emulator.spec(rate=unbraked)) as client:
            await client.limits()
            emulator.profile(mode="realistic", latency_ms=300.0, jitter_ms=0.0, max_concurrency=1)
            answers = await asyncio.gather(*(client.limits() for _ in range(3)), return_exceptions=True)
            concurrent = [a for a in answers if isinstance(a, Throttled)]
            # The quota drops under what is spent (the governor, which saw 100,000, cannot know).
            used = emulator.profile(latency_ms=0.0, max_concurrency=25)["calls_today"]
            emulator.profile(daily_call_limit=used)
            with pytest.raises(Throttled) as daily:
                await client.limits()
            return daily.value, concurrent

    daily, concurrent = run(scenario())
    assert concurrent and all(
        c.retry_after == 5.0 and "ConcurrentPerOrgLongTxn" in c.reason for c in concurrent
    )
    assert daily.retry_after == 900.0 and "TotalRequests" in daily.reason
    assert classify(daily).throttled and classify(daily).transient


def test_the_governor_slows_down_and_pauses_before_the_daily_quota(emulator: Emulator) -> None:
    emulator.profile(
        mode="realistic", daily_call_limit=60, latency_ms=0.0, jitter_ms=0.0, reset_counters=True
    )
    shift = [0.0]
    policy = fast_rate(max_concurrency=4, pace_at=0.8, pause_at=0.95, pause_s=60.0)
    governor = RateGovernor("Salesforce", policy, clock=lambda: time.monotonic() + shift[0])

    async def until_paused(client: SalesforceClient) -> QuotaPaused:
        while True:
            try:
                await client.limits()
            except QuotaPaused as paused:
                return paused

    async def scenario() -> None:
        async with SalesforceClient(emulator.spec(rate=policy), governor=governor) as client:
            pauses = await asyncio.gather(*(until_paused(client) for _ in range(4)))
            assert all(p.retry_after is not None and 50 < p.retry_after <= 60 for p in pauses)
            status = governor.status()
            assert status.state is GovernorState.PAUSED and status.pauses == 1
            assert status.paced >= 5  # calls between 80 % and 95 % of the quota were spaced out
            used = emulator.profile()["calls_today"]
            assert 50 <= used <= 57  # spent up to the threshold, never beyond
            # Still paused: the work waits (nothing is sent) ...
            with pytest.raises(QuotaPaused):
                await client.limits()
            assert emulator.profile()["calls_today"] == used
            # ... until the pause is over and a probe finds a fresh quota window (a day later).
            emulator.ok("PUT", "clock", json={"advance_s": 86_400})
            shift[0] = 61.0
            assert (await client.limits())["DailyApiRequests"]["Max"] == 60
            assert governor.status().state is GovernorState.NORMAL
            await client.limits()

    run(scenario())
    assert emulator.count(status=403) == 0
