"""Resource to utilization over the Kantata and NetSuite emulators: an assignment and logged time become
rows of ``resource_weeks`` (assigned, worked and billable hours, utilizations, forecast labour cost at the
NetSuite labour cost) that match hand-computed figures to the cent; an edited assignment updates its weeks;
a replay changes nothing. The sink (the analytics connector and its store) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from dataclasses import astuple
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ledger_world import USER, LedgerWorld, config_file, log_time, seed_employee, workspace
from provisioning_world import World
from typer.testing import CliRunner

from concord.bootstrap import Concord
from concord.cli.main import app
from concord.connectors.analytics import AnalyticsConnector
from concord.domain.ids import new_id
from concord.domain.messages import CommandEnvelope
from concord.engine.ports import Failed, Succeeded
from concord.storage.sql.store import SqlStore
from concord.storage.sql.utilization_store import StoredResourceWeek

W23, W24, W25 = date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)
D = Decimal


class UtilizationWorld(LedgerWorld):
    """Ada Byron: a NetSuite employee (labour cost 85 USD an hour) who is Kantata's user 1, on one project,
    linked in Concord's cross-reference; Concord runs the utilization flow into the analytics sink."""

    def __init__(
        self,
        world: World,
        tmp_path: Path,
        database_url: str | None = None,
        *,
        in_netsuite: bool = True,
        flows: tuple[str, ...] = ("utilization",),
        reread_records: bool = False,
    ) -> None:
        super().__init__(world)
        employee = seed_employee(world)
        self.workspace = workspace(world, start="2026-05-01", require_time_approvals=True)
        base = world.settings(tmp_path)
        overrides: dict[str, Any] = {
            "flows": list(flows),
            "utilization": config_file(tmp_path, "utilization", reread_records=str(reread_records).lower()),
            "connectors": {**base.connectors, "analytics": {"kind": "analytics"}},
        }
        if database_url:
            overrides["database_url"] = database_url
        self.concord: Concord = world.engine(tmp_path, **overrides)
        self.database_url = self.concord.settings.database_url
        assert self.concord.xref is not None
        self.resource, project = new_id(), new_id()
        self.concord.xref.link(project, "kantata", "Project", self.workspace)
        self.concord.xref.link(self.resource, "kantata", "Resource", USER)
        if in_netsuite:
            self.concord.xref.link(self.resource, "netsuite", "Resource", employee)

    def assign(self, start: str, due: str, minutes: int) -> str:
        """A task from ``start`` to ``due`` with user 1 assigned for ``minutes`` in all; the assignment id."""
        task = {"title": "Solution design", "story_type": "task", "workspace_id": self.workspace}
        body = self.world.kantata_api(
            "POST", "stories.json", {"story": {**task, "start_date": start, "due_date": due}}
        )
        story = str(body["results"][0]["id"])
        assignment = {"story_id": story, "assignee_id": int(USER), "estimated_minutes": minutes}
        answer = self.world.kantata_api("POST", "assignments.json", {"assignment": assignment})
        return str(answer["results"][0]["id"])

    def log(self, day: str, minutes: int, *, billable: bool, approve: bool = True) -> str:
        """Time on ``day``, approved on a timesheet (or left a draft); the entry's id."""
        fields = {"time_in_minutes": minutes, "billable": billable}
        [entry] = log_time(self.world, self.workspace, [day], approve=approve, notes=False, **fields)
        return entry

    def weeks(self) -> dict[date, StoredResourceWeek]:
        with self.concord.store.transaction() as tx:
            return {row.week_start: row for row in tx.utilization.list(resource_id=self.resource)}


def _figures(row: StoredResourceWeek) -> tuple[Any, ...]:
    """capacity, assigned, worked, billable, cost, currency, and the three utilizations."""
    return (
        row.capacity_hours,
        row.assigned_hours,
        row.worked_hours,
        row.billable_hours,
        row.forecast_cost_amount,
        row.forecast_cost_currency,
        row.assigned_utilization,
        row.worked_utilization,
        row.billable_utilization,
    )


