"""RateGovernor: concurrency by priority, pacing, and the quota brake fed by usage reports."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import ValidationError

from concord.connectors.http import (
    ApiSession,
    ApiUsage,
    ErrorMapper,
    GovernorPolicy,
    GovernorState,
    GovernorStatus,
    Priority,
    QuotaPaused,
    RateGovernor,
)
from concord.connectors.http.budgets import QuotaBudgets
from concord.engine.errors import Throttled


class FakeTime:
    """A clock and a sleep that advances it: pacing shows as exact times, without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def governor(fake: FakeTime, **policy: object) -> RateGovernor:
    return RateGovernor("Demo", GovernorPolicy(**policy), clock=fake.clock, sleep=fake.sleep)


def test_no_more_than_max_concurrency_calls_are_in_flight() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.005)
        in_flight -= 1
        return httpx.Response(200, json={})

    async def scenario() -> None:
        rate = RateGovernor("Demo", GovernorPolicy(max_concurrency=3))
        transport = httpx.MockTransport(handler)
        async with ApiSession(mapper=ErrorMapper("Demo"), governor=rate, transport=transport) as session:
            await asyncio.gather(*(session.request("GET", "https://demo.test/x") for _ in range(12)))

    asyncio.run(scenario())
    assert peak == 3


def test_waiters_are_served_by_priority_then_arrival() -> None:
    order: list[str] = []

    async def scenario() -> None:
        rate = RateGovernor("Demo", GovernorPolicy(max_concurrency=1))
        holder = await rate.acquire()

        async def call(name: str, priority: Priority) -> None:
            async with rate.slot(priority):
                order.append(name)

        waiting = [
            asyncio.create_task(call(name, priority))
            for name, priority in [
                ("backfill", Priority.BACKGROUND),
                ("flow-1", Priority.NORMAL),
                ("person", Priority.INTERACTIVE),
                ("flow-2", Priority.NORMAL),
            ]
        ]
        await asyncio.sleep(0)
        assert rate.status().waiting == 4
        holder.release()
        await asyncio.gather(*waiting)

    asyncio.run(scenario())
    assert order == ["person", "flow-1", "flow-2", "backfill"]


