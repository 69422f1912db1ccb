"""Billing over the Kantata and NetSuite emulators: approved billable time becomes a NetSuite invoice per
billing period, created from the contract's sales order, at hours times rate to the cent with the
drill-back to every entry; the not-to-exceed cap bills up to it and opens one exception for the rest; a
completed milestone is invoiced its billing plan line; a subscription is invoiced per elapsed period when
the ERP's accounting periods move; replays and runs again bill nothing twice.

The contracts are written to NetSuite through the connector, as opportunity-to-project writes them, and the
flows read them back from there. Dates are relative to today: the flows bill periods that have ended."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger_world import USER, LedgerWorld, config_file, log_time, seed_customer, seed_job, workspace
from provisioning_world import World

from concord.connectors.base import spec_options
from concord.connectors.netsuite import NetSuiteClient, NetSuiteSpec
from concord.domain.ids import new_id
from concord.domain.objects import Contract
from concord.domain.periods import add_months
from concord.domain.tracing import TraceContext

TODAY = datetime.now(UTC).date()
THIS_MONTH = TODAY.replace(day=1)
START = add_months(THIS_MONTH, -2)  # two billing periods have ended, the third is running
FIRST_PERIOD_END = add_months(START, 1) - timedelta(days=1)


class BillingWorld(LedgerWorld):
    """One customer, one project known to both systems and linked in Concord's cross-reference, one
    consultant; the contract is written to NetSuite through Concord's connector."""

    def __init__(self, world: World, tmp_path: Path, **policy: str) -> None:
        super().__init__(world)
        self.customer = seed_customer(world, currency={"id": "1"})
        self.contract_id, self.project = new_id(), new_id()
        self.job = seed_job(
            world,
            self.customer,
            name="Globex data platform",
            start=START.isoformat(),
            custentity_concord_contract=self.contract_id,
        )
        self.workspace = workspace(
            world,
            title="Globex data platform",
            start=START.isoformat(),
            require_time_approvals=True,
            status_key=300,
            currency="USD",
        )
        billing = config_file(tmp_path, "billing", **policy)
        self.concord = world.engine(tmp_path, flows=["billing"], billing=billing)
        xref = self.concord.xref
        assert xref is not None
        self.customer_gid, self.resource = new_id(), new_id()
        xref.link(self.project, "kantata", "Project", self.workspace)
        xref.link(self.project, "netsuite", "Project", self.job)
        xref.link(self.resource, "kantata", "Resource", USER)
        xref.link(self.customer_gid, "netsuite", "Customer", self.customer)
        self.trace = TraceContext.new()

    # -- the contract, written as opportunity-to-project writes it -----------------------------------------

    def contract(self, pricing: str, **fields: Any) -> Contract:
        plans = {
            "time_and_materials": {"basis": "time_and_materials_period", "frequency": "monthly"},
            "fixed_fee": {
                "basis": "milestone",
                "lines": [
                    {
                        "description": "Design sign-off",
                        "milestone_name": "Design sign-off",
                        "amount": {"amount": "40000.00", "currency": "USD"},
                    },
                    {
                        "description": "Go-live",
                        "milestone_name": "Go-live",
                        "amount": {"amount": "60000.00", "currency": "USD"},
                    },
                ],
            },
        }
        revenue = {"time_and_materials": "as_delivered", "fixed_fee": "milestone_acceptance"}
        values: dict[str, Any] = {
            "global_id": self.contract_id,
            "source_system": "concord",
            "source_changed_at": datetime.now(UTC),
            "correlation_id": self.trace.trace_id,
            "number": f"SOW-{self.contract_id[-6:]}",
            "name": "Globex data platform",
            "customer_id": self.customer_gid,
            "legal_entity_code": "US",
            "pricing_model": pricing,
            "currency": "USD",
            "total_value": {"amount": "100000.00", "currency": "USD"},
            "start_date": START,
            "end_date": add_months(START, 6) - timedelta(days=1),
            "billing_plan": plans.get(pricing),
            "revenue_plan": {"basis": revenue.get(pricing, "straight_line")},
            **fields,
        }
        made = Contract.model_validate(values)
        self.write(
            ("Contract", made.model_dump(mode="json", exclude_none=True)), traceparent=self.trace.traceparent
        )
        return made

    # -- the PSA -----------------------------------------------------------------------------------------

    def approve(
        self, *days: date, minutes: int = 450, rate_cents: int = 20000, billable: bool = True
    ) -> list[str]:
        """Log time on ``days`` and approve it on one timesheet; returns the Kantata entry ids."""
        logged = [day.isoformat() for day in days]
        fields = {"time_in_minutes": minutes, "rate_in_cents": rate_cents, "billable": billable}
        return log_time(self.world, self.workspace, logged, **fields)

    def milestone(self, title: str, cents: int) -> str:
        story = {
            "title": title,
            "story_type": "milestone",
            "workspace_id": self.workspace,
            "budget_estimate_in_cents": cents,
            "due_date": (START + timedelta(days=40)).isoformat(),
        }
        body = self.world.kantata_api("POST", "stories.json", {"story": story})
        return str(body["results"][0]["id"])

    def complete(self, story_id: str) -> None:
        self.world.kantata_api("PUT", f"stories/{story_id}.json", {"story": {"state": "completed"}})

    # -- running and looking -----------------------------------------------------------------------------

    def invoices(self) -> list[dict[str, Any]]:
        return self.ns_list("invoice")

    def entry_gid(self, kantata_id: str) -> str | None:
        assert self.concord.xref is not None
        return self.concord.xref.global_id("kantata", "TimeEntry", kantata_id)

    def netsuite_update(self, record_type: str, record_id: str, body: dict[str, Any]) -> None:
        """Change a NetSuite record as a person would (through the REST API, on its own client)."""
        spec = NetSuiteSpec.model_validate(spec_options(self.concord.settings.connectors["netsuite"]))

        async def update() -> None:
            async with NetSuiteClient(spec) as client:
                await client.update(record_type, record_id, body)

        asyncio.run(update())

    def sales_order(self) -> str:
        [order] = self.world.ns_records("salesOrder")
        return str(order["id"])