def _staff_and_log(ada: UtilizationWorld) -> str:
    # 52 h over Wednesday 3 June to Friday 19 June (13 working days): 20 h a week, 12 h in the first week.
    assignment = ada.assign("2026-06-03", "2026-06-19", 52 * 60)
    ada.log("2026-06-04", 360, billable=True)  # week 23: 6 h
    ada.log("2026-06-08", 450, billable=True)  # week 24: 7.5 h billable
    ada.log("2026-06-09", 480, billable=False)  # week 24: 8 h not billable
    ada.log("2026-06-10", 120, billable=True, approve=False)  # a draft: not worked yet
    return assignment


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_assignments_and_time_become_resource_weeks_with_hand_computed_figures(
    world: World, tmp_path: Path, store_url: str
) -> None:
    ada = UtilizationWorld(world, tmp_path, store_url)
    _staff_and_log(ada)
    ada.run()
    weeks = ada.weeks()
    assert sorted(weeks) == [W23, W24, W25]
    usd, cap = "USD", D("40")
    # Week 23: 12 h x 85 = 1020.00; 12/40, 6/40, 6/40.
    assert _figures(weeks[W23]) == (cap, D("12"), D("6"), D("6"), D("1020"), usd, D(".3"), D(".15"), D(".15"))
    # Week 24: 20 h x 85 = 1700.00; 20/40; worked 7.5 + 8 = 15.5, 15.5/40 = .3875; billable 7.5/40 = .1875.
    assert _figures(weeks[W24]) == (
        cap, D("20"), D("15.5"), D("7.5"), D("1700"), usd, D(".5"), D(".3875"), D(".1875")
    )  # fmt: skip
    assert _figures(weeks[W25]) == (cap, D("20"), D("0"), D("0"), D("1700"), usd, D(".5"), D("0"), D("0"))
    assert {row.resource_name for row in weeks.values()} == {"Ada Byron"}
    assert ada.exceptions() == []

    # A replay of everything recorded, and another run: nothing changes, not even when rows were written.
    before = {week: astuple(row) for week, row in weeks.items()}
    ada.concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), "tester")
    ada.run()
    assert {week: astuple(row) for week, row in ada.weeks().items()} == before
    ada.concord.close()


