"""Outbox heads: the claim reads one head per ordering key, and the heads follow every change of the commands.

The head of a key must always be its earliest unsettled (pending or in flight) command: a head that is
missing strands the key's commands, one that is wrong lets a command pass an earlier one.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from concord.domain.ids import new_id
from concord.engine.model import ClaimedCommand, NewCommand, Retry
from concord.storage.sql.bulk import converter
from concord.storage.sql.database import migrate, open_engine
from concord.storage.sql.outbox import Outbox, _claim_sql
from concord.storage.sql.rows import placeholders, plan_as_probes
from concord.storage.sql.store import SqlStore
from concord.storage.sql.tables import commands, outbox_heads

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def command(key: str, n: int) -> NewCommand:
    return NewCommand(
        command_id=new_id(),
        idempotency_key=f"{key}/{n}",
        instance_id=None,
        step="push",
        kind="forward",
        target="test",
        action="upsert",
        object_type="TestRecord",
        ordering_key=key,
        payload={"n": n},
        traceparent=TRACE,
        created_at=NOW,
    )


def heads(store: SqlStore) -> dict[str, int]:
    with store.transaction() as tx:
        return {key: seq for key, seq in tx.conn.execute(select(outbox_heads))}


def earliest_unsettled(store: SqlStore) -> dict[str, int]:
    with store.transaction() as tx:
        rows = tx.conn.execute(
            select(commands.c.ordering_key, commands.c.seq)
            .where(commands.c.status.in_(["pending", "in_flight"]))
            .order_by(commands.c.seq)
        )
        first: dict[str, int] = {}
        for key, seq in rows:
            first.setdefault(key, seq)
        return first


def claim(store: SqlStore, limit: int = 100, at: datetime = NOW) -> list[ClaimedCommand]:
    with store.transaction() as tx:
        return tx.outbox.claim("w1", at, limit, 60)


def test_heads_follow_adds_claims_settles_failures_and_requeues(store_url: str) -> None:
    store = SqlStore.open(store_url)
    with store.transaction() as tx:
        tx.outbox.add_many([command("a", 1), command("b", 1), command("a", 2), command("a", 3)])
    assert heads(store) == earliest_unsettled(store)
    assert set(heads(store)) == {"a", "b"}

    first = claim(store)
    assert [(c.ordering_key, c.payload["n"]) for c in first] == [("a", 1), ("b", 1)]  # one per key, in order
    assert claim(store) == []  # the rest wait behind what is in flight
    assert heads(store) == earliest_unsettled(store)

    a1, b1 = first
    with store.transaction() as tx:
        tx.outbox.settle_done([(a1, {"ok": True})], NOW)
        tx.outbox.settle_failed([(b1, "refused")], NOW)
    assert heads(store) == earliest_unsettled(store)
    assert "b" not in heads(store)  # nothing of b is unsettled: no head

    a2 = claim(store)
    assert [(c.ordering_key, c.payload["n"]) for c in a2] == [("a", 2)]
    with store.transaction() as tx:  # a transient failure: a2 stays the head, due later
        tx.outbox.settle_retry([Retry(a2[0].command_id, NOW + timedelta(seconds=30), "503", 1)])
    assert claim(store) == []
    assert [c.payload["n"] for c in claim(store, at=NOW + timedelta(seconds=31))] == [2]

    with store.transaction() as tx:
        tx.outbox.requeue(b1.command_id, NOW)
    assert heads(store) == earliest_unsettled(store)
    assert heads(store)["b"] == b1.seq
    assert [(c.ordering_key, c.payload["n"]) for c in claim(store)] == [("b", 1)]


def test_a_transaction_that_raises_leaves_the_heads_as_they_were(store_url: str) -> None:
    store = SqlStore.open(store_url)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.outbox.add_many([command("a", 1)])
        raise RuntimeError("crash before commit")
    assert heads(store) == {}
    assert claim(store) == []


def test_the_migration_gives_existing_commands_their_heads(store_url: str) -> None:
    engine = open_engine(store_url)
    migrate(engine, "0002")
    rows = [_row(command("a", n)) for n in (1, 2)]
    rows += [_row(command("b", 1), status="done"), _row(command("c", 1), status="in_flight")]
    with engine.begin() as conn:
        conn.execute(insert(commands), rows)
    migrate(engine)
    engine.dispose()
    store = SqlStore.open(store_url)
    assert heads(store) == earliest_unsettled(store)
    assert set(heads(store)) == {"a", "c"}


def _row(new: NewCommand, status: str = "pending") -> dict[str, object]:
    return {
        "command_id": new.command_id,
        "idempotency_key": new.idempotency_key,
        "instance_id": None,
        "step": new.step,
        "kind": new.kind,
        "target": new.target,
        "action": new.action,
        "object_type": new.object_type,
        "ordering_key": new.ordering_key,
        "payload": new.payload,
        "status": status,
        "attempts": 0,
        "next_attempt_at": NOW,
        "traceparent": TRACE,
        "created_at": NOW,
    }


@pytest.mark.parametrize("first", ["settle", "add"])
def test_concurrent_settle_and_add_on_one_key_leave_the_right_head(store_url: str, first: str) -> None:
    """PostgreSQL: a worker settles a key's head while a dispatcher adds a command of the same key.

    Whichever refreshes the heads first holds their row lock until it commits; the other then recomputes
    from what is committed, so the new command is the head either way.
    """
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    store = SqlStore.open(store_url)
    with store.transaction() as tx:
        tx.outbox.add_many([command("k", 1)])
    (head,) = claim(store)

    def settle(conn_ready: threading.Event, go: threading.Event) -> None:
        with store.engine.begin() as conn:
            outbox = Outbox(conn)
            outbox.settle_done([(head, {})], NOW)
            outbox.heads.refresh()
            conn_ready.set()
            go.wait(10)

    def add(conn_ready: threading.Event, go: threading.Event) -> None:
        with store.engine.begin() as conn:
            outbox = Outbox(conn)
            outbox.add_many([command("k", 2)])
            outbox.heads.refresh()
            conn_ready.set()
            go.wait(10)

    holder, waiter = (settle, add) if first == "settle" else (add, settle)
    held, release, waited = threading.Event(), threading.Event(), threading.Event()
    go_now = threading.Event()
    go_now.set()
    one = threading.Thread(target=holder, args=(held, release))
    two = threading.Thread(target=waiter, args=(waited, go_now))
    one.start()
    assert held.wait(10)
    two.start()
    assert not waited.wait(0.5)  # blocked on the head row the first one holds
    release.set()
    one.join(10)
    two.join(10)
    assert waited.is_set()
    assert heads(store) == earliest_unsettled(store)
    assert [c.payload["n"] for c in claim(store)] == [2]


def test_an_expired_lease_being_settled_is_left_to_its_worker(store_url: str) -> None:
    """PostgreSQL: a claim does not wait for (nor take) a command whose late worker is settling it now.

    Waiting there, while holding the leases it had just expired, is how a claim and a settle deadlock.
    """
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    store = SqlStore.open(store_url)
    with store.transaction() as tx:
        tx.outbox.add_many([command("late", 1), command("other", 1)])
    with store.transaction() as tx:
        (late,) = [c for c in tx.outbox.claim("w1", NOW, 100, 60) if c.ordering_key == "late"]
    later = NOW + timedelta(seconds=120)  # w1's lease has run out
    with store.engine.begin() as settling:
        outbox = Outbox(settling)
        assert outbox.still_mine("w1", [late.seq]) == {late.seq}  # w1 holds its row
        claimed: list[ClaimedCommand] = []
        claimer = threading.Thread(target=lambda: claimed.extend(claim_as(store, "w2", later)))
        claimer.start()
        claimer.join(5)
        assert not claimer.is_alive()  # did not wait for w1
        # The expired "late" is left to w1; "other"'s lease ran out too and nobody holds it: w2 takes it.
        assert [c.ordering_key for c in claimed] == ["other"]
        outbox.settle_done([(late, {})], later)
        outbox.heads.refresh()
    assert heads(store) == earliest_unsettled(store) == {"other": claimed[0].seq}


def claim_as(store: SqlStore, worker: str, at: datetime) -> list[ClaimedCommand]:
    with store.transaction() as tx:
        return tx.outbox.claim(worker, at, 100, 60)


def test_a_claim_reads_as_much_however_long_the_queues_behind_the_heads(store_url: str) -> None:
    """PostgreSQL: each head is one index probe, not a scan of every unsettled command.

    Keyed by ``seq`` alone, the lookup ran over the whole partial index of unsettled commands per head,
    so a claim's cost grew with the backlog times the number of keys (the engine ran at a third of its
    speed once a few thousand commands waited).
    """
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite looks commands up by rowid")

    def blocks_read_by_a_claim_that_finds_nothing(behind_each_head: int) -> int:
        store = SqlStore.open(store_url)
        with store.transaction() as tx:
            tx.conn.execute(commands.delete())
            tx.conn.execute(outbox_heads.delete())
            keys = [f"key-{k}" for k in range(60)]
            tx.outbox.add_many([command(key, n) for n in range(behind_each_head + 1) for key in keys])
        assert len(claim(store, limit=1000)) == 60  # every head in flight: the next claim finds nothing
        with store.transaction() as tx:
            plan_as_probes(tx.conn)
            at = converter(commands, "next_attempt_at", "postgresql")
            explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + _claim_sql("postgresql", 0)
            sql = placeholders(tx.conn, explain)
            (plan,) = tx.conn.exec_driver_sql(sql, (at(NOW), 1000, "w2", at(NOW))).one()
            tx.conn.rollback()
        store.close()
        return int(plan[0]["Plan"]["Shared Hit Blocks"])

    short, long = blocks_read_by_a_claim_that_finds_nothing(2), blocks_read_by_a_claim_that_finds_nothing(60)
    assert long <= short * 1.5, (short, long)
