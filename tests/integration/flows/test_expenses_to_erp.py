"""Expenses to ERP over the Kantata and NetSuite emulators: an expense paid in euros and approved on a
Kantata expense report becomes a NetSuite expense report in the subsidiary's dollars, once, with the
drill-back to the expense; an expense edited after posting becomes a reversal plus a repost; an expense in
a closed period is re-dated or held; a replay sends nothing new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger_world import (
    MAY_TO_JULY_2026,
    LedgerWorld,
    config_file,
    seed_customer,
    seed_employee,
    seed_job,
    seed_periods,
    workspace,
)
from provisioning_world import World

from concord.sandbox.netsuite.operations import Operation
from concord.sandbox.netsuite.render import RECORD_PATH

RATES = {"EUR/USD": {"2026-01-01": "1.0837", "2026-06-15": "1.1000"}}
CATEGORIES = {"Lodging": "7", "default": "9"}


def _policy(tmp_path: Path, **changes: str) -> Path:
    options = {"closed_period": "redate", "self_approval_allowed": "true", "billable_markup": '"0.10"'}
    return config_file(tmp_path, "expense_posting", **{**options, **changes})


class ExpenseWorld(LedgerWorld):
    """One consultant on one euro project in Kantata, booked in NetSuite under the US subsidiary (dollars),
    both linked in Concord's cross-reference. User 1, the Kantata administrator the emulator's API acts as,
    files and approves the expenses."""

    def __init__(self, world: World, tmp_path: Path, **policy: str) -> None:
        super().__init__(world)
        self._patch("subsidiary", world.ids["subsidiary"], {"currency": {"id": "1"}})  # books in USD
        self.periods = seed_periods(world, MAY_TO_JULY_2026)
        customer = seed_customer(world)
        self.job = seed_job(world, customer, name="Globex ERP rollout", start="2026-04-01")
        self.employee = seed_employee(world)
        self.workspace = workspace(
            world, start="2026-04-01", require_expense_approvals=True, status_key=300, currency="EUR"
        )
        options: dict[str, Any] = {
            "flows": ["expenses_to_erp"],
            "expense_posting": _policy(tmp_path, **policy),
        }
        settings = world.settings(tmp_path, **options)
        references = {
            **settings.reference_tables,
            "exchange_rates": RATES,
            "netsuite_expense_category_id": CATEGORIES,
        }
        self.concord = world.engine(tmp_path, **options, reference_tables=references)
        self.project, self.resource = self.link_consultant(self.workspace, self.job, self.employee, customer)

    def lock_payables(self, period: str) -> None:
        """Lock a period for accounts payable only: NetSuite refuses expense reports in it, not journals."""
        self._patch("accountingPeriod", self.periods[period], {"apLocked": True})

    def _patch(self, record_type: str, record_id: str, body: dict[str, Any]) -> None:
        path = f"{RECORD_PATH}/{record_type}/{record_id}"
        outcome = self.world.netsuite.service.execute(
            Operation("PATCH", path, {}, json.dumps(body).encode(), "http://localhost")
        )
        assert outcome.status < 300, outcome

    def file(self, day: str, cents: int, category: str = "Lodging") -> str:
        """File an expense in Kantata (in the project's euros); returns its Kantata id."""
        expense = {
            "workspace_id": self.workspace,
            "date": day,
            "category": category,
            "amount_in_cents": cents,
            "billable": True,
            "receipt_id": 4411,
            "notes": f"{category} on {day}",
        }
        body = self.world.kantata_api("POST", "expenses.json", {"expense": expense})
        return str(body["results"][0]["id"])

    def approve(self, *expense_ids: str) -> str:
        """Submit the expenses on one expense report and approve it; returns the submission id."""
        report = {"workspace_id": self.workspace, "title": "Trip", "expense_ids": list(expense_ids)}
        body = self.world.kantata_api(
            "POST", "expense_report_submissions.json", {"expense_report_submission": report}
        )
        submission = str(body["results"][0]["id"])
        self._resolve(submission, "approve")
        return submission

    def reject(self, submission: str) -> None:
        self._resolve(submission, "reject")

    def _resolve(self, submission: str, action: str) -> None:
        self.world.kantata_api(
            "PUT",
            f"expense_report_submissions/{submission}/{action}.json",
            {"resolution": {"description": "ok"}},
        )

    def edit(self, expense_id: str, cents: int) -> None:
        self.world.kantata_api("PUT", f"expenses/{expense_id}.json", {"expense": {"amount_in_cents": cents}})

    def reports(self) -> list[dict[str, Any]]:
        return self.ns_list("expenseReport")


def _line(report: dict[str, Any]) -> dict[str, Any]:
    (line,) = report["lines"]["expense"]
    return dict(line)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value))


