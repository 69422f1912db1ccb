"""The doorbell between a worker's stages: one ring wakes one sleeper, a ring nobody heard is kept."""

from __future__ import annotations

import asyncio

from concord.engine.doorbell import Doorbell


def test_a_ring_wakes_one_sleeper_and_the_other_sleeps_on() -> None:
    async def scenario() -> list[bool]:
        bell = Doorbell()
        first = asyncio.create_task(bell.sleep(0.3))
        second = asyncio.create_task(bell.sleep(0.3))
        await asyncio.sleep(0)  # both asleep
        bell.ring()
        return [await first, await second]

    assert asyncio.run(scenario()) == [True, False]


def test_a_ring_before_anyone_sleeps_is_kept_for_the_next_sleeper_once() -> None:
    async def scenario() -> list[bool]:
        bell = Doorbell()
        bell.ring()
        bell.ring()  # kept once, not counted
        return [await bell.sleep(0.05), await bell.sleep(0.05)]

    assert asyncio.run(scenario()) == [True, False]


def test_a_sleeper_that_timed_out_is_not_woken_later() -> None:
    async def scenario() -> bool:
        bell = Doorbell()
        assert not await bell.sleep(0.01)
        bell.ring()  # nobody asleep now: kept for the next one
        return await bell.sleep(0.05)

    assert asyncio.run(scenario())
