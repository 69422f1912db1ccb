"""Expenses filed during the simulated days are submitted in expense reports and approved, never by the
consultant who filed them, as Kantata shows them through its own API; a later simulation takes over the
reports an earlier one left pending."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sim_support import TINY, Readers, Sandbox, start_sandbox

from concord.sandbox.firm import generate_firm
from concord.sandbox.firm.load import load_firm_async
from concord.sandbox.simulator import DEFAULT_BEHAVIOUR, simulate
from conftest import END, START, Simulated

WINDOW = f"{START}:{END}"
TINY_AS_OF = date(2026, 4, 15)  # a Wednesday, mid-month: no month-end burst in either run


def test_filed_expenses_were_submitted_and_approved_by_someone_else(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    assert totals["expense_reports_submitted"] > 0 and totals["expense_reports_approved"] > 0
    expenses, _ = read.kantata("expenses", date_between=WINDOW)
    approved = [e for e in expenses if e["approved"]]
    assert len(approved) == totals["expenses_approved"] > 0
    reports, included = read.kantata(
        "expense_report_submissions", statuses="approved", include="expenses,user,workspace"
    )
    mine = {e["id"] for e in expenses}
    simulated_reports = [r for r in reports if set(r["expense_ids"]) <= mine]
    assert len(simulated_reports) == totals["expense_reports_approved"]
    for report in simulated_reports:
        approver = report["current_resolution_creator_id"]
        assert approver and approver != report["user_id"]
        filed = [included["expenses"][i] for i in report["expense_ids"]]
        assert filed and all(e["user_id"] == report["user_id"] and e["approved"] for e in filed)
        assert all(e["workspace_id"] == report["workspace_id"] for e in filed)
        assert START.isoformat() <= report["current_resolution_created_at_date"][:10] <= END.isoformat()


def test_every_submitted_report_was_decided_or_is_still_pending(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    expenses, _ = read.kantata("expenses", date_between=WINDOW, include="active_submission")
    mine = {e["id"] for e in expenses}
    reports, _ = read.kantata("expense_report_submissions", include="expenses")
    statuses = [r["status"] for r in reports if set(r["expense_ids"]) <= mine]
    assert len(statuses) == totals["expense_reports_submitted"]
    assert statuses.count("rejected") == totals.get("expense_reports_rejected", 0)
    pending = [e for e in expenses if e["active_submission_id"] and not e["approved"]]
    assert len(pending) == totals["expenses_submitted"] - totals["expenses_approved"] - totals.get(
        "expenses_rejected", 0
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("tiny-expenses"))
    asyncio.run(load_firm_async(generate_firm(TINY, 6, as_of=TINY_AS_OF), sandbox.access))
    yield sandbox
    sandbox.stop()


def test_a_later_simulation_decides_the_reports_an_earlier_one_left_pending(tiny: Sandbox) -> None:
    slow = replace(DEFAULT_BEHAVIOUR, expense=0.5, expense_approval_delay=((10, 1),))
    first = asyncio.run(simulate(tiny.targets, days=3, seed=4, behaviour=slow))  # Wed 15 to Fri 17 April
    prompt = replace(DEFAULT_BEHAVIOUR, expense=0.0, expense_approval_delay=((1, 1),), expense_rejected=0.0)
    second = asyncio.run(simulate(tiny.targets, days=6, seed=4, behaviour=prompt))  # Sat 18 to Thu 23
    assert first.start == TINY_AS_OF and second.start == TINY_AS_OF + timedelta(days=3)
    before, after = first.totals, second.totals
    assert before["expense_reports_submitted"] > 0 and "expense_reports_approved" not in before
    assert before.get("api_errors", 0) == after.get("api_errors", 0) == 0
    readers = Readers(tiny)
    try:
        window = f"{TINY_AS_OF}:{TINY_AS_OF + timedelta(days=2)}"
        expenses, _ = readers.kantata("expenses", date_between=window)
    finally:
        readers.close()
    # Pending reports were adopted and approved; expenses a late submitter kept were submitted on Monday.
    assert len(expenses) == before["expenses_filed"] and all(e["approved"] for e in expenses)
    assert (
        after["expenses_approved"]
        == len(expenses)
        == before["expenses_submitted"] + after.get("expenses_submitted", 0)
    )


def test_a_rejected_report_is_corrected_and_submitted_again(tiny: Sandbox) -> None:
    strict = replace(DEFAULT_BEHAVIOUR, expense=0.5, expense_approval_delay=((1, 1),), expense_rejected=1.0)
    start = date(2026, 4, 27)  # Monday; Thursday 30 April is month-end, when everyone submits
    report = asyncio.run(simulate(tiny.targets, days=6, seed=8, start=start, behaviour=strict))
    totals = report.totals
    assert totals.get("api_errors", 0) == 0, [e for day in report.days for e in day.errors]
    assert totals["expense_reports_rejected"] > 0 and "expense_reports_approved" not in totals
    assert totals["expenses_edited"] == totals["expenses_rejected"]
    readers = Readers(tiny)
    try:
        reports, included = readers.kantata("expense_report_submissions", include="expenses")
        filed, _ = readers.kantata("expenses", date_between=f"{start}:{start + timedelta(days=5)}")
    finally:
        readers.close()
    mine = {e["id"] for e in filed}
    again = [r for r in reports if r["title"].endswith("(resubmitted)") and set(r["expense_ids"]) <= mine]
    assert again and not any(e["approved"] for e in filed)
    corrected = [included["expenses"][i]["notes"] for r in again for i in r["expense_ids"]]
    assert all("RCPT-" in notes and notes.endswith(")") for notes in corrected)
