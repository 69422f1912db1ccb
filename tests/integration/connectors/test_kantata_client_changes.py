"""Incremental change detection by polling ``updated_after`` against the emulator, its clock set by the
test: records changed while a poll reads (even ones that make the rest of the list shift across a page
boundary) are neither lost nor repeated, polls stopping inside a shared timestamp resume exactly, a late
commit is caught inside the overlap window, and the cursor survives a restart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from kantata_client_support import Kantata, entry, run, serve

from concord.connectors.kantata import ChangedRecord, KantataClient, StampCursor, changed_since
from concord.sandbox.core import RunningServer

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as emulator:
        yield emulator


def seed_batches(kantata: Kantata, workspace_id: str, batches: int) -> list[str]:
    """``batches`` bulk creates of 100 entries, one second apart: groups of 100 sharing one timestamp."""
    ids: list[str] = []
    for n in range(batches):
        kantata.set_clock(T0 + timedelta(seconds=n))
        ids += kantata.time_entries(workspace_id, 100)
    return ids


async def poll_all(
    client: KantataClient, cursor: str | None, **options: object
) -> tuple[list[ChangedRecord], str]:
    """One complete poll; returns its records and the encoded cursor to store."""
    poll = changed_since(client, "time_entries", cursor, **options)  # type: ignore[arg-type]
    found = [record async for record in poll]
    return found, poll.cursor.encode()


def test_changes_made_during_a_poll_are_neither_lost_nor_repeated(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    ids = seed_batches(kantata, workspace_id, 5)
    read_early, being_paged, not_read_yet = ids[:5], ids[100:110], ids[300:305]

    async def change_mid_poll(client: KantataClient) -> list[str]:
        kantata.set_clock(T0 + timedelta(hours=1))
        for rid in [*read_early, *being_paged, *not_read_yet]:
            await client.update("time_entries", rid, {"notes": f"changed {rid}"})
        created = await client.bulk_create("time_entries", [entry(workspace_id, n) for n in range(5)])
        return [str(result.id) for result in created]

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            poll = changed_since(client, "time_entries", None, per_page=40)
            delivered: list[ChangedRecord] = []
            created: list[str] = []
            async for found in poll:
                delivered.append(found)
                if len(delivered) == 130:
                    # The poll is inside the second group of 100 (page size 40): ten of its rows already
                    # read move to the end, so the unread rest shifts forward across a page boundary.
                    created = await change_mid_poll(client)
            versions = Counter((found.record_id, found.version) for found in delivered)
            assert max(versions.values()) == 1  # no version twice
            by_id = Counter(found.record_id for found in delivered)
            assert set(by_id) == set(ids) | set(created)
            changed_twice = {rid for rid, times in by_id.items() if times == 2}
            assert changed_twice == {*read_early, *being_paged}  # first the old, then the new version
            latest = {found.record_id: found.record["notes"] for found in delivered}
            assert all(latest[rid] == f"changed {rid}" for rid in [*read_early, *being_paged, *not_read_yet])
            assert len(delivered) == 500 + 15 + 5

            again, cursor = await poll_all(client, poll.cursor.encode())
            assert again == []
            kantata.set_clock(T0 + timedelta(hours=2))
            await client.update("time_entries", ids[42], {"notes": "once more"})
            [last], _ = await poll_all(client, cursor)
            assert last.record_id == ids[42] and last.record["notes"] == "once more"

    run(scenario())


def test_page_number_paging_alone_would_lose_rows_here(kantata: Kantata) -> None:
    """The hazard the poll pages around: the same change, read with plain ``page=N``."""
    workspace_id = kantata.workspace()
    ids = seed_batches(kantata, workspace_id, 2)

    async def scenario() -> set[str]:
        async with KantataClient(kantata.spec()) as client:
            seen: set[str] = set()
            pages = client.pages("time_entries", {"order": "updated_at:asc"}, per_page=40)
            async for page in pages:
                seen |= {str(record["id"]) for record in page.items}
                if len(seen) == 40:
                    kantata.set_clock(T0 + timedelta(hours=1))
                    for rid in ids[:10]:
                        await client.update("time_entries", rid, {"notes": "moved"})
            return seen

    assert set(ids) - run(scenario()) == set(ids[40:50])


def test_polls_stopping_anywhere_in_a_shared_timestamp_resume_across_restarts(kantata: Kantata) -> None:
    kantata.set_clock(T0)
    seeded = kantata.time_entries(kantata.workspace(), 250)  # 250 entries, one timestamp

    async def scenario() -> list[str]:
        delivered: list[str] = []
        cursor: str | None = None
        while True:
            async with KantataClient(kantata.spec()) as client:  # a restarted process each time
                poll = changed_since(client, "time_entries", cursor, per_page=50)
                batch = await poll.take(7)
                delivered += [found.record_id for found in batch]
                cursor = poll.cursor.encode()
                await poll.aclose()
                if not poll.more:
                    break
        async with KantataClient(kantata.spec()) as client:
            assert (await poll_all(client, cursor))[0] == []
        return delivered

    delivered = run(scenario())
    assert sorted(delivered, key=int) == seeded and len(delivered) == 250


def test_a_late_commit_is_caught_inside_the_overlap_window_only(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    kantata.set_clock(T0)
    kantata.time_entries(workspace_id, 1)

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            _, cursor = await poll_all(client, None)
            # A write that started 30 s earlier lands only now, with its old timestamp.
            kantata.set_clock(T0 - timedelta(seconds=30))
            late = await client.create("time_entries", entry(workspace_id, 1))
            kantata.set_clock(T0 + timedelta(seconds=5))
            missed, _ = await poll_all(client, cursor, overlap=timedelta(seconds=10))
            caught, cursor = await poll_all(client, cursor, overlap=timedelta(minutes=2))
            assert missed == []
            assert [found.record_id for found in caught] == [late["id"]]
            assert (await poll_all(client, cursor))[0] == []
            change = caught[0].to_change("kantata", "TimeEntry")
            assert change.source_id == late["id"] and change.changed_at == T0 - timedelta(seconds=30)
            assert change.version == caught[0].version and not change.deleted

    run(scenario())


def test_a_backfill_cursor_starts_at_a_date(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    kantata.set_clock(T0)
    kantata.time_entries(workspace_id, 3, notes="before")
    kantata.set_clock(T0 + timedelta(days=1))
    kantata.time_entries(workspace_id, 2, notes="after")

    async def scenario() -> list[str]:
        async with KantataClient(kantata.spec()) as client:
            since = StampCursor.starting_at(T0 + timedelta(hours=1))
            found, _ = await poll_all(client, since.encode())
            return [str(f.record["notes"]) for f in found]

    assert run(scenario()) == ["after", "after"]
