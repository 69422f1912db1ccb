"""Reading Kantata: every page of a list, the envelope's order, side-loads joined into records, look-ups by
id, and time entries read as Concord's four approval states."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kantata_client_support import Kantata, run, serve

from concord.connectors.kantata import (
    KantataClient,
    TimeEntryStatus,
    time_entries_with_approval,
)
from concord.engine.errors import Rejected
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


def test_a_list_is_read_through_every_page_in_the_envelope_order(kantata: Kantata) -> None:
    seeded = kantata.time_entries(kantata.workspace(), 1_030)

    async def scenario() -> tuple[list[str], list[int], list[int | None]]:
        async with KantataClient(kantata.spec()) as client:
            params = {"order": "created_at:asc"}
            sizes: list[int] = []
            totals: list[int | None] = []
            ids: list[str] = []
            async for page in client.pages("time_entries", params):
                sizes.append(len(page.items))
                totals.append(page.total)
                ids += [str(record["id"]) for record in page.items]
            return ids, sizes, totals

    ids, sizes, totals = run(scenario())
    assert ids == seeded  # created_at order, ties by id: the order the bulk creates returned
    assert sizes == [200, 200, 200, 200, 200, 30] and set(totals) == {1_030}
    pages = kantata.requests(path=ENTRIES, method="GET")["requests"]
    assert [request["query"] for request in pages] == [
        f"order=created_at%3Aasc&page={n}&per_page=200" for n in range(1, 7)
    ]


def test_side_loaded_associations_are_joined_into_each_record(kantata: Kantata) -> None:
    workspace_id = kantata.workspace("Globex rollout")
    reference = {"service_name": "concord", "service_model": "TimeEntry", "service_model_ref": "G-1"}
    [entry_id] = kantata.time_entries(workspace_id, 1, external_reference=reference)
    kantata.time_entries(workspace_id, 2)

    async def scenario() -> None:
        async with KantataClient(kantata.spec()) as client:
            include = ("workspace", "user", "external_references")
            records = [r async for r in client.iterate("time_entries", include=include)]
            assert len(records) == 3
            assert {r["workspace"]["title"] for r in records} == {"Globex rollout"}
            assert {r["user"]["full_name"] for r in records} == {"Sandbox Administrator"}
            linked = {r["id"]: [x["service_model_ref"] for x in r["external_references"]] for r in records}
            assert linked.pop(entry_id) == ["G-1"] and set(map(len, linked.values())) == {0}

            one = await client.get("time_entries", entry_id, include=["workspace"])
            assert one["workspace"]["id"] == workspace_id and one["time_in_minutes"] == 30
            found = await client.find("time_entries", [entry_id, "999999"])
            assert list(found) == [entry_id]
            with pytest.raises(Rejected, match="404"):
                await client.get("time_entries", "999999")

    run(scenario())


def test_time_entries_read_as_draft_submitted_approved_or_rejected(kantata: Kantata) -> None:
    gated = kantata.workspace("Gated", require_time_approvals=True)
    free = kantata.workspace("Free", require_time_approvals=False)
    draft, submitted, approved, rejected, cancelled = kantata.time_entries(gated, 5)
    [open_entry] = kantata.time_entries(free, 1)
    kantata.submit(gated, [submitted])
    approval = kantata.submit(gated, [approved])
    kantata.resolve(approval, "approve")
    rejection = kantata.submit(gated, [rejected])
    kantata.resolve(rejection, "reject", "Wrong project code")
    kantata.resolve(kantata.submit(gated, [cancelled]), "cancel")

    async def scenario() -> dict[str, tuple[TimeEntryStatus, str | None, str | None]]:
        async with KantataClient(kantata.spec()) as client:
            return {
                str(entry["id"]): (state.status, state.approver_id, state.comment)
                async for entry, state in time_entries_with_approval(client)
            }

    states = run(scenario())
    assert states == {
        draft: (TimeEntryStatus.DRAFT, None, None),
        submitted: (TimeEntryStatus.SUBMITTED, None, None),
        approved: (TimeEntryStatus.APPROVED, "1", None),
        rejected: (TimeEntryStatus.REJECTED, "1", "Wrong project code"),
        cancelled: (TimeEntryStatus.DRAFT, None, None),
        open_entry: (TimeEntryStatus.APPROVED, None, None),
    }
