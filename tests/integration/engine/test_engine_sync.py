"""The engine end to end with the test connector, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from concord.testing.mirror_flow import generate_changes
from support.engine import assert_exactly_once, effects_by, make_engine


def test_every_change_takes_effect_once_in_order(store_url: str) -> None:
    feed = generate_changes(600, records=60, seed=3)
    concord, connector = make_engine(store_url, feed)
    progress = asyncio.run(concord.worker.run(until_idle=True))
    assert progress.recorded == 600
    assert_exactly_once(connector.ledger.effects(), feed)
    with concord.store.transaction() as tx:
        assert tx.instances.count_by_status() == {"completed": 600}
        assert tx.outbox.count_by_status() == {"done": 1200}
    concord.close()


def test_confirm_carries_the_result_of_push(store_url: str) -> None:
    feed = generate_changes(20, records=5)
    concord, connector = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    confirms = effects_by(connector.ledger.effects(), "confirm")
    assert {e.payload["target_id"] for e in confirms} == {f"T-{c.payload['key']}" for c in feed}
    concord.close()


def test_detecting_the_same_changes_again_records_nothing_new(store_url: str) -> None:
    feed = generate_changes(100, records=10)
    concord, connector = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    # The source replays its whole history (as after a cursor reset): the inbox drops all of it.
    summary = concord.recorder.record("test", "TestRecord", feed, "100")
    assert (summary.recorded, summary.duplicates) == (0, 100)
    asyncio.run(concord.worker.run(until_idle=True))
    assert len(connector.ledger.effects()) == 200
    concord.close()


def test_events_and_commands_carry_the_correlation_of_the_change(store_url: str) -> None:
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    feed = [replace(c, traceparent=trace) for c in generate_changes(3, records=1)]
    concord, _ = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        instance = tx.instances.list(limit=1)[0]
        event = tx.events.get(instance.trigger_event_id)
        commands = tx.outbox.for_instance(instance.instance_id)
    assert event is not None and event.traceparent == trace
    assert instance.traceparent.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert {c["traceparent"].split("-")[1] for c in commands} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert len({c["traceparent"].split("-")[2] for c in commands}) == len(commands)  # one span per hop
    concord.close()
