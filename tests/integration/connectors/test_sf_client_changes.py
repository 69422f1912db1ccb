"""Incremental change detection against the emulator with its clock frozen, so that many records share one
``SystemModstamp``: polls that stop after any record resume without loss, changes made during a poll are
caught by the next one, and nothing is delivered twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sf_client_support import Emulator, run

from concord.connectors.salesforce import ChangedRecord, ModstampCursor, SalesforceClient, changed_since

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
FIELDS = ["Name", "Industry"]


async def poll_all(
    client: SalesforceClient, cursor: str | None, **options: object
) -> tuple[list[ChangedRecord], str]:
    """One complete poll; returns its records and the encoded cursor to store."""
    poll = changed_since(client, "Account", FIELDS, cursor, **options)  # type: ignore[arg-type]
    found = [record async for record in poll]
    return found, poll.cursor.encode()


def test_polls_stopping_anywhere_in_a_shared_timestamp_lose_and_repeat_nothing(emulator: Emulator) -> None:
    emulator.freeze_clock(T0)
    seeded = set(emulator.seed("Account", [{"Name": f"Client {n}"} for n in range(30)]))

    async def scenario() -> list[str]:
        delivered: list[str] = []
        cursor: str | None = None
        async with SalesforceClient(emulator.spec()) as client:
            while True:
                poll = changed_since(client, "Account", FIELDS, cursor)
                batch = await poll.take(7)
                delivered += [found.record_id for found in batch]
                cursor = poll.cursor.encode()
                await poll.aclose()
                if not poll.more:
                    break
            assert {found.modstamp for found in (await poll_all(client, None))[0]} == {T0}
            assert (await poll_all(client, cursor))[0] == []
        return delivered

    delivered = run(scenario())
    assert len(delivered) == 30 and set(delivered) == seeded


def test_changes_made_during_a_poll_are_caught_by_the_next_one(emulator: Emulator) -> None:
    emulator.freeze_clock(T0)
    ids = emulator.seed("Account", [{"Name": f"Client {n:03d}"} for n in range(450)])
    read_already, not_read_yet = ids[:5], ids[-5:]  # the poll reads in (SystemModstamp, Id) order
    expected: dict[str, str | None] = {}

    async def change_mid_poll(client: SalesforceClient) -> None:
        """Changes stamped at the same frozen instant as every row the poll is reading."""
        for record_id in read_already:
            await client.update("Account", record_id, {"Industry": "Banking"})
            expected[record_id] = "Banking"
        for record_id in not_read_yet:
            await client.update("Account", record_id, {"Industry": "Energy"})
            expected[record_id] = "Energy"
        for n in range(5):
            expected[await client.create("Account", {"Name": f"New {n}"})] = None

    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            poll = changed_since(client, "Account", FIELDS, None, batch_size=200)
            first: list[ChangedRecord] = []
            async for found in poll:
                first.append(found)
                if len(first) == 100:
                    await change_mid_poll(client)
            assert [f.record_id for f in first] == ids  # the poll's own snapshot, once each

            second, cursor = await poll_all(client, poll.cursor.encode(), batch_size=200)
            assert {f.record_id: f.record.get("Industry") for f in second} == expected
            assert len(second) == 15 and all(f.modstamp == T0 for f in second)
            assert (await poll_all(client, cursor))[0] == []

    run(scenario())


def test_changes_between_polls_including_deletions(emulator: Emulator) -> None:
    emulator.freeze_clock(T0)
    ids = emulator.seed("Account", [{"Name": f"Client {n}"} for n in range(10)])

    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            first, cursor = await poll_all(client, None)
            assert len(first) == 10
            emulator.freeze_clock(T0 + timedelta(seconds=1))
            await client.update("Account", ids[3], {"Name": "Renamed"})
            await client.delete("Account", ids[4])
            second, cursor = await poll_all(client, cursor)
            assert {(f.record_id, f.deleted, f.record["Name"]) for f in second} == {
                (ids[3], False, "Renamed"),
                (ids[4], True, "Client 4"),
            }
            change = next(f for f in second if f.deleted).to_change("salesforce", "Account")
            assert (
                change.deleted
                and change.event_type == "AccountDeleted"
                and "attributes" not in change.payload
            )
            assert (await poll_all(client, cursor))[0] == []

    run(scenario())


def test_a_late_commit_is_caught_inside_the_overlap_window_only(emulator: Emulator) -> None:
    emulator.freeze_clock(T0)
    emulator.seed("Account", [{"Name": "Early"}])

    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            _, cursor = await poll_all(client, None)
            # A transaction that started 30 s earlier commits only now, with its old stamp.
            emulator.freeze_clock(T0 - timedelta(seconds=30))
            late = await client.create("Account", {"Name": "Late"})
            emulator.freeze_clock(T0 + timedelta(seconds=5))
            missed, _ = await poll_all(client, cursor, overlap=timedelta(seconds=10))
            caught, cursor = await poll_all(client, cursor, overlap=timedelta(minutes=2))
            assert missed == []
            assert [f.record_id for f in caught] == [late]
            assert (await poll_all(client, cursor, overlap=timedelta(minutes=2)))[0] == []

    run(scenario())


def test_a_backfill_cursor_starts_at_a_date(emulator: Emulator) -> None:
    emulator.freeze_clock(T0)
    emulator.seed("Account", [{"Name": "Before"}])
    emulator.freeze_clock(T0 + timedelta(days=1))
    emulator.seed("Account", [{"Name": "After"}])

    async def scenario() -> list[str]:
        async with SalesforceClient(emulator.spec()) as client:
            since = ModstampCursor.starting_at(T0 + timedelta(hours=1))
            found, _ = await poll_all(client, since.encode())
            return [f.record["Name"] for f in found]

    assert run(scenario()) == ["After"]
