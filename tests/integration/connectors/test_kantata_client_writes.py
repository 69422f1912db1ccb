"""Writing to Kantata: single writes and their refusals, upserts by external reference that are safe to
repeat (twice = one record, also after a failure that hid a successful create), and bulk creates of a
thousand time entries where one bad entry is reported alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal

import pytest
from kantata_client_support import Kantata, entry, retry_transient, run, serve

from concord.connectors.kantata import (
    ExternalRef,
    KantataClient,
    attach_reference,
    bulk_upsert_by_reference,
    find_by_reference,
    upsert_by_reference,
)
from concord.engine.errors import CannotEncode, Rejected
from concord.sandbox.core import RunningServer

ENTRIES = "/api/v1/time_entries.json"


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as emulator:
        yield emulator


def stored_entries(kantata: Kantata, **filters: str) -> list[dict[str, object]]:
    body = kantata.api("GET", "time_entries.json", params={"per_page": "200", **filters})
    return [body["time_entries"][ref["id"]] for ref in body["results"]]


def test_create_update_delete_and_kantatas_own_refusals(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            created = await client.create("time_entries", entry(workspace_id, 0), include=["workspace"])
            assert created["workspace"]["id"] == workspace_id and created["time_in_minutes"] == 30
            updated = await client.update("time_entries", created["id"], {"notes": "Design workshop"})
            assert updated["notes"] == "Design workshop" and updated["updated_at"] >= created["updated_at"]
            with pytest.raises(Rejected) as refused:
                await client.create("time_entries", entry(workspace_id, 1, time_in_minutes=0))
            assert refused.value.reason == (
                "Kantata refused it (422): Time in minutes must be greater than 0 (field: time_in_minutes)"
            )
            await client.delete("time_entries", created["id"])
            with pytest.raises(Rejected, match=r"\(404\)"):
                await client.update("time_entries", created["id"], {"notes": "gone"})
            with pytest.raises(CannotEncode):
                await client.get("time_entries", "7; DROP")

    run(scenario())
    assert stored_entries(kantata) == []


def test_an_upsert_twice_is_one_record_and_carries_the_correlation_id(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            ref = ExternalRef("TimeEntry", "TE-20931", external_message=trace)
            first = await upsert_by_reference(client, "time_entries", ref, entry(workspace_id, 0))
            again = await upsert_by_reference(
                client, "time_entries", ref, entry(workspace_id, 0, notes="Corrected")
            )
            assert first.created and not again.created and first.id == again.id
            assert again.record["notes"] == "Corrected"
            # Several at once (a redelivered command racing its original) still make one record.
            racing = await asyncio.gather(
                *(upsert_by_reference(client, "time_entries", ref, entry(workspace_id, n)) for n in range(5))
            )
            assert {result.id for result in racing} == {first.id} and not any(r.created for r in racing)

    run(scenario())
    [stored] = stored_entries(kantata)
    refs = kantata.api("GET", "external_references.json", params={"subject_type": "TimeEntry"})
    [reference] = refs["external_references"].values()
    assert reference["subject_id"] == stored["id"] and reference["service_model_ref"] == "TE-20931"
    assert reference["service_name"] == "concord" and reference["external_message"] == trace


def test_a_record_made_in_kantata_is_linked_then_upserted_in_place(kantata: Kantata) -> None:
    workspace_id = kantata.workspace("Made by hand")
    kantata.api("PUT", f"workspaces/{workspace_id}.json", json={"workspace": {"archived": True}})
    ref = ExternalRef("Project", "P-1042")

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            assert await find_by_reference(client, "workspaces", ref) is None
            assert (await client.list_page("workspaces")).count == 0  # archived: lists hide it
            stored = await attach_reference(client, "workspaces", workspace_id, ref)
            assert (stored["subject_type"], stored["subject_id"]) == ("Workspace", workspace_id)
            found = await find_by_reference(client, "workspaces", ref)  # archived, still found
            assert found is not None and found["id"] == workspace_id
            result = await upsert_by_reference(client, "workspaces", ref, {"title": "Globex rollout"})
            assert (result.id, result.created, result.record["title"]) == (
                workspace_id,
                False,
                "Globex rollout",
            )

    run(scenario())


def test_an_upsert_repeated_after_its_answer_was_lost_updates_instead_of_duplicating(
    kantata: Kantata,
) -> None:
    workspace_id = kantata.workspace()

    async def scenario() -> bool:
        async with KantataClient(kantata.spec(timeout_s=2.0)) as client:
            await client.list_page("users")  # logged in before the fault starts
            # Kantata stores the entry, then the answer is cut off on the way back.
            kantata.fault(endpoint=f"POST {ENTRIES}", truncated_rate=1.0, max_faults=1, seed=3)
            ref = ExternalRef("TimeEntry", "TE-7")
            result, met = await retry_transient(
                lambda: upsert_by_reference(client, "time_entries", ref, entry(workspace_id, 0))
            )
            assert len(met) == 1
            return result.created

    assert run(scenario()) is False  # the repeat found the record the lost answer had created
    assert len(stored_entries(kantata)) == 1


def test_a_thousand_entries_in_bulk_with_one_bad_entry_reported_alone(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    items = [entry(workspace_id, n) for n in range(1_000)]
    items[617] = entry(workspace_id, 617, date_performed="2026-02-30")

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            results = await client.bulk_create("time_entries", items)
            assert [result.index for result in results] == list(range(1_000))
            failed = [result for result in results if not result.success]
            assert [result.index for result in failed] == [617]
            assert isinstance(failed[0].failure, Rejected)
            assert [error.fields for error in failed[0].errors] == [("date_performed",)]
            assert "Date performed" in failed[0].failure.reason
            assert all(result.created and result.id for result in results if result.index != 617)
            notes = {result.record["notes"] for result in results if result.record}
            assert len(notes) == 999 and "entry 617" not in notes

    run(scenario())
    assert kantata.count(path=ENTRIES, method="POST") == 11  # ten chunks, and the bad one's chunk again
    assert len(stored_entries(kantata, per_page="200", page="5")) == 199


def test_an_object_that_cannot_be_encoded_fails_alone(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    items = [entry(workspace_id, 0), entry(workspace_id, 1, time_in_minutes=Decimal("NaN"))]

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            ok, bad = await client.bulk_create("time_entries", items)
            assert ok.success and not bad.success and isinstance(bad.failure, CannotEncode)

    run(scenario())


def test_a_bulk_upsert_repeated_updates_every_record_and_creates_none(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()

    def batch(note: str) -> list[tuple[ExternalRef, dict[str, object]]]:
        return [
            (ExternalRef("TimeEntry", f"TE-{n:04d}"), entry(workspace_id, n, notes=f"{note} {n}"))
            for n in range(210)
        ]

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            first = await bulk_upsert_by_reference(client, "time_entries", batch("first"))
            assert all(r.success and r.created for r in first) and len(first) == 210
            posts = kantata.count(path=ENTRIES, method="POST")
            again = await bulk_upsert_by_reference(client, "time_entries", batch("again"))
            assert all(r.success and r.created is False for r in again)
            assert [r.id for r in again] == [r.id for r in first]
            assert kantata.count(path=ENTRIES, method="POST") == posts == 3

    run(scenario())
    stored = stored_entries(kantata) + stored_entries(kantata, page="2")
    assert len(stored) == 210 and all(str(e["notes"]).startswith("again") for e in stored)