def _lines(invoice: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = invoice["lines"]["item"]
    return lines


def test_approved_time_of_an_ended_period_is_invoiced_once_at_hours_times_rate(
    world: World, tmp_path: Path
) -> None:
    billing = BillingWorld(world, tmp_path)
    billing.contract("time_and_materials")
    first = START + timedelta(days=1)
    billed = billing.approve(first, first + timedelta(days=1))  # 2 x 7.5 h at 200.00
    billed += billing.approve(first + timedelta(days=2), minutes=255, rate_cents=17550)  # 4.25 h at 175.50
    billing.approve(first + timedelta(days=3), billable=False)  # internal time: never billed
    billing.approve(THIS_MONTH, minutes=60)  # the running period: not due yet
    billing.run()

    [invoice] = billing.invoices()
    # 2 x 1,500.00 + 4.25 h x 175.50 = 745.875, rounded half-up per line to 745.88.
    assert Decimal(invoice["total"]) == Decimal("3745.88")
    assert Decimal(invoice["custbody_concord_amount"]) == Decimal("3745.88")
    assert [Decimal(line["amount"]) for line in _lines(invoice)] == [
        Decimal("1500.00"),
        Decimal("1500.00"),
        Decimal("745.88"),
    ]
    assert invoice["createdFrom"] == billing.sales_order() and invoice["entity"] == billing.job
    assert invoice["externalId"] and invoice["custbody_concord_period_end"] == FIRST_PERIOD_END.isoformat()
    assert len(invoice["custbody_concord_correlation_id"]) == 32  # the trace it can be followed by
    drill_back = [line["custcol_concord_time_entry"] for line in _lines(invoice)]
    assert drill_back == [billing.entry_gid(kantata_id) for kantata_id in billed]
    assert not billing.exceptions()

    # Again, and a replay of everything recorded: nothing is invoiced twice.
    billing.run()
    far = datetime.now(UTC) + timedelta(days=1)
    billing.concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), far, "tester")
    billing.run()
    # Time approved late for the invoiced period waits for the next period's invoice.
    billing.approve(first + timedelta(days=4))
    billing.run()
    assert [i["id"] for i in billing.invoices()] == [invoice["id"]]
    assert not billing.exceptions()
    billing.concord.close()


def test_the_cap_bills_up_to_it_and_one_exception_reports_the_rest(world: World, tmp_path: Path) -> None:
    billing = BillingWorld(world, tmp_path)
    billing.contract("time_and_materials", not_to_exceed={"amount": "2000.00", "currency": "USD"})
    first = START + timedelta(days=1)
    billing.approve(first, first + timedelta(days=1))  # 3,000.00 approved
    billing.run()

    [invoice] = billing.invoices()
    assert Decimal(invoice["total"]) == Decimal("2000.00")
    assert [Decimal(line["amount"]) for line in _lines(invoice)] == [Decimal("1500.00"), Decimal("500.00")]
    [over] = billing.exceptions()
    assert over["category"] == "validation" and over["business_type"] == "Contract"
    assert "reached its not-to-exceed cap of USD 2,000.00: USD 1,000.00" in over["message"]
    billing.run()
    assert len(billing.invoices()) == 1 and len(billing.exceptions()) == 1
    billing.concord.close()