def test_an_approved_euro_expense_is_posted_once_in_dollars_with_the_drill_back_and_a_replay_sends_nothing(
    world: World, tmp_path: Path
) -> None:
    expenses = ExpenseWorld(world, tmp_path)
    expenses.approve(expenses.file("2026-06-03", 18950))
    expenses.run()
    (report,) = expenses.reports()
    line = _line(report)
    # 189.50 EUR at 1.0837 (the rate in force on June 3) = 205.36115 -> 205.36 USD; + 10 % -> 225.90 USD.
    assert (_amount(line["foreignAmount"]), _amount(line["exchangeRate"])) == (
        Decimal("189.50"),
        Decimal("1.0837"),
    )
    assert _amount(line["amount"]) == Decimal("205.36") and _amount(report["total"]) == Decimal("205.36")
    assert _amount(line["custcol_concord_billable_amount"]) == Decimal("225.90")
    assert (str(line["currency"]), str(report["expenseReportCurrency"])) == ("4", "1")
    assert report["tranDate"] == line["expenseDate"] == "2026-06-03"
    assert str(report["entity"]) == expenses.employee and str(line["customer"]) == expenses.job
    assert line["custcol_concord_expense"] and line["custcol_concord_receipt"] == "4411"
    assert not expenses.exceptions()

    expenses.run()  # nothing new: nothing sent again
    replay = expenses.concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), "ops")
    expenses.run()
    assert replay.events >= 1 and len(expenses.reports()) == 1
    expenses.concord.close()


def test_an_expense_edited_after_posting_is_reversed_and_reposted(world: World, tmp_path: Path) -> None:
    expenses = ExpenseWorld(world, tmp_path)
    hotel = expenses.file("2026-06-20", 18950)
    submission = expenses.approve(hotel)
    expenses.run()
    assert len(expenses.reports()) == 1
    expenses.reject(submission)  # Kantata locks an approved expense: reject, correct, approve again
    expenses.edit(hotel, 21000)
    expenses.approve(hotel)
    expenses.run()
    original, reversal, repost = expenses.reports()
    assert reversal["custbody_concord_reverses"] == original["custbody_concord_posting_key"]
    # June 20: 1.1000 USD per EUR. 189.50 -> 208.45 reversed; 210.00 -> 231.00 posted.
    assert _amount(_line(original)["amount"]) == Decimal("208.45")
    assert _amount(_line(reversal)["amount"]) == Decimal("-208.45")
    assert _amount(_line(reversal)["foreignAmount"]) == Decimal("-189.50")
    assert _amount(_line(repost)["amount"]) == Decimal("231.00")
    drill = {_line(r)["custcol_concord_expense"] for r in (original, reversal, repost)}
    assert len(drill) == 1
    assert not expenses.exceptions()
    expenses.concord.close()


def test_an_expense_in_a_closed_period_is_redated_into_the_next_open_one(
    world: World, tmp_path: Path
) -> None:
    expenses = ExpenseWorld(world, tmp_path)
    expenses.approve(expenses.file("2026-05-28", 10000))
    expenses.run()
    (report,) = expenses.reports()
    line = _line(report)
    # Posted on June 1 at the rate of May 28, the day it was incurred.
    assert report["tranDate"] == "2026-06-01" and line["expenseDate"] == "2026-05-28"
    assert "re-dated from 2026-05-28" in report["memo"]
    assert _amount(line["amount"]) == Decimal("108.37")
    expenses.concord.close()


def test_with_the_hold_policy_a_closed_period_holds_its_expense_with_one_exception_in_business_words(
    world: World, tmp_path: Path
) -> None:
    expenses = ExpenseWorld(world, tmp_path, closed_period="hold")
    late, fine = expenses.file("2026-05-28", 10000), expenses.file("2026-06-02", 5000)
    expenses.approve(late, fine)
    expenses.run()
    (report,) = expenses.reports()
    assert _line(report)["expenseDate"] == "2026-06-02"
    (held,) = expenses.exceptions()
    assert held["category"] == "validation" and held["business_type"] == "ExpenseItem"
    assert held["message"] == (
        f"Expense {late} (employee E-1001, lodging EUR 100.00 on 2026-05-28) was not posted: "
        "accounting period May 2026 is closed in NetSuite."
    )
    expenses.concord.close()


def test_a_period_locked_for_payables_redates_an_expense_the_erp_would_refuse_there(
    world: World, tmp_path: Path
) -> None:
    expenses = ExpenseWorld(world, tmp_path)
    expenses.lock_payables("Jun 2026")
    expenses.approve(expenses.file("2026-06-03", 10000))
    expenses.run()
    (report,) = expenses.reports()
    assert report["tranDate"] == "2026-07-01" and "re-dated from 2026-06-03" in report["memo"]
    assert not expenses.exceptions()
    expenses.concord.close()
