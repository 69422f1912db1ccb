"""Revenue over the Kantata and NetSuite emulators, engine built from configuration: the contract is read
back from NetSuite through the project that names it; approved time on a time-and-materials contract is
recognised as delivered (hours times rate, to the cent), a completed milestone of a fixed fee for its plan
amount, a subscription straight-line per period; a replay recognises nothing twice and a later approval
is a journal of the difference.

NetSuite's calendar is set around today, UTC (the subscription flow recognises through the current period):
three months back (closed), two back, last month, this month and next month (open).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger_world import USER, LedgerWorld, config_file, log_time, seed_customer, workspace
from provisioning_world import World

from concord.domain.ids import new_id
from concord.domain.objects import Contract, Project

ACCOUNTS = {
    "unbilled_receivable": "1250",
    "deferred_revenue": "2400",
    "services_revenue": "4000",
    "subscription_revenue": "4100",
}


def _month(today: date, back: int) -> tuple[date, date]:
    index = today.year * 12 + today.month - 1 - back
    start = date(index // 12, index % 12 + 1, 1)
    following = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return start, following - timedelta(days=1)


class RevenueWorld(LedgerWorld):
    """One project, known to Kantata and NetSuite, delivering one contract that NetSuite holds."""

    def __init__(
        self, world: World, tmp_path: Path, contract: dict[str, Any], *, names_contract: bool = True
    ) -> None:
        super().__init__(world)
        today = datetime.now(UTC).date()
        self.months = {back: _month(today, back) for back in (3, 2, 1, 0, -1)}
        for back, (start, end) in self.months.items():
            period = {
                "periodName": f"{start:%b %Y}",
                "startDate": start.isoformat(),
                "endDate": end.isoformat(),
            }
            world.ns_seed("accountingPeriod", {**period, "closed": back == 3})
        customer = seed_customer(world)
        start = self.months[3][0].isoformat()
        self.workspace = workspace(
            world, start=start, require_time_approvals=True, status_key=300, currency="USD"
        )
        settings = world.settings(tmp_path)
        references = {**settings.reference_tables, "netsuite_account_id": ACCOUNTS}
        config = config_file(tmp_path, "revenue")
        self.concord = world.engine(tmp_path, flows=["revenue"], revenue=config, reference_tables=references)
        assert self.concord.xref is not None
        self.customer, self.project, resource = new_id(), new_id(), new_id()
        self.contract = new_id()
        self.concord.xref.link(self.customer, "netsuite", "Customer", customer)
        self.concord.xref.link(self.project, "kantata", "Project", self.workspace)
        self.concord.xref.link(resource, "kantata", "Resource", USER)
        envelope = {"source_system": "concord", "source_changed_at": datetime.now(UTC).isoformat()}
        envelope["correlation_id"] = "4bf92f3577b34da6a3ce929d0e0e4736"
        common = {"customer_id": self.customer, "legal_entity_code": "US", "currency": "USD"}
        deal = {**envelope, **common, "global_id": self.contract, "start_date": start, **contract}
        project = {
            **envelope,
            **common,
            "global_id": self.project,
            "name": "Globex ERP rollout",
            "contract_id": self.contract if names_contract else None,
            "status": "active",
            "start_date": start,
        }
        # Whole canonical records, defaults included, as a flow writes them.
        self.write(
            ("Contract", Contract.model_validate(deal).model_dump(mode="json", exclude_none=True)),
            ("Project", Project.model_validate(project).model_dump(mode="json", exclude_none=True)),
        )
        self.job = self.concord.xref.system_id(self.project, "netsuite", "Project")
        assert self.job is not None

    def approve(self, day: date, minutes: int, rate_in_cents: int) -> str:
        """Log time on ``day`` and approve it; returns the Kantata entry id."""
        rates = {"rate_in_cents": rate_in_cents, "cost_rate_in_cents": 9000}
        [entry] = log_time(self.world, self.workspace, [day.isoformat()], time_in_minutes=minutes, **rates)
        return entry

    def milestone(self, title: str, cents: int, due: date) -> str:
        story = {
            "title": title,
            "story_type": "milestone",
            "workspace_id": self.workspace,
            "due_date": due.isoformat(),
            "state": "not started",
            "budget_estimate_in_cents": cents,
        }
        body = self.world.kantata_api("POST", "stories.json", {"story": story})
        return str(body["results"][0]["id"])

    def complete(self, story: str) -> None:
        self.world.kantata_api("PUT", f"stories/{story}.json", {"story": {"state": "completed"}})

    def journals(self) -> list[dict[str, Any]]:
        return self.ns_list("journalEntry")

    def replay(self) -> None:
        report = self.concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), "ops")
        assert report.events > 0
        self.run()


def _lines(journal: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = journal["lines"]["line"]
    return lines


def _side(journal: dict[str, Any], side: str) -> tuple[str, Decimal]:
    (line,) = [line for line in _lines(journal) if line.get(side) is not None]
    account = line["account"]
    return str(account["id"] if isinstance(account, dict) else account), Decimal(str(line[side]))


def _id(value: Any) -> str:
    return str(value["id"] if isinstance(value, dict) else value)


TIME_AND_MATERIALS = {
    "number": "SOW-TM-1",
    "name": "Globex ERP rollout (time and materials)",
    "pricing_model": "time_and_materials",
    "total_value": {"amount": "80000.00", "currency": "USD"},
    "billing_plan": {"basis": "time_and_materials_period", "frequency": "monthly", "lines": []},
    "revenue_plan": {"basis": "as_delivered"},
}


def test_time_and_materials_revenue_is_approved_hours_times_rate_to_the_cent_once(
    world: World, tmp_path: Path
) -> None:
    revenue = RevenueWorld(world, tmp_path, TIME_AND_MATERIALS)
    start, end = revenue.months[1]
    revenue.approve(start + timedelta(days=1), 425, 18735)  # 7.08 h x 187.35 = 1326.438 -> 1326.44
    revenue.approve(start + timedelta(days=2), 450, 18735)  # 7.50 h x 187.35 = 1405.125 -> 1405.13
    revenue.run()

    (journal,) = revenue.journals()
    assert journal["tranDate"] == end.isoformat()
    assert _side(journal, "debit") == ("1250", Decimal("2731.57"))
    assert _side(journal, "credit") == ("4000", Decimal("2731.57"))
    for line in _lines(journal):
        assert line["custcol_concord_contract"] == revenue.contract
        assert line["custcol_concord_period"] == f"{start.isoformat()}/{end.isoformat()}"
        assert _id(line["entity"]) == revenue.job
    assert journal["custbody_concord_contract"] == revenue.contract
    assert "as delivered" in journal["memo"] and revenue.contract in journal["memo"]
    assert revenue.exceptions() == []

    revenue.run()
    revenue.replay()  # every event again: nothing is recognised twice
    assert len(revenue.journals()) == 1

    revenue.approve(start + timedelta(days=3), 60, 18735)  # approved later: 1.00 h x 187.35
    revenue.run()
    first, later = revenue.journals()
    assert later["tranDate"] == end.isoformat() and later["externalId"] != first["externalId"]
    assert _side(later, "credit") == ("4000", Decimal("187.35"))
    assert revenue.exceptions() == []
    revenue.concord.close()


FIXED_FEE = {
    "number": "SOW-FF-1",
    "name": "Globex ERP rollout (fixed fee)",
    "pricing_model": "fixed_fee",
    "total_value": {"amount": "100000.00", "currency": "USD"},
    "billing_plan": {
        "basis": "milestone",
        "lines": [
            {
                "description": "Design",
                "amount": {"amount": "40000.00", "currency": "USD"},
                "milestone_name": "Design sign-off",
            },
            {
                "description": "Go-live",
                "amount": {"amount": "60000.00", "currency": "USD"},
                "milestone_name": "Go-live",
            },
        ],
    },
    "revenue_plan": {"basis": "milestone_acceptance"},
}


def test_a_fixed_fee_milestone_is_recognised_on_completion_for_its_plan_amount_once(
    world: World, tmp_path: Path
) -> None:
    revenue = RevenueWorld(world, tmp_path, FIXED_FEE)
    today = datetime.now(UTC).date()
    design = revenue.milestone("Design sign-off", 4_000_000, revenue.months[0][1])
    revenue.milestone("Go-live", 6_000_000, revenue.months[-1][1])
    revenue.run()
    assert revenue.journals() == []  # nothing completed yet

    revenue.complete(design)
    revenue.run()

    (journal,) = revenue.journals()
    assert _side(journal, "debit") == ("1250", Decimal("40000.00"))
    assert _side(journal, "credit") == ("4000", Decimal("40000.00"))
    assert journal["tranDate"] == today.isoformat()
    assert "on a milestone" in journal["memo"]
    assert revenue.exceptions() == []

    revenue.run()
    revenue.replay()
    assert len(revenue.journals()) == 1
    revenue.concord.close()


def test_a_subscription_is_recognised_straight_line_per_period_through_the_current_one(
    world: World, tmp_path: Path
) -> None:
    months = {back: _month(datetime.now(UTC).date(), back) for back in (3, 2, 1, 0, -1)}
    subscription = {
        "number": "SOW-MS-1",
        "name": "Globex managed service",
        "pricing_model": "subscription",
        "total_value": {"amount": "5000.00", "currency": "USD"},
        "end_date": months[-1][1].isoformat(),
        "billing_plan": {"basis": "subscription_period", "frequency": "monthly", "lines": []},
        "revenue_plan": {"basis": "straight_line"},
    }
    revenue = RevenueWorld(world, tmp_path, subscription)
    revenue.run()
    journals = revenue.journals()
    # Three months back (closed) to this month: four shares of 1000.00; next month's is not due yet. The
    # closed month's share is a catch-up booked at the end of the first open month after it.
    assert [_side(j, "credit") for j in journals] == [("4100", Decimal("1000.00"))] * 4
    assert all(_side(j, "debit")[0] == "2400" for j in journals)
    periods = sorted((j["custbody_concord_period_start"], j["tranDate"]) for j in journals)
    expected = [(months[3][0], months[2][1])] + [months[back] for back in (2, 1, 0)]
    assert periods == [(start.isoformat(), end.isoformat()) for start, end in expected]
    assert len({j["externalId"] for j in journals}) == 4
    assert revenue.exceptions() == []

    revenue.run()
    revenue.replay()
    assert len(revenue.journals()) == 4
    revenue.concord.close()


def test_time_on_a_project_that_names_no_contract_opens_one_exception_and_recognises_nothing(
    world: World, tmp_path: Path
) -> None:
    revenue = RevenueWorld(world, tmp_path, TIME_AND_MATERIALS, names_contract=False)
    start, _ = revenue.months[1]
    revenue.approve(start + timedelta(days=1), 480, 18735)
    revenue.approve(start + timedelta(days=2), 480, 18735)
    revenue.run()
    assert revenue.journals() == []

    (held,) = revenue.exceptions()
    assert held["category"] == "validation" and held["business_type"] == "Project"
    assert held["message"] == (
        f"Revenue of project 'Globex ERP rollout' in {start:%b %Y} was not recognised: its project in "
        "NetSuite "
        "names no contract, so its recognition basis is unknown."
    )
    revenue.approve(start + timedelta(days=3), 480, 18735)  # the month runs again: not reported twice
    revenue.run()
    assert len(revenue.exceptions()) == 1
    revenue.concord.close()