def test_a_cancelled_waiter_does_not_keep_a_slot() -> None:
    async def scenario() -> None:
        rate = RateGovernor("Demo", GovernorPolicy(max_concurrency=1))
        holder = await rate.acquire()
        waiter = asyncio.create_task(rate.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        holder.release()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        permit = await asyncio.wait_for(rate.acquire(), 1.0)
        assert rate.status().in_flight == 1
        permit.release()

    asyncio.run(scenario())


def test_requests_per_second_spaces_call_starts() -> None:
    fake = FakeTime()
    rate = governor(fake, requests_per_second=4)

    async def scenario() -> list[float]:
        starts = []
        for _ in range(4):
            permit = await rate.acquire()
            starts.append(fake.now)
            permit.release()
        return starts

    assert asyncio.run(scenario()) == [0.0, 0.25, 0.5, 0.75]


def test_quota_usage_paces_from_pace_at_and_pauses_at_pause_at() -> None:
    fake = FakeTime()
    changes: list[GovernorStatus] = []
    rate = RateGovernor(
        "Demo",
        GovernorPolicy(pace_at=0.8, pause_at=0.95, max_pace_interval_s=1.0, pause_s=300),
        clock=fake.clock,
        sleep=fake.sleep,
        on_change=changes.append,
    )

    async def one_call(reported: int) -> None:
        permit = await rate.acquire()
        rate.observe(ApiUsage(reported, 100))
        permit.release()

    async def scenario() -> QuotaPaused:
        await one_call(70)  # the limit is unknown before the first report
        used = 70
        while True:
            try:
                await one_call(used + 1)
            except QuotaPaused as paused:
                return paused
            used += 1

    paused = asyncio.run(scenario())
    assert isinstance(paused, Throttled) and paused.retry_after == 300
    status = rate.status()
    assert status.used == 95 and status.state is GovernorState.PAUSED and status.pauses == 1
    # Below 80 % calls start at once; from there the spacing grows towards 1 s at 95 %.
    assert fake.slept[0] == pytest.approx(1 / 15, abs=1e-6)
    assert fake.slept == sorted(fake.slept) and fake.slept[-1] == pytest.approx(14 / 15, abs=1e-6)
    assert [c.state for c in changes] == [GovernorState.PACING, GovernorState.PAUSED]


def test_after_the_pause_one_probe_decides_whether_calls_resume() -> None:
    fake = FakeTime()
    rate = governor(fake, pause_s=60)
    rate.observe(ApiUsage(99, 100))

    async def scenario() -> None:
        with pytest.raises(QuotaPaused):
            await rate.acquire()
        fake.now += 61
        probe = await rate.acquire()
        with pytest.raises(QuotaPaused):  # only one probe at a time
            await rate.acquire()
        rate.observe(ApiUsage(99, 100))  # still spent: paused for another minute
        probe.release()
        with pytest.raises(QuotaPaused) as again:
            await rate.acquire()
        assert again.value.retry_after == pytest.approx(60)
        fake.now += 61
        probe = await rate.acquire()
        rate.observe(ApiUsage(3, 100))  # the quota window rolled over
        probe.release()
        (await rate.acquire()).release()

    asyncio.run(scenario())
    assert rate.status().state is GovernorState.NORMAL and rate.status().pauses == 1


def test_usage_reports_arriving_out_of_order_do_not_lower_the_estimate() -> None:
    rate = RateGovernor("Demo", GovernorPolicy(max_concurrency=10))
    rate.observe(ApiUsage(50, 100))
    rate.observe(ApiUsage(45, 100))  # an older answer, overtaken by a newer one
    assert rate.status().used == 50
    rate.observe(ApiUsage(2, 100))  # far below: a new quota window
    assert rate.status().used == 2
    rate.observe(ApiUsage(2, 500))  # another allowance
    assert rate.status().limit == 500


def test_calls_in_flight_count_against_the_quota() -> None:
    async def scenario() -> None:
        rate = RateGovernor("Demo", GovernorPolicy(pace_at=0.9, pause_at=0.9, max_pace_interval_s=0))
        rate.observe(ApiUsage(85, 100))
        held = [await rate.acquire() for _ in range(5)]  # 85 + 5 in flight = 90 %
        with pytest.raises(QuotaPaused):
            await rate.acquire()
        for permit in held:
            permit.release()

    asyncio.run(scenario())


def test_a_policy_must_pace_before_it_pauses() -> None:
    with pytest.raises(ValidationError, match="pace_at"):
        GovernorPolicy(pace_at=0.9, pause_at=0.5)


def test_background_work_stops_first_and_leaves_the_rest_of_the_quota_to_flows() -> None:
    fake = FakeTime()
    rate = governor(fake, pace_at=0.95, pause_at=0.95, background_pause_at=0.8, pause_s=60)

    async def one_call(priority: Priority, reported: int) -> None:
        permit = await rate.acquire(priority)
        rate.observe(ApiUsage(reported, 100))
        permit.release()

    async def scenario() -> tuple[int, QuotaPaused, int]:
        used = 0
        while True:  # a backfill spends the quota until its share is gone
            try:
                await one_call(Priority.BACKGROUND, used + 1)
            except QuotaPaused as paused:
                background_stop, refusal = used, paused
                break
            used += 1
        while True:  # flows go on up to the general pause
            try:
                await one_call(Priority.NORMAL, used + 1)
            except QuotaPaused:
                return background_stop, refusal, used
            used += 1

    background_stop, refusal, normal_stop = asyncio.run(scenario())
    assert background_stop == 80 and normal_stop == 95
    assert refusal.retry_after == 60 and "background work waits" in refusal.reason
    # The backfill's refusal did not pause the budget for everyone.
    assert rate.status().pauses == 1


def test_one_budget_per_system_is_shared() -> None:
    budgets = QuotaBudgets()
    first = budgets.governor("salesforce", GovernorPolicy(max_concurrency=4))
    assert budgets.governor("salesforce") is first
    assert budgets.governor("netsuite", GovernorPolicy(max_concurrency=2)) is not first
    assert [s.system for s in budgets.status()] == ["netsuite", "salesforce"]
