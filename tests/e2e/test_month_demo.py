"""``concord demo`` over a running sandbox, checked afterwards straight through the platforms' own APIs:
every provisioned deal has one PSA project and one ERP contract, cross-referenced both ways; no approved
time entry is posted twice; the planted dirty deals are one validation exception each; approved time
reconciles (posted or held with an exception); and the invoices are what the source systems say is due
(time and materials, milestones, subscriptions: see ``month_invoices``).

The firm is generated as of the next 28th of a month and the platforms' clocks start there: the generator
draws the same deals for the same day of the month, so every run simulates the same business (a
time-and-materials project under way, a fixed fee whose first milestone falls due, managed services begun,
a month end and the books closed) whatever the day the tests run."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from month_invoices import Month
from month_platforms import Platforms

from concord.bootstrap import bootstrap_from_settings
from concord.demo.month import MonthScenario, settings_for
from concord.domain.periods import add_months
from concord.sandbox.launch import RunState, running_state

# A rough month (faults, a 2-minute outage, three kills) takes minutes more than the default per-test limit.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]

DAYS = 22
"""Three weeks from the 29th: a time-and-materials project's first weekly billing periods, the first
milestone of a fixed fee falling due, managed services begun, a month end and the books closed."""


def _concord(*args: str, cwd: Path) -> str:
    command = [sys.executable, "-m", "concord.cli.main", *args]
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=900, env=os.environ.copy()
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def firm_day(today: date) -> date:
    """The firm's "today": the next 28th of a month (today, on a 28th)."""
    day = today.replace(day=28)
    return day if day >= today else add_months(day, 1)


FIRM_DAY = firm_day(datetime.now(UTC).date())
"""One day for both months, so that they simulate the same business."""


def _clocks_at(state: RunState, day: date) -> None:
    """The platforms' clocks at 07:00 on ``day``, or now if that has passed: never behind Concord's own
    clock, as through a simulated month."""
    now = max(datetime.now(UTC), datetime.combine(day, time(7, 0), UTC))
    for url in state.urls.values():
        httpx.put(f"{url}/__sandbox/clock", json={"now": now.isoformat()}, timeout=10).raise_for_status()


