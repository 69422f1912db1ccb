"""The Kantata connector as the engine uses it, against the emulator: time entries detected through many
pages as canonical time entries that pass validation (approver included), each change detected once
however polls and edits interleave, upserts by external reference that converge and carry the
correlation id, many records written in as few calls as Kantata allows, and faults handled by the
engine: a transient one retried to completion, a permanent one failed with Kantata's reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from engine_support import commands, engine, enqueue, settle_fully, shut
from kantata_client_support import CLIENT_ID, CLIENT_SECRET, Kantata, run, serve
from platform_support import open_store, services, upsert, validate

from concord.bootstrap import Concord
from concord.connectors.base import ConnectorServices
from concord.connectors.kantata import KantataClient
from concord.connectors.kantata.connector import KantataConnector
from concord.domain.ids import new_id
from concord.domain.messages import Change
from concord.domain.tracing import TraceContext
from concord.engine.ports import Failed, Succeeded
from concord.mapping import MappingSet, load_mappings
from concord.sandbox.core import RunningServer
from concord.storage.sql.store import SqlStore

API = "/api/v1"
ENTRIES = f"{API}/time_entries.json"
WORKSPACES = f"{API}/workspaces.json"
ADMIN = "1"
"""The emulator's administrator: the Kantata user who approves in these tests."""


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as emulator:
        yield emulator


def connector(
    kantata: Kantata, store: SqlStore, with_services: ConnectorServices | None = None, **spec: Any
) -> KantataConnector:
    return KantataConnector("kantata", with_services or services(store), KantataClient(kantata.spec(**spec)))


async def detect_all(
    kt: KantataConnector, object_type: str, cursor: str | None = None, limit: int = 1000
) -> tuple[list[Change], str | None]:
    """Every change since ``cursor``, polled as the worker does (one page of ``limit`` at a time)."""
    found: list[Change] = []
    while True:
        page = await kt.detect(object_type, cursor, limit)
        found += page.changes
        cursor = page.next_cursor
        if not page.more:
            return found, cursor


def canonical_project(name: str, trace: TraceContext | None = None, **fields: Any) -> dict[str, Any]:
    """A canonical Project payload as the provisioning flow sends it."""
    return {
        "global_id": new_id(),
        "system_ids": {},
        "source_system": "concord",
        "source_changed_at": datetime.now(UTC).isoformat(),
        "correlation_id": (trace or TraceContext.new()).trace_id,
        "name": name,
        "customer_id": new_id(),
        "legal_entity_code": "US01",
        "status": "active",
        "start_date": "2026-04-01",
        "end_date": "2026-09-30",
        "currency": "USD",
        "budget": {"fees": {"amount": "18450.00", "currency": "USD"}},
        **fields,
    }


def workspaces(kantata: Kantata) -> list[dict[str, Any]]:
    """Every workspace with its external references, as Kantata lists them."""
    params = {"include": "external_references", "per_page": "200", "include_archived": "true"}
    body = kantata.api("GET", "workspaces.json", params=params)
    found = []
    for ref in body["results"]:
        workspace = dict(body["workspaces"][ref["id"]])
        ids = workspace.get("external_reference_ids") or []
        workspace["external_references"] = [body["external_references"][i] for i in ids]
        found.append(workspace)
    return found


def test_time_entries_are_detected_through_many_pages_as_valid_canonical_entries(
    kantata: Kantata, store: SqlStore
) -> None:
    workspace = kantata.workspace(require_time_approvals=True)
    ids = kantata.time_entries(workspace, 130, rate_in_cents=19500, billable=True)
    kantata.resolve(kantata.submit(workspace, ids[:60]), "approve")
    kantata.resolve(kantata.submit(workspace, ids[60:70]), "reject", "Wrong project")
    kantata.submit(workspace, ids[70:80])
    kt = connector(kantata, store, per_page=25)

    async def scenario() -> list[Change]:
        found, cursor = await detect_all(kt, "TimeEntry", limit=40)
        again = await kt.detect("TimeEntry", cursor, 1000)
        await kt.aclose()
        assert again.changes == [] and not again.more
        return found

    changes = run(scenario())
    assert kantata.count(path=ENTRIES, method="GET") >= 6  # 130 entries at 25 a page
    payloads = {p["system_ids"]["kantata"]: p for p in validate(changes, "TimeEntry")}
    assert set(payloads) == set(ids) and len(changes) == 130
    xref = services(store).xref
    approver = xref.global_id("kantata", "Resource", ADMIN)
    statuses = Counter(p["status"] for p in payloads.values())
    assert statuses == {"approved": 60, "draft": 50, "rejected": 10, "submitted": 10}
    approved = payloads[ids[0]]
    assert approved["approver_id"] == approver and approved["approved_at"] is not None
    assert approved["project_id"] == xref.global_id("kantata", "Project", workspace)
    assert approved["bill_rate"] == {"amount": "195.00", "currency": "USD"}
    assert payloads[ids[60]]["approver_id"] == approver and payloads[ids[60]]["approved_at"] is None
    assert payloads[ids[75]]["approver_id"] is None
    assert len({p["global_id"] for p in payloads.values()}) == 130


