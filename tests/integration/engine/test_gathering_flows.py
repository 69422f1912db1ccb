"""Gathering flows: many records per instance, run once their inputs settle, again when a newer input
arrives; findings about single records open one exception each, closed when the record later passes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from concord.domain.messages import Change, CommandSpec, Event
from concord.engine.flows import BusinessRef, Flow, Gathering, Report, Step, StepContext
from concord.engine.model import Category
from concord.storage.sql.tables import gathered_records
from concord.testing.ledger import Effect
from concord.testing.mirror_flow import OBJECT, SYSTEM
from support.engine import make_engine

START = datetime(2026, 3, 2, tzinfo=UTC)


def _group(key: str) -> str:
    return f"G{int(key[1:]) % 3}"


def _total(ctx: StepContext) -> Sequence[CommandSpec]:
    # One upsert per run: the sum of the good records' amounts; a record whose value says "bad" is held.
    good = []
    for record in ctx.inputs:
        business = BusinessRef(OBJECT, f"{OBJECT}:{record['key']}", f"Test record {record['key']}")
        at = datetime.fromisoformat(record["value"].split("@")[1])
        if record["value"].startswith("bad"):
            ctx.report(Report(business, Category.VALIDATION.value, f"{record['key']} is bad", "", at))
        else:
            good.append(record)
            ctx.settle(business.key, at)
    if not good:
        return []
    held = ",".join(sorted(f"{r['key']}v{r['version']}" for r in good))
    amount = sum((Decimal(r["amount"]) for r in good), Decimal(0))
    payload = {"key": ctx.flow_key, "version": ctx.generation, "value": held, "amount": str(amount)}
    return [CommandSpec(SYSTEM, "upsert", OBJECT, payload)]


def _business(event: Event) -> BusinessRef:
    group = _group(event.payload["key"])
    return BusinessRef("TestGroup", f"TestGroup:{group}", f"Test group {group}")


GATHERING = Flow(
    name="gather_totals",
    triggers=frozenset({f"{OBJECT}Changed"}),
    steps=(Step("total", _total),),
    key=lambda event: _group(event.payload["key"]),
    business=_business,
    gather=Gathering(quiet_s=0.05, max_wait_s=1.0),
)


def _change(key: str, version: int, amount: str, *, bad: bool = False, at: int = 0) -> Change:
    moment = START + timedelta(seconds=at)
    value = f"{'bad' if bad else 'ok'}@{moment.isoformat()}"
    payload = {"key": key, "version": version, "value": value, "amount": amount}
    return Change(SYSTEM, OBJECT, key, payload, moment, version=str(version))


def _upserts(effects: Sequence[Effect]) -> dict[str, list[dict[str, object]]]:
    by_group: dict[str, list[dict[str, object]]] = {}
    for effect in effects:
        if effect.action == "upsert":
            by_group.setdefault(str(effect.payload["key"]), []).append(effect.payload)
    return by_group


def _run(concord: object) -> None:
    asyncio.run(concord.worker.run(until_idle=True))  # type: ignore[attr-defined]


def test_a_burst_of_records_is_acted_on_once_per_group_with_the_newest_versions(store_url: str) -> None:
    feed = [_change(f"R{n:03d}", 1, "1.00", at=n) for n in range(30)]
    feed += [_change(f"R{n:03d}", 2, "2.50", at=100 + n) for n in range(0, 30, 5)]
    concord, connector = make_engine(store_url, feed, flows=(GATHERING,))
    _run(concord)
    upserts = _upserts(connector.ledger.effects())
    assert sorted(upserts) == ["G0", "G1", "G2"]
    assert all(len(runs) == 1 for runs in upserts.values()), "a settled burst runs each group once"
    # 30 records, 6 of them at version 2 (2.50 instead of 1.00): 24 x 1.00 + 6 x 2.50.
    assert sum(Decimal(str(runs[0]["amount"])) for runs in upserts.values()) == Decimal("39.00")
    assert "R005v2" in str(upserts["G2"][0]["value"]) and "R005v1" not in str(upserts["G2"][0]["value"])
    with concord.store.transaction() as tx:
        assert tx.instances.count_by_status() == {"completed": 3}
    concord.close()


def test_a_newer_input_after_completion_runs_the_group_again_and_a_replay_does_not(store_url: str) -> None:
    feed = [_change(f"R{n:03d}", 1, "1.00", at=n) for n in range(6)]
    concord, connector = make_engine(store_url, list(feed), flows=(GATHERING,))
    _run(concord)
    assert len(_upserts(connector.ledger.effects())["G1"]) == 1
    connector.feed = [*feed, _change("R004", 2, "5.00", at=50)]  # R004 is in G1
    _run(concord)
    g1 = _upserts(connector.ledger.effects())["G1"]
    assert len(g1) == 2 and g1[1]["amount"] == "6.00" and g1[1]["version"] == 2
    assert len(_upserts(connector.ledger.effects())["G0"]) == 1, "groups without news stay put"
    # The same events dispatched again (a replay) bring nothing new: nobody runs again.
    far = datetime(2100, 1, 1, tzinfo=UTC)
    report = concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), far, "tester")
    assert (report.events, report.started, report.already_done) == (7, 0, 7)
    _run(concord)
    assert len(_upserts(connector.ledger.effects())["G1"]) == 2
    concord.close()


def test_a_held_record_opens_one_exception_across_runs_and_closes_when_fixed(store_url: str) -> None:
    feed = [_change("R001", 1, "1.00", bad=True, at=1), _change("R004", 1, "1.00", at=2)]
    concord, connector = make_engine(store_url, list(feed), flows=(GATHERING,))
    _run(concord)
    connector.feed = [*feed, _change("R007", 1, "3.00", at=3)]  # G1 runs again; R001 still bad
    _run(concord)
    with concord.store.transaction() as tx:
        held = [e for e in tx.exceptions.list() if e["business_key"] == f"{OBJECT}:R001"]
    assert [(e["status"], e["message"]) for e in held] == [("open", "R001 is bad")]
    connector.feed = [*connector.feed, replace(_change("R001", 2, "2.00", at=9))]
    _run(concord)
    with concord.store.transaction() as tx:
        held = [e for e in tx.exceptions.list() if e["business_key"] == f"{OBJECT}:R001"]
    assert [e["status"] for e in held] == ["resolved"]
    assert _upserts(connector.ledger.effects())["G1"][-1]["amount"] == "6.00"
    concord.close()


def test_a_replay_keeps_the_newest_of_versions_stamped_alike(store_url: str) -> None:
    # A platform stamps by the second (or a frozen clock): two versions of R001 share one stamp, and the
    # event log's order says which is newer; replaying the older one must not bring it back.
    feed = [_change("R001", 1, "1.00", at=5), _change("R001", 2, "7.00", at=5)]
    concord, connector = make_engine(store_url, feed, flows=(GATHERING,))
    _run(concord)
    assert _upserts(connector.ledger.effects())["G1"][-1]["amount"] == "7.00"
    report = concord.replayer.time_range(
        datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), "t"
    )
    assert (report.events, report.started) == (2, 0)
    _run(concord)
    assert [u["amount"] for u in _upserts(connector.ledger.effects())["G1"]] == ["7.00"]
    concord.close()


def _group_total(ctx: StepContext) -> Sequence[CommandSpec]:
    # The group's total, even of nothing: a group a record left says so (a posting reversed, in real flows).
    amount = sum((Decimal(r["amount"]) for r in ctx.inputs), Decimal(0))
    payload = {"key": ctx.flow_key, "version": ctx.generation, "amount": str(amount)}
    return [CommandSpec(SYSTEM, "upsert", OBJECT, payload)]


BY_FIELD = Flow(
    name="gather_by_group_field",
    triggers=frozenset({f"{OBJECT}Changed"}),
    steps=(Step("total", _group_total),),
    key=lambda event: str(event.payload["value"]).split("@")[0],
    business=lambda event: BusinessRef("TestGroup", f"TestGroup:{event.payload['value']}", "a group"),
    gather=Gathering(quiet_s=0.05, max_wait_s=1.0),
)


def _in_group(key: str, version: int, group: str, amount: str, at: int) -> Change:
    change = _change(key, version, amount, at=at)
    moment = (START + timedelta(seconds=at)).isoformat()
    return replace(change, payload={**change.payload, "value": f"{group}@{moment}"})


def _latest_totals(effects: Sequence[Effect]) -> dict[str, str]:
    return {group: str(runs[-1]["amount"]) for group, runs in _upserts(effects).items()}


def test_a_record_that_moves_to_another_group_leaves_the_one_that_held_it(store_url: str) -> None:
    """An entry re-dated into another month belongs to another instance: the old one runs again without it
    (undoing what it did for it), the new one takes it; counted once, whatever replays or arrives late."""
    feed = [
        _in_group("R001", 1, "A", "1.00", at=1),
        _in_group("R002", 1, "A", "2.00", at=2),
        _in_group("R003", 1, "B", "4.00", at=3),
    ]
    concord, connector = make_engine(store_url, list(feed), flows=(BY_FIELD,))
    _run(concord)
    assert _latest_totals(connector.ledger.effects()) == {"A": "3.00", "B": "4.00"}

    connector.feed = feed = [*feed, _in_group("R001", 2, "B", "1.00", at=10)]
    _run(concord)
    assert _latest_totals(connector.ledger.effects()) == {"A": "2.00", "B": "5.00"}

    runs = len(connector.ledger.effects())
    far = datetime(2100, 1, 1, tzinfo=UTC)
    report = concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), far, "tester")
    assert (report.events, report.started, report.already_done) == (4, 0, 4)
    _run(concord)
    assert len(connector.ledger.effects()) == runs, "a replay moves nothing back"

    connector.feed = [*feed, _in_group("R001", 3, "A", "1.50", at=20)]
    _run(concord)
    assert _latest_totals(connector.ledger.effects()) == {"A": "3.50", "B": "4.00"}
    with concord.store.transaction() as tx:
        holders = sorted(tx.conn.execute(select(gathered_records.c.instance_id)).scalars())
    assert holders == [BY_FIELD.instance_id(group) for group in ("A", "A", "B")]
    concord.close()


class _BusinessClock:
    """The platforms' clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


