"""Permanent rejections, malformed input and the exception queue's actions."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from concord.domain.messages import CommandEnvelope
from concord.engine.errors import Conflict
from concord.testing.connector import Behaviour
from concord.testing.mirror_flow import generate_changes
from support.engine import effects_by, make_engine


def _reject_confirm_of(key: str) -> Behaviour:
    def rule(command: CommandEnvelope) -> str | None:
        if command.action == "confirm" and command.payload["key"] == key:
            return f"account {key} is on credit hold"
        return None

    return Behaviour(reject=rule)


def test_permanent_rejection_compensates_and_retry_completes_once(store_url: str) -> None:
    feed = generate_changes(1, records=1)
    key = feed[0].payload["key"]
    concord, connector = make_engine(store_url, feed, _reject_confirm_of(key))
    asyncio.run(concord.worker.run(until_idle=True))

    with concord.store.transaction() as tx:
        [exception] = tx.exceptions.list()
        [instance] = tx.instances.list()
    assert instance.status == "compensated"
    assert exception["category"] == "target_rejected" and exception["status"] == "open"
    assert exception["message"] == (
        f"Test record {key} v1 was not completed: test refused step 'confirm': "
        f"account {key} is on credit hold. Concord is undoing the steps already done (push)."
    )
    assert [e.action for e in connector.ledger.effects()] == ["upsert", "withdraw"]

    connector.behaviour.reject = None  # the cause is fixed at the target
    outcome = concord.exceptions.retry(exception["exception_id"], "ana")
    assert "started again" in outcome
    asyncio.run(concord.worker.run(until_idle=True))

    effects = connector.ledger.effects()
    assert [e.action for e in effects] == ["upsert", "withdraw", "upsert", "confirm"]
    assert len(effects_by(effects, "confirm")) == 1
    with concord.store.transaction() as tx:
        [exception] = tx.exceptions.list()
        [instance] = tx.instances.list()
        audit = tx.audit.entries()
    assert instance.status == "completed" and instance.generation == 2
    assert exception["status"] == "resolved" and exception["acted_by"] == "concord"
    assert "later synced successfully" in exception["resolution"]
    assert audit[0]["actor"] == "ana" and audit[0]["action"] == "exception.retry"
    concord.close()


def test_rejection_with_nothing_to_undo_pauses_and_retry_resends_the_same_command(store_url: str) -> None:
    feed = generate_changes(1, records=1)
    fixed = False

    def reject_push(command: CommandEnvelope) -> str | None:
        return None if fixed else "the accounting period is closed"

    concord, connector = make_engine(store_url, feed, Behaviour(reject=reject_push))
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        [exception] = tx.exceptions.list()
        [instance] = tx.instances.list()
    assert instance.status == "failed"
    assert exception["message"].endswith(
        "the accounting period is closed. The flow is paused at this step until the cause is fixed and the "
        "exception retried."
    )
    assert connector.ledger.effects() == []

    fixed = True
    assert "queued again" in concord.exceptions.retry(exception["exception_id"], "ana")
    asyncio.run(concord.worker.run(until_idle=True))
    effects = connector.ledger.effects()
    assert [e.action for e in effects] == ["upsert", "confirm"]
    assert effects[0].idempotency_key.endswith("/g1/push/forward/0")  # same key as the refused call
    concord.close()


def test_invalid_change_becomes_an_exception_and_the_rest_flows(store_url: str) -> None:
    feed = generate_changes(50, records=50, invalid_every=10)  # 5 malformed amounts, all different records
    concord, connector = make_engine(store_url, feed)
    progress = asyncio.run(concord.worker.run(until_idle=True))
    assert (progress.recorded, progress.rejected) == (45, 5)
    assert len(effects_by(connector.ledger.effects(), "confirm")) == 45
    with concord.store.transaction() as tx:
        rows = tx.exceptions.list()
    assert len(rows) == 5 and {r["category"] for r in rows} == {"validation"}
    assert all("amount: Input should be a valid decimal" in r["message"] for r in rows)
    assert all(r["team"] == "it" for r in rows)  # TestRecord belongs to no business team

    # Retrying without a fix is refused with the reason; nothing is lost.
    with pytest.raises(Conflict, match="still fails validation"):
        concord.exceptions.retry(rows[0]["exception_id"], "ana")
    concord.close()


def test_a_later_valid_version_closes_the_older_validation_exception(store_url: str) -> None:
    feed = generate_changes(2, records=1, invalid_every=2)  # v2 of the record is malformed
    concord, connector = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        [row] = tx.exceptions.list()
    assert row["status"] == "open"

    bad = feed[1]
    fixed = replace(bad, payload={**bad.payload, "version": 3, "amount": "1.00"}, version="3")
    connector.feed = [*feed, fixed]  # the record is corrected in the source system
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        [row] = tx.exceptions.list()
    assert row["status"] == "resolved" and row["acted_by"] == "concord"
    assert row["resolution"] == (
        "Resolved automatically: a later version of TestRecord R00000 from test passed validation."
    )
    concord.close()


def test_command_the_connector_cannot_encode_becomes_a_mapping_exception(store_url: str) -> None:
    feed = generate_changes(10, records=10)
    feed[4] = replace(feed[4], payload={**feed[4].payload, "value": "bad\x07bell"})
    concord, connector = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        [row] = tx.exceptions.list()
        statuses = tx.instances.count_by_status()
    assert row["category"] == "mapping" and row["team"] == "it"
    assert "control character" in row["message"]
    assert statuses == {"completed": 9, "failed": 1}
    assert len(effects_by(connector.ledger.effects(), "confirm")) == 9
    concord.close()


def test_resolve_and_ignore_need_a_note_and_are_audited(store_url: str) -> None:
    feed = generate_changes(20, records=100_000, invalid_every=10)
    concord, _ = make_engine(store_url, feed)
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        first, second = (r["exception_id"] for r in tx.exceptions.list())
    with pytest.raises(Conflict, match="note is required"):
        concord.exceptions.resolve(first, "ana", " ")
    concord.exceptions.resolve(first, "ana", "fixed in the source by hand")
    concord.exceptions.ignore(second, "bo", "test data")
    with pytest.raises(Conflict, match="already resolved"):
        concord.exceptions.ignore(first, "bo", "again")
    with concord.store.transaction() as tx:
        statuses = {r["exception_id"]: (r["status"], r["acted_by"]) for r in tx.exceptions.list()}
        assert tx.audit.verify().ok
        actions = [e["action"] for e in tx.audit.entries()]
    assert statuses == {first: ("resolved", "ana"), second: ("ignored", "bo")}
    assert actions == ["exception.ignore", "exception.resolve"]
    concord.close()
