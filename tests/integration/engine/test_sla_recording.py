"""Business SLAs: flows time their intervals as they run, the watch reports each breach once as an event,
exception resolution is timed from the queue; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from concord.cli.main import app
from concord.domain.messages import Change, CommandSpec, Event
from concord.domain.sla import SlaMeasure
from concord.engine.flows import BusinessRef, Flow, Step, StepContext
from concord.engine.model import Category, ExceptionDraft, SlaTiming
from concord.engine.sla_watch import BREACH_EVENT, SlaWatch
from concord.storage.sql.store import SqlStore
from concord.testing.mirror_flow import OBJECT, SYSTEM
from support.engine import make_engine

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
MEASURE = SlaMeasure.OPPORTUNITY_TO_PROJECT


def _subject(event_or_key: str) -> BusinessRef:
    return BusinessRef(OBJECT, f"{OBJECT}:{event_or_key}", f"record {event_or_key}")


def _push(ctx: StepContext) -> Sequence[CommandSpec]:
    return [CommandSpec(SYSTEM, "upsert", OBJECT, dict(ctx.trigger))]


def _done(ctx: StepContext) -> Sequence[CommandSpec]:
    ctx.timed(MEASURE, _subject(ctx.trigger["key"]), ctx.occurred_at)
    return []


TIMED = Flow(
    name="timed_push",
    triggers=frozenset({f"{OBJECT}Changed"}),
    steps=(Step("push", _push), Step("done", _done)),
    key=lambda event: str(event.payload["key"]),
    business=lambda event: _subject(str(event.payload["key"])),
)


def _change(key: str, version: int, at: datetime) -> Change:
    payload = {"key": key, "version": version, "value": f"v{version}", "amount": "1.00"}
    return Change(SYSTEM, OBJECT, key, payload, at, version=str(version))


def _timing(key: str, started: datetime, ended: datetime | None) -> SlaTiming:
    return SlaTiming(MEASURE.value, "Opportunity", f"Opportunity:{key}", f"'{key}'", started, ended, None, "")


def test_a_flow_times_its_interval_from_the_source_change_to_the_step_that_saw_it_done(
    store_url: str,
) -> None:
    moments = [START - timedelta(minutes=5), START - timedelta(minutes=1)]
    feed = [_change("A", 1, moments[0]), _change("B", 1, moments[1])]
    concord, _ = make_engine(store_url, feed, flows=(TIMED,))
    before = datetime.now(UTC)
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        intervals = {i.subject_key: i for i in tx.sla.of_measure(MEASURE.value)}
    assert sorted(intervals) == [f"{OBJECT}:A", f"{OBJECT}:B"]
    for key, started in zip("AB", moments, strict=True):
        interval = intervals[f"{OBJECT}:{key}"]
        assert interval.started_at == started
        assert interval.ended_at is not None and interval.ended_at >= before
        assert interval.label == f"record {key}"
    # A replay of the flow's events times nothing twice and moves no end.
    concord.replayer.time_range(START - timedelta(days=1), datetime.now(UTC) + timedelta(days=1), "ops")
    asyncio.run(concord.worker.run(until_idle=True))
    with concord.store.transaction() as tx:
        again = {i.subject_key: i for i in tx.sla.of_measure(MEASURE.value)}
    assert again == intervals


def test_the_newest_start_restarts_an_interval_and_the_first_end_stands(store_url: str) -> None:
    store = SqlStore.open(store_url)
    try:
        with store.transaction() as tx:
            tx.sla.record([_timing("A", START, None)])
            tx.sla.record([_timing("A", START, START + timedelta(hours=1))])
            tx.sla.record([_timing("A", START, START + timedelta(hours=3))])  # a re-run: first end stands
            tx.sla.record([_timing("A", START - timedelta(hours=1), None)])  # an older start: ignored
        with store.transaction() as tx:
            (held,) = tx.sla.of_measure(MEASURE.value)
        assert (held.started_at, held.ended_at) == (START, START + timedelta(hours=1))
        later = START + timedelta(days=1)
        with store.transaction() as tx:
            tx.sla.record([_timing("A", later, None)])  # approved again after an edit: a new interval
        with store.transaction() as tx:
            (held,) = tx.sla.of_measure(MEASURE.value)
        assert (held.started_at, held.ended_at) == (later, None)
    finally:
        store.close()


def _breach_events(store: SqlStore) -> list[Event]:
    with store.transaction() as tx:
        events = tx.events.recorded_between(START - timedelta(days=30), START + timedelta(days=30), 0, 1000)
    return [e for e in events if e.event_type == BREACH_EVENT]


def test_breaches_are_reported_once_each_late_ones_and_open_ones_already_over_target(store_url: str) -> None:
    store = SqlStore.open(store_url)
    try:
        with store.transaction() as tx:
            tx.sla.record(
                [
                    _timing("on-time", START, START + timedelta(hours=1)),
                    _timing("late", START, START + timedelta(hours=6)),
                    _timing("open-young", START + timedelta(hours=5), None),
                    _timing("open-old", START, None),
                ]
            )
        targets = {MEASURE: timedelta(hours=4)}
        now = START + timedelta(hours=7)
        watch = SlaWatch(store, targets, partitions=8)
        notices = watch.check(now)
        assert sorted(n.subject_key for n in notices) == ["Opportunity:late", "Opportunity:open-old"]
        by_key = {n.subject_key: n for n in notices}
        assert by_key["Opportunity:late"].message == (
            "The opportunity-to-project time of Opportunity 'late' took 6 h, over the target of 4 h."
        )
        assert by_key["Opportunity:open-old"].still_open
        assert "has been open for 7 h" in by_key["Opportunity:open-old"].message
        events = _breach_events(store)
        assert sorted(e.payload["subject_key"] for e in events) == [
            "Opportunity:late",
            "Opportunity:open-old",
        ]
        assert all(e.payload["target_s"] == 4 * 3600 for e in events)
        # A second look, or a second worker, reports nothing again; a restarted interval can breach anew.
        assert SlaWatch(store, targets, partitions=8).check(now + timedelta(minutes=1)) == []
        with store.transaction() as tx:
            tx.sla.record([_timing("open-old", START + timedelta(hours=8), None)])
        later = sorted(n.subject_key for n in watch.check(START + timedelta(hours=13)))
        assert later == ["Opportunity:open-old", "Opportunity:open-young"]
        assert len(_breach_events(store)) == 4
    finally:
        store.close()


def test_exception_resolution_is_timed_from_the_queue(store_url: str) -> None:
    feed = [_change("A", 1, START)]
    concord, _ = make_engine(store_url, feed, flows=(TIMED,))
    asyncio.run(concord.worker.run(until_idle=True))
    queue = concord.exceptions
    with concord.store.transaction() as tx:
        drafts = [
            ExceptionDraft(
                category=Category.VALIDATION,
                team="it",
                business_type=OBJECT,
                business_key=f"{OBJECT}:{name}",
                business_label=f"record {name}",
                message=f"{name} is wrong",
                detail="",
                traceparent="",
                observed_at=START,
            )
            for name in ("X", "Y")
        ]
        opened = datetime.now(UTC)
        first, _second = tx.exceptions.open_many(drafts, opened)
    queue.ignore(first, "finance@firm", "known")
    watch = SlaWatch(concord.store, {SlaMeasure.EXCEPTION_RESOLUTION: timedelta(days=2)}, partitions=8)
    notices = watch.check(opened + timedelta(days=3))
    with concord.store.transaction() as tx:
        timed = {i.subject_key: i for i in tx.sla.of_measure(SlaMeasure.EXCEPTION_RESOLUTION.value)}
    assert len(timed) == 2 and timed[first].ended_at is not None
    assert [n.still_open for n in notices] == [True], "only the exception still open is over 2 days"


def test_concord_sla_reports_the_figures_of_the_store(store_url: str) -> None:
    store = SqlStore.open(store_url)
    try:
        with store.transaction() as tx:
            tx.sla.record(
                [
                    _timing("quick", START, START + timedelta(hours=1)),
                    _timing("slow", START, START + timedelta(hours=6)),
                ]
            )
    finally:
        store.close()
    result = CliRunner().invoke(app, ["sla", "--json", "--database", store_url])
    assert result.exit_code == 0, result.output
    figures = {row["measure"]: row for row in json.loads(result.output)}
    deals = figures[MEASURE.value]
    assert (deals["completed"], deals["within_target"], deals["breaches"]) == (2, 1, 1)
    assert (deals["p50_s"], deals["p99_s"]) == (3600.0, 21600.0)
    assert figures[SlaMeasure.APPROVED_TIME_TO_ERP.value]["count"] == 0
    table = CliRunner().invoke(app, ["sla", "--database", store_url])
    assert "opportunity-to-project time" in table.output and "took 6 h" in table.output