def test_changes_made_between_and_during_polls_are_detected_once(kantata: Kantata, store: SqlStore) -> None:
    workspace = kantata.workspace(require_time_approvals=True)
    ids = kantata.time_entries(workspace, 100)
    kt = connector(kantata, store, per_page=20)
    read_first, unread = ids[:40], ids[40:]
    edited_read, edited_unread, approved_unread = read_first[:5], unread[-5:], unread[10:20]

    async def edit(client: KantataClient, entry_ids: list[str], note: str) -> None:
        for entry_id in entry_ids:
            await client.update("time_entries", entry_id, {"notes": note})

    async def scenario() -> tuple[list[Change], list[Change], list[Change]]:
        first = await kt.detect("TimeEntry", None, 40)
        assert first.more and [c.source_id for c in first.changes] == read_first
        # While the poll is part way through: someone edits entries behind the poll and ahead of it, a
        # timesheet ahead of it is approved, and Kantata revokes every token.
        await edit(kt.client, edited_read + edited_unread, "edited")
        kantata.resolve(kantata.submit(workspace, approved_unread), "approve")
        assert kantata.expire_tokens() == 2
        kantata.seeded_token = ""
        tokens = kantata.count(path="/oauth/token")
        rest, cursor = await detect_all(kt, "TimeEntry", first.next_cursor, limit=40)
        assert kantata.count(path="/oauth/token") == tokens + 1  # renewed once, the poll carried on
        # Between polls: more edits and a new entry.
        await edit(kt.client, ids[60:63], "edited later")
        added = kantata.time_entries(workspace, 1)
        later, cursor = await detect_all(kt, "TimeEntry", cursor)
        last = await kt.detect("TimeEntry", cursor, 1000)
        await kt.aclose()
        assert last.changes == []
        assert sorted(c.source_id for c in later) == sorted([*ids[60:63], *added])
        return list(first.changes), rest, later

    first, rest, later = run(scenario())
    seen = [*first, *rest]
    assert max(Counter((c.source_id, c.version) for c in seen).values()) == 1
    times = Counter(c.source_id for c in seen)
    twice = {i for i, n in times.items() if n == 2}
    # Read before and after the edit; entries the open poll had already fetched when their timesheet was
    # approved are read again too, approved (two real versions, each once).
    assert set(edited_read) <= twice <= set(edited_read) | set(approved_unread)
    assert set(times) == set(ids)
    latest = {p["system_ids"]["kantata"]: p for p in validate(seen, "TimeEntry")}
    assert all(latest[i]["notes"] == "edited" for i in edited_read + edited_unread)
    assert all(latest[i]["status"] == "approved" for i in approved_unread)
    assert [p["notes"] for p in validate(later, "TimeEntry")].count("edited later") == 3


def test_a_project_upserted_twice_is_one_workspace_carrying_global_and_correlation_ids(
    kantata: Kantata, store: SqlStore, tmp_path: Path
) -> None:
    trace = TraceContext.new()
    project = canonical_project("Globex - ERP rollout", trace)
    kt = connector(kantata, store)
    # Another store: Concord's cross-reference does not know the workspace, Kantata's reference does.
    elsewhere = open_store(f"sqlite:///{tmp_path}/elsewhere.db")
    kt_elsewhere = connector(kantata, elsewhere)

    async def scenario() -> list[Any]:
        first = await kt.execute([upsert("kantata", "Project", project, trace)])
        renamed = {**project, "name": "Globex - ERP rollout (phase 1)"}
        second = await kt.execute([upsert("kantata", "Project", renamed, trace)])
        third = await kt_elsewhere.execute([upsert("kantata", "Project", renamed, trace)])
        detected, _ = await detect_all(kt_elsewhere, "Project")
        await kt.aclose()
        await kt_elsewhere.aclose()
        return [*first, *second, *third, detected]

    try:
        first, second, third, detected = run(scenario())
    finally:
        elsewhere.close()
    assert isinstance(first, Succeeded) and isinstance(second, Succeeded) and isinstance(third, Succeeded)
    assert (
        first.result.get("created") is True
        and "created" not in second.result
        and "created" not in third.result
    )
    assert first.result["system_id"] == second.result["system_id"] == third.result["system_id"]
    [stored] = workspaces(kantata)
    assert stored["id"] == first.result["system_id"] and stored["title"] == "Globex - ERP rollout (phase 1)"
    assert stored["require_time_approvals"] is True  # its time entries will name their approver
    [reference] = stored["external_references"]
    assert (reference["service_model"], reference["service_model_ref"]) == ("Project", project["global_id"])
    assert reference["external_message"] == trace.trace_id
    assert services(store).xref.system_id(project["global_id"], "kantata", "Project") == stored["id"]
    # Read back, the workspace is Concord's project in its business transaction.
    [change] = detected
    assert change.payload["global_id"] == project["global_id"]
    assert change.payload["correlation_id"] == trace.trace_id