PERIOD_END = START + timedelta(days=7)


def _total_then_wait_for_the_period(ctx: StepContext) -> Sequence[CommandSpec]:
    # Like a billing run: act on what is there, and ask to run again when the period ends.
    ctx.run_again_at(PERIOD_END)
    amount = sum((Decimal(r["amount"]) for r in ctx.inputs), Decimal(0))
    payload = {"key": ctx.flow_key, "version": ctx.generation, "amount": str(amount)}
    return [CommandSpec(SYSTEM, "upsert", OBJECT, payload)]


SCHEDULED = Flow(
    name="gather_until_period_end",
    triggers=frozenset({f"{OBJECT}Changed"}),
    steps=(Step("total", _total_then_wait_for_the_period),),
    key=lambda event: "all",
    business=lambda event: BusinessRef("TestGroup", "TestGroup:all", "everything"),
    gather=Gathering(quiet_s=0.05, max_wait_s=1.0),
)


def test_a_step_can_ask_its_instance_to_run_again_when_the_business_clock_reaches_a_moment(
    store_url: str,
) -> None:
    clock = _BusinessClock(START)
    feed = [_change("R001", 1, "1.00", at=1), _change("R002", 1, "2.00", at=2)]
    concord, connector = make_engine(store_url, feed, flows=(SCHEDULED,), business_clock=clock)
    _run(concord)  # idle does not wait for a run scheduled a week ahead
    assert [u["version"] for u in _upserts(connector.ledger.effects())["all"]] == [1]
    with concord.store.transaction() as tx:
        (instance,) = tx.instances.list()
    assert instance.status.value == "completed" and instance.wake_at == PERIOD_END

    _run(concord)  # the business clock has not moved: nothing runs
    assert len(_upserts(connector.ledger.effects())["all"]) == 1

    clock.moment = PERIOD_END
    asyncio.run(concord.worker.dispatch_once())  # the period ended: the instance runs again, unchanged
    _run(concord)
    runs = _upserts(connector.ledger.effects())["all"]
    assert [(u["version"], u["amount"]) for u in runs] == [(1, "3.00"), (2, "3.00")]
    with concord.store.transaction() as tx:
        (instance,) = tx.instances.list()
    assert instance.wake_at is None, "a moment already past is not asked for again (it would loop)"
    concord.close()