def test_a_completed_milestone_is_invoiced_its_billing_plan_line(world: World, tmp_path: Path) -> None:
    billing = BillingWorld(world, tmp_path)
    billing.contract("fixed_fee")
    design = billing.milestone("Design sign-off", 4000000)
    billing.milestone("Go-live", 6000000)
    billing.run()
    assert billing.invoices() == []  # nothing complete yet

    billing.complete(design)
    billing.run()
    [invoice] = billing.invoices()
    [line] = _lines(invoice)
    assert Decimal(invoice["total"]) == Decimal("40000.00") and line["description"] == "Design sign-off"
    assert invoice["custbody_concord_billing_basis"] == "milestone"
    assert billing.concord.xref is not None
    assert line["custcol_concord_milestone"] == billing.concord.xref.global_id("kantata", "Milestone", design)
    billing.run()
    assert len(billing.invoices()) == 1 and not billing.exceptions()
    billing.concord.close()


def test_a_subscription_is_invoiced_per_elapsed_period_when_the_erp_periods_move(
    world: World, tmp_path: Path
) -> None:
    billing = BillingWorld(world, tmp_path)
    lines = [
        {
            "description": f"Service period {n}",
            "amount": {"amount": "2500.00", "currency": "USD"},
            "due_date": add_months(START, n).isoformat(),
        }
        for n in range(4)
    ]
    plan = {"basis": "subscription_period", "frequency": "monthly", "lines": lines}
    billing.contract(
        "subscription",
        total_value={"amount": "10000.00", "currency": "USD"},
        end_date=add_months(START, 4) - timedelta(days=1),
        billing_plan=plan,
    )
    # The ERP's calendar: the month of today is open (NetSuite dates an invoice the day it creates it).
    world.ns_seed(
        "accountingPeriod",
        {
            "periodName": THIS_MONTH.strftime("%b %Y"),
            "startDate": THIS_MONTH.isoformat(),
            "endDate": (add_months(THIS_MONTH, 1) - timedelta(days=1)).isoformat(),
        },
    )
    billing.run()
    invoices = billing.invoices()
    # The two periods that ended, once each, against the project.
    assert [Decimal(i["total"]) for i in invoices] == [Decimal("2500.00")] * 2
    assert [i["custbody_concord_period_start"] for i in invoices] == [
        START.isoformat(),
        add_months(START, 1).isoformat(),
    ]
    assert {i["entity"] for i in invoices} == {billing.job}

    # Finance opens the next month: the periods move, the run finds nothing new to invoice.
    following = add_months(THIS_MONTH, 1)
    world.ns_seed(
        "accountingPeriod",
        {
            "periodName": following.strftime("%b %Y"),
            "startDate": following.isoformat(),
            "endDate": (add_months(following, 1) - timedelta(days=1)).isoformat(),
        },
    )
    billing.run()
    assert len(billing.invoices()) == 2 and not billing.exceptions()
    billing.concord.close()


def test_an_invoice_a_locked_period_refuses_is_decided_again_when_retried(
    world: World, tmp_path: Path
) -> None:
    billing = BillingWorld(world, tmp_path)
    billing.contract("time_and_materials")
    # NetSuite dates an invoice the day it creates it: this month is locked for receivables.
    period = world.ns_seed(
        "accountingPeriod",
        {
            "periodName": THIS_MONTH.strftime("%b %Y"),
            "startDate": THIS_MONTH.isoformat(),
            "endDate": (add_months(THIS_MONTH, 1) - timedelta(days=1)).isoformat(),
            "arLocked": True,
        },
    )
    billing.approve(START + timedelta(days=1))
    billing.run()
    assert billing.invoices() == []
    [refused] = billing.exceptions()
    assert refused["category"] == "target_rejected"
    assert "locked for Accounts Receivable" in refused["message"]

    # Finance unlocks the period and retries: the same invoice is decided again, and sent once.
    billing.netsuite_update("accountingPeriod", period, {"arLocked": False})
    billing.concord.exceptions.retry(refused["exception_id"], "finance.controller")
    billing.run()
    [invoice] = billing.invoices()
    assert Decimal(invoice["total"]) == Decimal("1500.00")
    billing.run()
    assert len(billing.invoices()) == 1
    billing.concord.close()
