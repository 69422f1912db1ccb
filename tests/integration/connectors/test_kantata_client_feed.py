"""The subscribed-events feed read with a cursor: every event once across restarts, deletions that polls
cannot see, an event listed late caught inside the overlap window, and events as the engine's changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from kantata_client_support import Kantata, entry, run, serve

from concord.connectors.kantata import FeedEvent, KantataClient, events_since
from concord.sandbox.core import RunningServer

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
TIME_EVENTS = ["time_entry:created", "time_entry:updated", "time_entry:deleted"]


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as emulator:
        yield emulator


async def read_feed(kantata: Kantata, cursor: str | None, batch: int) -> tuple[list[FeedEvent], str]:
    """Everything since ``cursor``, ``batch`` events per pass, each pass by a newly started client."""
    events: list[FeedEvent] = []
    while True:
        async with KantataClient(kantata.spec()) as client:
            poll = events_since(client, cursor, event_types=TIME_EVENTS, per_page=40)
            taken = await poll.take(batch)
            events += taken
            cursor = poll.cursor.encode()
            await poll.aclose()
            if not poll.more:
                return events, cursor


def test_the_feed_cursor_hands_out_every_event_once_across_restarts(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    kantata.set_clock(T0)
    ids = kantata.time_entries(workspace_id, 130)  # two bulk creates: 100 and 30 events, one stamp each

    async def scenario() -> None:
        first, cursor = await read_feed(kantata, None, batch=45)
        assert [e.subject_id for e in first] == ids and {e.event_type for e in first} == {TIME_EVENTS[0]}
        kantata.set_clock(T0 + timedelta(seconds=1))
        async with KantataClient(kantata.spec()) as client:
            for rid in ids[:3]:
                await client.update("time_entries", rid, {"notes": f"changed {rid}"})
            for rid in ids[3:5]:
                await client.delete("time_entries", rid)
        second, cursor = await read_feed(kantata, cursor, batch=2)
        assert [(e.action, e.subject_id) for e in second] == [
            *(("updated", rid) for rid in ids[:3]),
            *(("deleted", rid) for rid in ids[3:5]),
        ]
        assert Counter(e.event_id for e in first + second).most_common(1)[0][1] == 1
        assert (await read_feed(kantata, cursor, batch=10))[0] == []

        update, deletion = second[0].to_change("kantata"), second[3].to_change("kantata")
        assert (update.object_type, update.source_id, update.deleted) == ("TimeEntry", ids[0], False)
        assert update.payload["notes"] == f"changed {ids[0]}" and update.changed_at == T0 + timedelta(
            seconds=1
        )
        assert second[0].payload_changes["notes"]["to"] == f"changed {ids[0]}"
        assert (
            deletion.deleted
            and deletion.payload["id"] == ids[3]
            and deletion.event_type == "TimeEntryDeleted"
        )

    run(scenario())


def test_an_event_listed_late_is_caught_inside_the_overlap_window(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    kantata.set_clock(T0)
    kantata.time_entries(workspace_id, 3)

    async def scenario() -> None:
        _, cursor = await read_feed(kantata, None, batch=100)
        kantata.set_clock(T0 - timedelta(minutes=1))  # recorded with an earlier created_at than those read
        async with KantataClient(kantata.spec()) as client:
            late = await client.create("time_entries", entry(workspace_id, 9))
            kantata.set_clock(T0 + timedelta(seconds=5))
            narrow = events_since(client, cursor, timedelta(seconds=30), event_types=TIME_EVENTS)
            assert [e async for e in narrow] == []
            wide = events_since(client, cursor, event_types=TIME_EVENTS)  # the default, five minutes
            caught = [e async for e in wide]
            assert [(e.action, e.subject_id) for e in caught] == [("created", late["id"])]
            assert [e async for e in events_since(client, wide.cursor, event_types=TIME_EVENTS)] == []

    run(scenario())


def test_a_duplicated_event_maps_to_the_same_change_version(kantata: Kantata) -> None:
    """The real feed may list one change twice under two event ids; the inbox dedupes by version."""
    workspace_id = kantata.workspace()
    kantata.time_entries(workspace_id, 1)

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            [event] = [e async for e in events_since(client, None, event_types=TIME_EVENTS)]
            twin = replace(event, event_id=str(int(event.event_id) + 1000))
            assert twin.to_change("kantata").dedupe_key == event.to_change("kantata").dedupe_key

    run(scenario())
