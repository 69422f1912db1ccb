"""Incremental change detection against the emulator, whose records carry whole-second timestamps: polls
that stop after any record resume without loss, changes made during a poll are delivered (by that poll or
the next) and nothing is delivered twice, deletions come from ``deletedrecord``, and late commits are
caught inside the overlap window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ns_client_support import NetSuite, customers, run

from concord.connectors.netsuite import (
    ChangedRecord,
    NetSuiteClient,
    StampCursor,
    changed_since,
    deletions_since,
)

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
COLUMNS = ["companyname", "email"]


async def poll_all(
    client: NetSuiteClient, cursor: str | None, **options: object
) -> tuple[list[ChangedRecord], str]:
    """One complete poll of customers; returns its records and the encoded cursor to store."""
    poll = changed_since(client, "customer", COLUMNS, cursor, **options)  # type: ignore[arg-type]
    found = [record async for record in poll]
    return found, poll.cursor.encode()


def test_polls_stopping_anywhere_in_a_shared_second_lose_and_repeat_nothing(netsuite: NetSuite) -> None:
    netsuite.freeze_clock(T0)
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    seeded = netsuite.seed("customer", customers(subsidiary, 30))

    async def scenario() -> list[str]:
        delivered: list[str] = []
        cursor: str | None = None
        async with NetSuiteClient(netsuite.spec()) as client:
            while True:
                poll = changed_since(client, "customer", COLUMNS, cursor, page_size=4)
                batch = await poll.take(7)
                delivered += [found.record_id for found in batch]
                cursor = poll.cursor.encode()
                await poll.aclose()
                if not poll.more:
                    break
            everything, _ = await poll_all(client, None)
            assert {found.changed_at for found in everything} == {T0}
            assert (await poll_all(client, cursor))[0] == []
        return delivered

    delivered = run(scenario())
    assert delivered == seeded


def test_changes_made_during_a_poll_are_delivered_once(netsuite: NetSuite) -> None:
    """Updates stamped in the same frozen second as every row the poll is reading: the rows already read
    come again with their new values, the rows not read yet come once with their new values."""
    netsuite.freeze_clock(T0)
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    ids = netsuite.seed("customer", customers(subsidiary, 300))
    read_already, not_read_yet = ids[:5], ids[-5:]
    expected: dict[str, str | None] = {}

    async def change_mid_poll(client: NetSuiteClient) -> None:
        for record_id in read_already:
            await client.update("customer", record_id, {"email": "ap@read.example"})
            expected[record_id] = "ap@read.example"
        for record_id in not_read_yet:
            await client.update("customer", record_id, {"email": "ap@later.example"})
        for n in range(5):
            body = {"companyName": f"New {n}", "subsidiary": {"id": subsidiary}}
            await client.create("customer", body)

    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            poll = changed_since(client, "customer", COLUMNS, None, page_size=50)
            first: list[ChangedRecord] = []
            async for found in poll:
                first.append(found)
                if len(first) == 100:
                    await change_mid_poll(client)
            assert len(first) == 305 and len({f.record_id for f in first}) == 305
            assert {
                f.record_id: f.record.get("email") for f in first if f.record_id in not_read_yet
            } == dict.fromkeys(not_read_yet, "ap@later.example")

            second, cursor = await poll_all(client, poll.cursor.encode())
            assert {f.record_id: f.record.get("email") for f in second} == expected
            assert (await poll_all(client, cursor))[0] == []

    run(scenario())


def test_a_record_changed_during_a_poll_does_not_push_another_off_its_page(netsuite: NetSuite) -> None:
    """With offset paging, a row read on page one and updated moves to the end and every later row moves up
    one place, so the row at the page boundary would be skipped; paging by key skips nothing."""
    clock = netsuite.state.clock
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    ids = []
    for n in range(120):
        clock.set(T0 + timedelta(seconds=n), frozen=True)
        ids += netsuite.seed("customer", customers(subsidiary, 1, prefix=f"Client {n}"))

    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            poll = changed_since(client, "customer", COLUMNS, None, page_size=50)
            first: list[ChangedRecord] = []
            async for found in poll:
                first.append(found)
                if len(first) == 10:
                    netsuite.freeze_clock(T0 + timedelta(hours=1))
                    for record_id in ids[:3]:
                        await client.update("customer", record_id, {"email": "ap@moved.example"})
            assert [f.record_id for f in first] == ids + ids[:3]
            assert [f.record.get("email") for f in first[-3:]] == ["ap@moved.example"] * 3
            assert (await poll_all(client, poll.cursor.encode()))[0] == []

    run(scenario())


def test_changes_and_deletions_between_polls(netsuite: NetSuite) -> None:
    netsuite.freeze_clock(T0)
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    ids = netsuite.seed("customer", customers(subsidiary, 10))

    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            _, cursor = await poll_all(client, None)
            gone_poll = deletions_since(client, "customer", None)
            assert [f async for f in gone_poll] == []
            netsuite.freeze_clock(T0 + timedelta(seconds=1))
            await client.update("customer", ids[3], {"companyName": "Renamed"})
            await client.delete("customer", ids[4])
            changed, cursor = await poll_all(client, cursor)
            assert [(f.record_id, f.record["companyname"]) for f in changed] == [(ids[3], "Renamed")]
            gone_poll = deletions_since(client, "customer", gone_poll.cursor)
            gone = [f async for f in gone_poll]
            assert [(f.record_id, f.deleted, f.record["name"]) for f in gone] == [
                (ids[4], True, "Client 0004")
            ]
            change = gone[0].to_change("netsuite", "Customer")
            assert change.event_type == "CustomerDeleted" and change.changed_at == T0 + timedelta(seconds=1)
            assert [f async for f in deletions_since(client, "customer", gone_poll.cursor)] == []
            assert (await poll_all(client, cursor))[0] == []

    run(scenario())


def test_a_late_commit_is_caught_inside_the_overlap_window_only(netsuite: NetSuite) -> None:
    netsuite.freeze_clock(T0)
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    netsuite.seed("customer", customers(subsidiary, 1, prefix="Early"))

    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            _, cursor = await poll_all(client, None)
            # A transaction that started 30 s earlier commits only now, with its old timestamp.
            netsuite.freeze_clock(T0 - timedelta(seconds=30))
            late = netsuite.seed("customer", customers(subsidiary, 1, prefix="Late"))[0]
            netsuite.freeze_clock(T0 + timedelta(seconds=5))
            missed, _ = await poll_all(client, cursor, overlap=timedelta(seconds=10))
            caught, cursor = await poll_all(client, cursor, overlap=timedelta(minutes=2))
            assert missed == []
            assert [f.record_id for f in caught] == [late]
            assert (await poll_all(client, cursor, overlap=timedelta(minutes=2)))[0] == []

    run(scenario())


def test_a_backfill_cursor_starts_at_a_moment(netsuite: NetSuite) -> None:
    netsuite.freeze_clock(T0)
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    netsuite.seed("customer", customers(subsidiary, 1, prefix="Before"))
    netsuite.freeze_clock(T0 + timedelta(days=1))
    netsuite.seed("customer", customers(subsidiary, 1, prefix="After"))

    async def scenario() -> list[str]:
        async with NetSuiteClient(netsuite.spec()) as client:
            since = StampCursor.starting_at(T0 + timedelta(hours=1), client.spec.zone)
            found, _ = await poll_all(client, since.encode())
            return [f.record["companyname"] for f in found]

    assert run(scenario()) == ["After 0000"]