def test_a_milestone_is_written_under_its_project_and_read_back_while_tasks_are_not(
    kantata: Kantata, store: SqlStore
) -> None:
    trace = TraceContext.new()
    project = canonical_project("Globex - ERP rollout", trace)
    milestone = {
        "global_id": new_id(),
        "project_id": project["global_id"],
        "name": "Go-live",
        "amount": {"amount": "5000.00", "currency": "USD"},
        "due_date": "2026-06-30",
        "status": "open",
    }
    kt = connector(kantata, store)

    async def scenario() -> list[Change]:
        [done] = await kt.execute([upsert("kantata", "Project", project, trace)])
        assert isinstance(done, Succeeded)
        kantata.api(
            "POST",
            "stories.json",
            json={
                "story": {"title": "Build", "workspace_id": done.result["system_id"], "story_type": "task"}
            },
        )
        [written] = await kt.execute([upsert("kantata", "Milestone", milestone, trace)])
        assert isinstance(written, Succeeded)
        found, _ = await detect_all(kt, "Milestone")
        await kt.aclose()
        return found

    [change] = run(scenario())
    [payload] = validate([change], "Milestone")
    assert payload["global_id"] == milestone["global_id"] and payload["correlation_id"] == trace.trace_id
    assert (payload["project_id"], payload["name"], payload["amount"], payload["status"]) == (
        project["global_id"],
        "Go-live",
        {"amount": "5000.00", "currency": "USD"},
        "open",
    )


def test_a_workspace_made_in_kantata_gets_concords_id_attached_instead_of_a_twin(
    kantata: Kantata, store: SqlStore
) -> None:
    made_by_hand = kantata.workspace("Initech - Discovery")
    kt = connector(kantata, store)

    async def scenario() -> Any:
        [found], _ = await detect_all(kt, "Project")
        project = canonical_project("Initech - Discovery", global_id=found.payload["global_id"])
        [outcome] = await kt.execute([upsert("kantata", "Project", project)])
        await kt.aclose()
        return outcome

    outcome = run(scenario())
    assert isinstance(outcome, Succeeded) and outcome.result["system_id"] == made_by_hand
    [stored] = workspaces(kantata)
    assert stored["id"] == made_by_hand
    assert [r["service_model_ref"] for r in stored["external_references"]] == [outcome.result["global_id"]]


def test_many_projects_are_written_one_call_each_and_converge_when_repeated(
    kantata: Kantata, store: SqlStore
) -> None:
    batch = [upsert("kantata", "Project", canonical_project(f"Client {n:02d} - Rollout")) for n in range(30)]
    kt = connector(kantata, store)

    async def scenario() -> list[Any]:
        first = await kt.execute(batch)
        again = await kt.execute(batch)
        await kt.aclose()
        return [*first, *again]

    outcomes = run(scenario())
    assert all(isinstance(o, Succeeded) for o in outcomes)
    # Kantata creates workspaces one at a time (no bulk create for them); the repeat updates in place.
    assert kantata.count(path=WORKSPACES, method="POST") == 30
    assert kantata.count(path=f"{API}/workspaces/*", method="PUT") == 30
    assert len(workspaces(kantata)) == 30


FIRM_TIME_MAPPING = """\
# A firm's own mapping: time kept in another tool, imported into Kantata.
platform: kantata
object: time_entries
canonical: TimeEntry
direction: outbound
id_field: id
stamp_field: updated_at
fields:
  - {canonical: project_id, platform: workspace_id, transform: {lookup: Project}}
  - {canonical: work_date, platform: date_performed}
  - {canonical: hours, platform: time_in_minutes, transform: {hours: minutes}}
  - {canonical: billable, platform: billable}
  - {canonical: notes, platform: notes}
"""


