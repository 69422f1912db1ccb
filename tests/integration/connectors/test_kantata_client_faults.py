"""Every fault the emulator can inject ends as a transient error that a retry gets past, or as a permanent
one reported at once; and, Kantata warning of nothing before its 429, the governor's concurrency and pace
keep the client under the realistic profile's limits without a single refused call."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from kantata_client_support import Kantata, retry_transient, run, serve

from concord.connectors.http import GovernorPolicy, RateGovernor, classify
from concord.connectors.kantata import KantataClient
from concord.engine.errors import PermanentError, Rejected, Throttled, TransientError
from concord.sandbox.core import RunningServer

pytestmark = pytest.mark.faults

API = "GET /api/v1/*"
USERS = "/api/v1/users.json"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

# fault rule (on every GET of the API) -> how many calls it spoils
TRANSIENT_FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    "error_503": ({"error_rate": 1.0, "error_status": 503, "max_faults": 2}, 2),
    "error_500": ({"error_rate": 1.0, "error_status": 500, "max_faults": 1}, 1),
    "gateway_timeout_504": ({"error_rate": 1.0, "error_status": 504, "max_faults": 1}, 1),
    "hang_past_the_timeout": ({"timeout_rate": 1.0, "hang_s": 2.0, "max_faults": 1}, 1),
    "burst_429": ({"burst_429": True, "burst_every": 0, "burst_length": 2, "max_faults": 2}, 2),
    "malformed_body": ({"malformed_rate": 1.0, "max_faults": 1}, 1),
    "truncated_body": ({"truncated_rate": 1.0, "max_faults": 1}, 1),
    "dropped_connection": ({"truncated_rate": 1.0, "truncate_mode": "drop_connection", "max_faults": 1}, 1),
    "outage": ({"outage": {}, "max_faults": 3}, 3),
}


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as emulator:
        yield emulator


async def logged_in(kantata: Kantata, **spec: Any) -> KantataClient:
    client = KantataClient(kantata.spec(timeout_s=0.5, **spec))
    await client.list_page("roles")  # the token is obtained before the faults start
    return client


@pytest.mark.parametrize("kind", sorted(TRANSIENT_FAULTS))
def test_transient_faults_are_retried_past(kantata: Kantata, kind: str) -> None:
    rule, spoiled = TRANSIENT_FAULTS[kind]

    async def scenario() -> list[TransientError]:
        async with await logged_in(kantata) as client:
            kantata.fault(endpoint=API, seed=7, **rule)
            page, met = await retry_transient(lambda: client.list_page("users"))
            assert page.records[0]["full_name"] == "Sandbox Administrator"
            return met

    met = run(scenario())
    assert len(met) == spoiled
    assert all(classify(error).transient for error in met)
    if kind == "burst_429":
        # Kantata's 429 has no Retry-After: the spec's backoff stands in for it.
        assert all(isinstance(e, Throttled) and e.retry_after == 5.0 for e in met)
    else:
        assert all(isinstance(error.__cause__, Exception) for error in met)


@pytest.mark.parametrize("kind", ["slow_drip", "latency", "one_refused_token"])
def test_faults_that_only_slow_a_call_or_renew_its_token_are_invisible(kantata: Kantata, kind: str) -> None:
    rule = {
        "slow_drip": {"slow_drip": True, "drip_chunk_bytes": 64, "drip_interval_ms": 2.0, "max_faults": 1},
        "latency": {"latency_ms": 100.0, "max_faults": 1},
        "one_refused_token": {"error_rate": 1.0, "error_status": 401, "max_faults": 1},
    }[kind]

    async def scenario() -> None:
        async with await logged_in(kantata) as client:
            kantata.fault(endpoint=API, **rule)
            assert (await client.list_page("users")).count == 1

    run(scenario())
    assert kantata.count(fault="any") == 1


@pytest.mark.parametrize(
    ("status", "kind", "calls"),
    [(400, Rejected, 1), (403, Rejected, 1), (404, Rejected, 1), (401, PermanentError, 2)],
)
def test_permanent_faults_are_reported_not_retried(
    kantata: Kantata, status: int, kind: type[PermanentError], calls: int
) -> None:
    async def scenario() -> PermanentError:
        async with await logged_in(kantata) as client:
            kantata.fault(endpoint=API, error_rate=1.0, error_status=status)
            with pytest.raises(PermanentError) as caught:
                await retry_transient(lambda: client.list_page("users"))
            return caught.value

    error = run(scenario())
    assert type(error) is kind and not classify(error).transient
    assert f"({status})" in error.reason or "refused the credentials" in error.reason
    assert kantata.count(path=USERS) == calls  # a 401 renews the token once, then gives up


async def list_users_concurrently(client: KantataClient, times: int) -> list[BaseException | None]:
    async def one() -> None:
        await client.list_page("users")

    results = await asyncio.gather(*(one() for _ in range(times)), return_exceptions=True)
    return [r if isinstance(r, BaseException) else None for r in results]


@pytest.mark.parametrize(("concurrency", "refused"), [(8, False), (32, True)])
def test_the_governors_concurrency_keeps_under_kantatas_limit(
    kantata: Kantata, concurrency: int, refused: bool
) -> None:
    """The realistic profile refuses an 11th call in flight with a bare 429."""
    kantata.profile(mode="realistic", latency_ms=150.0, jitter_ms=0.0)

    async def scenario() -> list[BaseException | None]:
        async with KantataClient(kantata.spec(rate=GovernorPolicy(max_concurrency=concurrency))) as client:
            return await list_users_concurrently(client, 48)

    failures = [failure for failure in run(scenario()) if failure is not None]
    assert all(isinstance(failure, Throttled) for failure in failures)
    assert bool(failures) is refused
    assert (kantata.count(status="429") > 0) is refused


class EmulatedTime:
    """The governor's clock and sleep, moving the emulator's frozen clock: minutes pass in milliseconds."""

    def __init__(self, kantata: Kantata) -> None:
        self.kantata = kantata
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.kantata.advance_clock(seconds)


@pytest.mark.parametrize(("pace", "calls", "refused"), [(0.45, 90, 0), (None, 40, 11)])
def test_the_governors_pace_keeps_under_kantatas_per_minute_limit(
    kantata: Kantata, pace: float | None, calls: int, refused: int
) -> None:
    """30 calls a minute (the token call counts too); paced at 27 a minute, 90 calls take 3.3 emulated
    minutes and none is refused. Unpaced, every call past the 30th of the minute gets a bare 429."""
    kantata.set_clock(T0)
    kantata.profile(mode="realistic", latency_ms=0.0, jitter_ms=0.0)
    kantata.server.app.state.kantata_rate_budget.per_minute = 30  # the admin API has no knob for it
    time = EmulatedTime(kantata)
    policy = GovernorPolicy(max_concurrency=1, requests_per_second=pace)
    governor = RateGovernor("Kantata", policy, clock=time.clock, sleep=time.sleep)

    async def scenario() -> list[BaseException | None]:
        async with KantataClient(kantata.spec(), governor=governor) as client:
            outcomes: list[BaseException | None] = []
            for _ in range(calls):
                try:
                    await client.list_page("users")
                    outcomes.append(None)
                except Throttled as error:
                    outcomes.append(error)
            return outcomes

    outcomes = run(scenario())
    assert sum(outcome is not None for outcome in outcomes) == refused
    assert kantata.count(status="429") == refused
    if pace is not None:
        assert time.now > 3 * 60  # the pace, not luck, spread the calls over the minutes