def test_an_edited_assignment_updates_its_weeks_and_the_cli_shows_them(world: World, tmp_path: Path) -> None:
    ada = UtilizationWorld(world, tmp_path)
    assignment = _staff_and_log(ada)
    ada.run()
    written = ada.weeks()[W24].updated_at

    # 78 h over the same 13 days: 30 h a week, 18 h in the first week.
    ada.world.kantata_api(
        "PUT", f"assignments/{assignment}.json", {"assignment": {"estimated_minutes": 78 * 60}}
    )
    ada.run()
    weeks = ada.weeks()
    assert [(weeks[w].assigned_hours, weeks[w].forecast_cost_amount) for w in (W23, W24, W25)] == [
        (D("18"), D("1530")),
        (D("30"), D("2550")),
        (D("30"), D("2550")),
    ]
    assert weeks[W24].assigned_utilization == D(".75") and weeks[W24].updated_at > written
    # The worked figures are the time's, untouched by the assignment's edit.
    assert (weeks[W24].worked_hours, weeks[W24].billable_utilization) == (D("15.5"), D(".1875"))

    result = CliRunner().invoke(
        app, ["utilization", "--week", "2026-06-10", "--json", "--database", ada.database_url]
    )
    assert result.exit_code == 0, result.output
    (shown,) = json.loads(result.output)
    assert shown["week"] == "2026-W24" and shown["resource"] == "Ada Byron"
    assert (shown["assigned_hours"], shown["worked_hours"], shown["assigned_utilization"]) == (
        "30.00",
        "15.50",
        "0.7500",
    )
    assert shown["forecast_cost"] == {"amount": "2550.00", "currency": "USD"}
    table = CliRunner().invoke(app, ["utilization", "--database", ada.database_url], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "Ada Byron" in table.output and "75.00 %" in table.output
    ada.concord.close()


def test_an_employee_missing_in_netsuite_stops_the_weeks_with_one_exception(
    world: World, tmp_path: Path
) -> None:
    ada = UtilizationWorld(world, tmp_path, in_netsuite=False)
    ada.log("2026-06-08", 450, billable=True)
    ada.run()
    assert ada.weeks() == {}
    (refused,) = ada.exceptions()
    assert refused["category"] == "validation" and refused["business_type"] == "Resource"
    assert "NetSuite holds its capacity and cost rate, but it is not there" in refused["message"]
    ada.concord.close()


def test_flows_that_start_on_the_same_records_share_their_source_and_the_worker_goes_idle(
    world: World, tmp_path: Path
) -> None:
    ada = UtilizationWorld(world, tmp_path, flows=("utilization", "time_to_erp"))
    sources = [(s.system, s.object_type) for s in ada.concord.worker.sources]
    assert sources == [("kantata", "Assignment"), ("kantata", "TimeEntry")]
    ada.run()  # a source polled twice would never count as exhausted: this would time out
    ada.concord.close()


TRACE = f"00-{'1' * 32}-{'2' * 16}-01"


def _command(payload: dict[str, Any], action: str = "upsert") -> CommandEnvelope:
    return CommandEnvelope(new_id(), new_id(), "analytics", action, "ResourceWeek", payload, TRACE)


def test_the_sink_merges_the_planned_and_worked_parts_idempotently(store_url: str) -> None:
    store = SqlStore.open(store_url)
    sink = AnalyticsConnector("analytics", store)
    resource = new_id()
    planned = {
        "resource_id": resource,
        "resource_name": "Ada Byron",
        "week_start": "2026-06-08",
        "capacity_hours": "32.00",
        "planned": {"assigned_hours": "24.00", "forecast_cost": {"amount": "2040.00", "currency": "USD"}},
    }
    worked = {
        "resource_id": resource,
        "week_start": "2026-06-08",
        "capacity_hours": "32.00",
        "worked": {"worked_hours": "26.00", "billable_hours": "20.00"},
    }

    def run(*payloads: dict[str, Any], action: str = "upsert") -> list[Any]:
        return list(asyncio.run(sink.execute([_command(p, action) for p in payloads])))

    assert all(isinstance(o, Succeeded) for o in run(planned, worked))
    with store.transaction() as tx:
        (row,) = tx.utilization.list()
    assert _figures(row) == (
        D("32"), D("24"), D("26"), D("20"), D("2040"), "USD", D(".75"), D(".8125"), D(".625")
    )  # fmt: skip
    assert row.resource_name == "Ada Byron"

    # The same commands again (a retry, a replay): the row stays as it was, its time of change too.
    run(worked, planned)
    with store.transaction() as tx:
        assert tx.utilization.list() == [row]

    # A part alone replaces that part; the utilizations follow the row's hours and new capacity.
    run({**worked, "capacity_hours": "40.00", "worked": {"worked_hours": "30.00", "billable_hours": "30.00"}})
    with store.transaction() as tx:
        (after,) = tx.utilization.list(week=W24)
    assert _figures(after)[1:4] == (D("24"), D("30"), D("30"))
    assert (after.assigned_utilization, after.worked_utilization) == (D(".6"), D(".75"))

    # What the sink cannot take fails alone, permanently, and says why.
    bad, fine = run({**worked, "week_start": "2026-06-09"}, {**planned, "week_start": "2026-06-15"})
    assert isinstance(bad, Failed) and not bad.classification.transient and "Monday" in bad.detail
    assert isinstance(fine, Succeeded)
    (wrong,) = run(planned, action="delete")
    assert isinstance(wrong, Failed) and "takes upserts of ResourceWeek" in wrong.detail
    store.close()


@pytest.mark.parametrize("reread", [False, True])
def test_an_assignment_deleted_in_the_psa_stops_counting_when_records_are_read_again(
    world: World, tmp_path: Path, reread: bool
) -> None:
    ada = UtilizationWorld(world, tmp_path, reread_records=reread)
    gone = ada.assign("2026-06-08", "2026-06-12", 10 * 60)  # week 24: 10 h
    ada.run()
    assert ada.weeks()[W24].assigned_hours == D("10")
    # Deleted in Kantata (a deletion lists nowhere), then another assignment makes the weeks run again.
    world.kantata_api("DELETE", f"assignments/{gone}.json")
    ada.assign("2026-06-08", "2026-06-12", 4 * 60)
    ada.run()
    # Read again, the deleted assignment is gone; otherwise the newest version detected still counts.
    assert ada.weeks()[W24].assigned_hours == (D("4") if reread else D("14"))
    ada.concord.close()