def test_time_entries_mapped_outbound_are_created_in_bulk(
    kantata: Kantata, store: SqlStore, tmp_path: Path
) -> None:
    (tmp_path / "time_entries.TimeEntry.yaml").write_text(FIRM_TIME_MAPPING)
    shipped = [m for m in load_mappings() if (m.platform, m.canonical) != ("kantata", "TimeEntry")]
    mappings = MappingSet([*shipped, *load_mappings([tmp_path])])
    base = services(store)
    kt = connector(kantata, store, ConnectorServices(mappings, base.xref))
    workspace = kantata.workspace()
    project = base.xref.ensure("kantata", "Project", workspace)

    def entry(n: int) -> dict[str, Any]:
        return {
            "global_id": new_id(),
            "project_id": project,
            "work_date": f"2026-06-{1 + n % 28:02d}",
            "hours": "1.50",
            "billable": True,
            "notes": f"imported {n}",
        }

    batch = [upsert("kantata", "TimeEntry", entry(n)) for n in range(250)]

    async def scenario() -> list[Any]:
        outcomes = await kt.execute(batch)
        await kt.aclose()
        return list(outcomes)

    outcomes = run(scenario())
    assert all(isinstance(o, Succeeded) and o.result.get("created") for o in outcomes)
    assert kantata.count(path=ENTRIES, method="POST") == 3  # 250 entries, 100 a call
    assert kantata.count(path=ENTRIES, method="GET") == 2  # looked up by reference, 200 a call


# -- through the engine: built from configuration, faults retried or failed ---------------------------------


def engine_with_kantata(tmp_path: Path, kantata: Kantata, **options: Any) -> Concord:
    """Concord with one Kantata connector configured by base URL and credentials only."""
    auth = {"kind": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    configured = {
        "kind": "kantata",
        "base_url": kantata.base_url,
        "auth": auth,
        "rate": {"max_concurrency": 6},
    }
    return engine(tmp_path, "kantata", {**configured, **options})


def test_the_engine_retries_a_poll_that_kantata_failed_and_records_every_entry(
    tmp_path: Path, kantata: Kantata
) -> None:
    workspace = kantata.workspace(require_time_approvals=True)
    ids = kantata.time_entries(workspace, 60)
    kantata.resolve(kantata.submit(workspace, ids[:20]), "approve")
    concord = engine_with_kantata(tmp_path, kantata, per_page=25, detect=["TimeEntry"])
    kantata.fault(endpoint=f"GET {ENTRIES}", error_rate=1.0, error_status=503, max_faults=2)

    async def scenario() -> None:
        try:
            await settle_fully(concord)
        finally:
            await shut(concord)

    run(scenario())
    assert kantata.count(fault="any") == 2
    with concord.store.transaction() as tx:
        assert tx.events.count() == 60
        assert tx.exceptions.list() == []


def test_the_engine_retries_a_write_kantata_failed_and_fails_one_it_refused(
    tmp_path: Path, kantata: Kantata
) -> None:
    concord = engine_with_kantata(tmp_path, kantata)
    good = canonical_project("Globex - ERP rollout")
    refused = canonical_project("G" * 300)
    kantata.fault(endpoint=f"POST {WORKSPACES}", error_rate=1.0, error_status=503, max_faults=1)

    async def scenario() -> list[dict[str, Any]]:
        try:
            ids = []
            for payload in (good, refused):
                ids.append(enqueue(concord, "kantata", "Project", payload))
                await settle_fully(concord)
            return commands(concord, ids)
        finally:
            await shut(concord)

    done, failed = run(scenario())
    assert done["status"] == "done" and done["attempts"] >= 2
    assert [w["title"] for w in workspaces(kantata)] == ["Globex - ERP rollout"]
    assert failed["status"] == "failed" and failed["attempts"] == 1  # refused: never retried
    assert "Kantata refused it (422)" in failed["last_error"] and "title" in failed["last_error"].lower()


def test_a_permanent_refusal_is_classified_so(kantata: Kantata, store: SqlStore) -> None:
    kt = connector(kantata, store)

    async def scenario() -> list[Any]:
        outcomes = await kt.execute([upsert("kantata", "Project", canonical_project("G" * 300))])
        await kt.aclose()
        return list(outcomes)

    [refused] = run(scenario())
    assert isinstance(refused, Failed) and not refused.classification.transient
    assert refused.classification.category == "target_rejected"


def test_a_poll_kantata_refuses_for_good_does_not_stop_the_worker(tmp_path: Path, kantata: Kantata) -> None:
    kantata.time_entries(kantata.workspace(), 5)
    wrong = {"kind": "client_credentials", "client_id": CLIENT_ID, "client_secret": "not-the-secret"}
    concord = engine_with_kantata(tmp_path, kantata, auth=wrong, detect=["TimeEntry"])

    async def scenario() -> None:
        try:
            # Refused credentials cannot pass by waiting: the worker logs it and, asked to stop when
            # nothing is left, stops instead of failing or spinning.
            await concord.worker.run(until_idle=True)
        finally:
            await shut(concord)

    run(scenario(), timeout_s=10)
    assert kantata.count(path=ENTRIES, method="GET") == 0 and kantata.count(path="/oauth/token") >= 2
    with concord.store.transaction() as tx:
        assert tx.events.count() == 0
