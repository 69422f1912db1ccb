"""Replay never redoes an effect already done."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from concord.testing.mirror_flow import generate_changes
from support.engine import make_engine


def test_replaying_completed_work_changes_nothing_at_the_target(store_url: str) -> None:
    feed = generate_changes(200, records=40)
    concord, connector = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    effects, calls = len(connector.ledger.effects()), len(connector.ledger.calls())
    with concord.store.transaction() as tx:
        instance = tx.instances.list(limit=1)[0]

    one = concord.replayer.event(instance.trigger_event_id, "ops")
    assert (one.events, one.started, one.already_done) == (1, 0, 1)
    now = datetime.now(UTC)
    everything = concord.replayer.time_range(now - timedelta(days=1), now + timedelta(days=1), "ops")
    assert (everything.events, everything.started, everything.already_done) == (200, 0, 200)
    again = concord.replayer.instance(instance.instance_id, "ops")
    assert again.requeued == 0 and again.already_done == 1
    asyncio.run(concord.worker.run(until_idle=True))

    assert (len(connector.ledger.effects()), len(connector.ledger.calls())) == (effects, calls)
    with concord.store.transaction() as tx:
        assert [e["action"] for e in tx.audit.entries()] == [
            "replay.instance",
            "replay.range",
            "replay.event",
        ]
        assert tx.audit.verify().ok
    concord.close()


def test_replay_starts_a_flow_that_never_ran_for_an_event(store_url: str) -> None:
    feed = generate_changes(30, records=30)
    concord, connector = make_engine(store_url, feed, flows=())  # recorded, but no flow subscribed yet
    asyncio.run(concord.worker.run(until_idle=True))
    assert connector.ledger.effects() == []
    concord.close()

    concord, _ = make_engine(store_url, feed, connector=connector)  # the mirror flow is switched on
    now = datetime.now(UTC)
    report = concord.replayer.time_range(now - timedelta(hours=1), now + timedelta(hours=1), "ops")
    assert (report.events, report.started) == (30, 30)
    asyncio.run(concord.worker.run(until_idle=True))
    assert len(connector.ledger.effects()) == 60
    concord.close()