def _month(folder: Path, *extra: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    data = folder / ".sandbox"
    _concord("sandbox", "up", "--detach", "--port-base", "0", "--data-dir", str(data), cwd=folder)
    try:
        state = running_state(data.resolve())
        assert state is not None
        _clocks_at(state, FIRM_DAY)
        seeding = ("sandbox", "seed", "--firm", "small", "--as-of", FIRM_DAY.isoformat())
        _concord(*seeding, "--data-dir", str(data), cwd=folder)
        _concord(
            "demo",
            "--firm",
            "small",
            "--days",
            str(DAYS),
            "--exit",
            "--summary-json",
            str(folder / "summary.json"),
            "--data-dir",
            str(data),
            "--workdir",
            str(folder / "work"),
            *extra,
            cwd=folder,
        )
        yield folder, json.loads((folder / "summary.json").read_text())
    finally:
        _concord("sandbox", "down", "--data-dir", str(data), cwd=folder)


@pytest.fixture(scope="module")
def calm_month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    yield from _month(tmp_path_factory.mktemp("calm"))


@pytest.fixture(scope="module")
def rough_month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The same month with the platforms misbehaving and Concord's worker killed three times."""
    yield from _month(tmp_path_factory.mktemp("rough"), "--faults", "--engine-kills", "3")


@pytest.fixture(params=["calm", "rough"])
def month(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    """Each month, calm and rough, must end in a state that passes the same checks."""
    found: tuple[Path, dict[str, Any]] = request.getfixturevalue(f"{request.param}_month")
    return found


def test_every_provisioned_deal_has_one_project_and_one_contract_cross_referenced_both_ways(
    month: tuple[Path, dict[str, Any]],
) -> None:
    folder, summary = month
    assert summary["scenario"]["drained"], "Concord finished the month's work"
    assert summary["deals"]["provisioned"] >= 1
    platforms = Platforms(folder / ".sandbox")
    written_back = platforms.soql(
        "SELECT Id, Name, PSA_Project_Id__c, ERP_Contract_Id__c FROM Opportunity "
        "WHERE PSA_Project_Id__c != null"
    )
    assert len(written_back) == summary["deals"]["provisioned"]
    orders = platforms.suiteql("SELECT id, externalid FROM transaction WHERE type = 'SalesOrd'")
    order_ids = Counter(str(row["id"]) for row in orders)
    workspaces = {str(w["id"]): w for w in platforms.workspaces()}
    for deal in written_back:
        assert order_ids[str(deal["ERP_Contract_Id__c"])] == 1, f"{deal['Name']}: one ERP contract"
        workspace = workspaces[str(deal["PSA_Project_Id__c"])]
        assert len([r for r in workspace["refs"] if r.get("service_name") == "concord"]) == 1


def test_no_time_entry_is_posted_twice_and_approved_time_reconciles(
    month: tuple[Path, dict[str, Any]],
) -> None:
    folder, summary = month
    platforms = Platforms(folder / ".sandbox")
    journals = platforms.suiteql("SELECT * FROM transaction WHERE type = 'Journal'")
    time_journals = [j for j in journals if j.get("custbody_concord_posting_key")]
    assert len(time_journals) == summary["time"]["journal_entries"] + summary["time"]["reversals"]
    keys = Counter(str(j["custbody_concord_posting_key"]) for j in time_journals)
    assert all(count == 1 for count in keys.values()), "no posting twice in NetSuite"
    reconciliation = summary["reconciliation"]
    assert reconciliation["balanced"], reconciliation


def test_each_planted_dirty_deal_is_one_validation_exception_in_business_words(
    month: tuple[Path, dict[str, Any]],
) -> None:
    folder, _ = month
    planted = json.loads((folder / ".sandbox" / "firm.json").read_text())["dirty_cases"]
    deals = [
        c for c in planted if c["kind"] in ("customer_without_tax_profile", "region_without_legal_entity")
    ]
    assert deals
    with sqlite3.connect(folder / "work" / "concord.db") as db:
        rows = db.execute(
            "SELECT category, message FROM exceptions WHERE business_type = 'Opportunity'"
        ).fetchall()
    for case in deals:
        name = case["description"].split("'")[1]
        mine = [(category, message) for category, message in rows if f"'{name}'" in message]
        assert len(mine) == 1, f"{case['kind']} of {name}: {mine}"
        assert mine[0][0] == "validation" and "was not provisioned" in mine[0][1]


def _writes(urls: dict[str, str]) -> dict[str, int]:
    """Requests that change something, per platform, from the request logs: token requests and NetSuite's
    SuiteQL queries (sent as POST) aside."""
    counts = {}
    for name, url in urls.items():
        total = 0
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            answer = httpx.get(f"{url}/__sandbox/requests", params={"method": method, "limit": 0}, timeout=30)
            total += int(answer.json()["total"])
            for reads in ("*token*", "*suiteql*"):
                params = {"method": method, "limit": 0, "path": reads}
                total -= int(
                    httpx.get(f"{url}/__sandbox/requests", params=params, timeout=30).json()["total"]
                )
        counts[name] = total
    return counts


def test_replaying_the_whole_month_changes_nothing_in_any_target(
    calm_month: tuple[Path, dict[str, Any]],
) -> None:
    folder, summary = calm_month
    state = running_state((folder / ".sandbox").resolve())
    assert state is not None
    scenario = MonthScenario(firm="small", days=DAYS, data_dir=folder / ".sandbox", workdir=folder / "work")
    provision_from = date.fromisoformat(summary["scenario"]["provision_from"])
    settings = settings_for(scenario, state.access().connection_info(), provision_from)
    concord = bootstrap_from_settings(settings, log_to_stderr=False)
    try:
        before = _writes(state.urls)
        report = concord.replayer.time_range(
            datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), "e2e"
        )
        asyncio.run(asyncio.wait_for(concord.worker.run(until_idle=True), 300))
        assert report.events > 1000 and report.started == 0
        assert _writes(state.urls) == before
    finally:
        concord.close()


def test_the_rough_month_had_its_faults_and_its_kills(rough_month: tuple[Path, dict[str, Any]]) -> None:
    _, summary = rough_month
    scenario = summary["scenario"]
    assert scenario["engine_kills"] == 3
    injected = scenario["faults_injected"]
    assert all(injected[system].get("error", 0) > 0 for system in ("salesforce", "kantata", "netsuite"))
    assert injected["netsuite"].get("outage", 0) > 0, "Concord met NetSuite's outage"


def test_the_rough_month_ends_as_the_calm_one(
    calm_month: tuple[Path, dict[str, Any]], rough_month: tuple[Path, dict[str, Any]]
) -> None:
    """Faults and kills change durations only: the same deals provisioned, with the same contracts, and
    the same deals refused for the same reasons. (Time is checked within each month, by the tests above:
    the firm's managers staff the projects Concord creates as they appear, so how much time is logged on
    them depends on when Concord created them, which faults and kills rightly change.)"""
    (calm_folder, calm), (rough_folder, rough) = calm_month, rough_month
    for figure in ("contracted_seen", "provisioned", "refused_or_failed"):
        assert rough["deals"][figure] == calm["deals"][figure], figure
    outcomes = []
    for folder in (calm_folder, rough_folder):
        platforms = Platforms(folder / ".sandbox")
        deals = platforms.soql(
            "SELECT Name, Amount FROM Opportunity WHERE PSA_Project_Id__c != null ORDER BY Name"
        )
        with sqlite3.connect(folder / "work" / "concord.db") as db:
            refused = db.execute(
                "SELECT message FROM exceptions WHERE business_type = 'Opportunity' ORDER BY message"
            ).fetchall()
        outcomes.append(([(d["Name"], d["Amount"]) for d in deals], refused))
    assert outcomes[0] == outcomes[1]


def test_contract_value_is_the_same_in_the_crm_the_psa_and_the_erp(
    month: tuple[Path, dict[str, Any]],
) -> None:
    """CRM amount plus the approved change orders Concord applied = PSA budget = ERP contract total."""
    folder, _ = month
    platforms = Platforms(folder / ".sandbox")
    deals = platforms.soql(
        "SELECT Id, Name, Amount, PSA_Project_Id__c, ERP_Contract_Id__c FROM Opportunity "
        "WHERE PSA_Project_Id__c != null"
    )
    orders = {
        str(row["id"]): Decimal(str(row["foreigntotal"]))
        for row in platforms.suiteql("SELECT id, foreigntotal FROM transaction WHERE type = 'SalesOrd'")
    }
    workspaces = {str(w["id"]): w for w in platforms.workspaces()}
    with sqlite3.connect(folder / "work" / "concord.db") as db:
        refused = db.execute(
            "SELECT COUNT(*) FROM exceptions WHERE business_type = 'ChangeOrder' AND status = 'open'"
        ).fetchone()[0]
    changes = platforms.soql(
        "SELECT Opportunity__c, Delta_Amount__c FROM Change_Order__c WHERE Status__c = 'Approved'"
    )
    for deal in deals:
        erp = orders[str(deal["ERP_Contract_Id__c"])]
        psa = Decimal(str(workspaces[str(deal["PSA_Project_Id__c"])]["price"]))
        assert psa == erp, f"{deal['Name']}: PSA budget {psa} and ERP contract {erp}"
        approved = sum(
            (Decimal(str(c["Delta_Amount__c"])) for c in changes if c["Opportunity__c"] == deal["Id"]),
            Decimal(0),
        )
        if not refused:
            assert erp == Decimal(str(deal["Amount"])) + approved, f"{deal['Name']}: CRM and ERP differ"


@functools.cache
def _billed(folder: Path) -> Month:
    return Month(folder)


def test_time_and_materials_invoices_bill_approved_billable_hours_at_their_rates_to_the_cent(
    month: tuple[Path, dict[str, Any]],
) -> None:
    """Per contract, Σ invoiced = Σ approved billable hours x rate (and expenses) of the periods that have
    ended, each entry once, read from Kantata and NetSuite; see ``month_invoices``."""
    folder, _ = month
    billed = _billed(folder)
    contracts = [c for c in billed.contracts if c.pricing == "time_and_materials"]
    problems = [problem for c in contracts for problem in billed.time_and_materials_problems(c)]
    assert problems == []
    invoices = [i for i in billed.invoices if i.basis == "time_and_materials_period"]
    assert invoices, "the month bills time and materials"
    assert all(i.lines and all(line.kind in ("time", "expense") for line in i.lines) for i in invoices)


def test_fixed_fee_invoices_are_the_completed_milestones_one_each_for_its_fee(
    month: tuple[Path, dict[str, Any]],
) -> None:
    folder, _ = month
    billed = _billed(folder)
    contracts = [c for c in billed.contracts if c.pricing == "fixed_fee"]
    assert [problem for c in contracts for problem in billed.milestone_problems(c)] == []
    assert any(i.basis == "milestone" for i in billed.invoices), "a milestone is invoiced in the month"


def test_subscription_invoices_are_the_periods_due_one_each_for_its_fee(
    month: tuple[Path, dict[str, Any]],
) -> None:
    folder, _ = month
    billed = _billed(folder)
    changed = billed.last_period_change()
    contracts = [c for c in billed.contracts if c.pricing == "subscription"]
    assert [problem for c in contracts for problem in billed.subscription_problems(c, changed)] == []
    assert any(i.basis == "subscription_period" for i in billed.invoices), "managed services are invoiced"
    assert {i.order_id for i in billed.invoices} <= {c.order_id for c in billed.contracts}
