"""The emulator clock, directly and through the admin API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sandbox_core_tiny import Tiny

from concord.sandbox.core import Clock, ClockError, DocStore


def test_clock_runs_in_real_time_by_default() -> None:
    clock = Clock()

    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)
    assert clock.now().tzinfo is UTC


def test_set_keeps_running_and_advance_moves_forward() -> None:
    clock = Clock()
    target = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)

    clock.set(target)
    assert target <= clock.now() < target + timedelta(seconds=1)
    clock.advance(timedelta(days=2))
    assert target + timedelta(days=2) <= clock.now() < target + timedelta(days=2, seconds=1)
    clock.reset()
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_frozen_clock_stands_still_until_advanced() -> None:
    clock = Clock()
    target = datetime(2025, 1, 31, 23, 59, tzinfo=UTC)

    clock.set(target, frozen=True)
    assert clock.now() == target == clock.now()
    assert clock.advance(60) == datetime(2025, 2, 1, 0, 0, tzinfo=UTC)
    assert clock.frozen


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ClockError, match="timezone"):
        Clock().set(datetime(2025, 1, 1))


def test_admin_clock_set_advance_and_reset(tiny: Tiny) -> None:
    put = tiny.client.put("/__sandbox/clock", json={"now": "2025-03-01T09:00:00Z", "frozen": True})
    assert put.status_code == 200
    assert put.json() == {
        "now": "2025-03-01T09:00:00+00:00",
        "frozen": True,
        "offset_s": put.json()["offset_s"],
    }

    advanced = tiny.client.put("/__sandbox/clock", json={"advance_s": 86400}).json()
    assert advanced["now"] == "2025-03-02T09:00:00+00:00"
    assert tiny.client.get("/__sandbox/clock").json()["now"] == "2025-03-02T09:00:00+00:00"

    reset = tiny.client.put("/__sandbox/clock", json={"reset": True}).json()
    assert reset["frozen"] is False
    assert abs(datetime.fromisoformat(reset["now"]) - datetime.now(UTC)) < timedelta(seconds=5)


def test_admin_clock_refuses_naive_time(tiny: Tiny) -> None:
    response = tiny.client.put("/__sandbox/clock", json={"now": "2025-03-01T09:00:00"})

    assert response.status_code == 400
    assert "timezone" in response.json()["detail"]


def test_records_written_through_http_carry_emulator_time(tiny: Tiny) -> None:
    tiny.client.put("/__sandbox/clock", json={"now": "2031-07-04T00:00:00Z", "frozen": True})

    created = tiny.client.post("/tiny/items", json={"code": "c-1"}).json()
    doc = tiny.state.store.get("items", created["id"])

    assert doc is not None
    assert doc.modified_at == datetime(2031, 7, 4, tzinfo=UTC)
    assert tiny.state.requests.query()[-1].at == datetime(2031, 7, 4, tzinfo=UTC)


def test_store_uses_the_clock_it_is_given() -> None:
    clock = Clock()
    clock.set(datetime(2024, 2, 29, tzinfo=UTC), frozen=True)
    store = DocStore(clock=clock)
    store.define("things")

    assert store.insert("things", {}).created_at == datetime(2024, 2, 29, tzinfo=UTC)
