"""Change orders end to end over the Salesforce, Kantata and NetSuite emulators, engine built from
configuration: after a deal is provisioned, a change order approved in Salesforce makes the contract's
version 2 in NetSuite, the project's budget and a new milestone in Kantata, so that CRM amount + change
orders = PSA budget = ERP contract total; a second one makes version 3; a change order seen again (replayed,
re-detected) changes nothing; one the rules refuse opens one exception in business words."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from provisioning_world import ACCOUNT, DEAL, LINES, World, run, settle

from concord.bootstrap import Concord
from concord.flows.change_orders import FLOW_NAME, contract_versions

SETTLE = "settle: {quiet_s: 0.05, max_wait_s: 0.5}\n"


class ChangeOrderWorld:
    """A won deal of a new account, provisioned; Concord runs opportunity-to-project and change orders."""

    def __init__(self, world: World, tmp_path: Path) -> None:
        self.world = world
        [account] = world.sf_seed("Account", ACCOUNT)
        [self.deal] = world.sf_seed("Opportunity", {**DEAL, "AccountId": account})
        world.sf_seed("OpportunityLineItem", *({**line, "OpportunityId": self.deal} for line in LINES))
        user = {"Username": "dana@globex.example", "LastName": "Controller", "FirstName": "Dana"}
        [self.approver] = world.sf_seed("User", {**user, "Email": "dana@globex.example"})
        config = tmp_path / "change_orders.yaml"
        config.write_text(SETTLE)
        flows = ["opportunity_to_project", "change_orders"]
        self.concord: Concord = world.engine(tmp_path, flows=flows, change_orders=config)
        self.numbers = 0

    async def settle(self) -> None:
        """Run the worker until nothing is left (gathered change orders wait a moment to settle)."""
        await settle(self.concord, steps=600, quiet=15)

    def raise_order(self, amount: str, hours: int, *, milestones: str | None = None, **fields: Any) -> str:
        """A change order on the deal, Submitted; its Salesforce id."""
        self.numbers += 1
        body = {
            "Name": f"CO-{self.numbers:02d} Globex ERP rollout",
            "Opportunity__c": self.deal,
            "Delta_Amount__c": amount,
            "Delta_Hours__c": hours,
            "CurrencyIsoCode": "USD",
            "Status__c": "Submitted",
            "Description__c": "Additional integration scope requested by the client",
            "New_Milestones__c": milestones,
            **fields,
        }
        [order] = self.world.sf_seed("Change_Order__c", body)
        return order

    async def approve(self, order: str, day: int) -> None:
        approved = {"Status__c": "Approved", "Approved_By__c": self.approver}
        approved["Approved_Date__c"] = f"2026-05-{day:02d}T10:00:00.000+0000"
        await self.world.sf_update("Change_Order__c", order, approved)

    async def figures(self) -> tuple[Decimal, Decimal, Decimal]:
        """(CRM amount + approved change orders, PSA budgeted fees, ERP contract total)."""
        [deal] = await self.world.sf_query(f"SELECT Amount FROM Opportunity WHERE Id = '{self.deal}'")
        orders = await self.world.sf_query(
            "SELECT Delta_Amount__c FROM Change_Order__c WHERE Status__c = 'Approved'"
        )
        crm = Decimal(str(deal["Amount"])) + sum(
            (Decimal(str(o["Delta_Amount__c"])) for o in orders), Decimal(0)
        )
        [project] = self.world.kantata_records("workspaces")
        return crm, Decimal(project["price"]), sum(self.order_lines(), Decimal(0))

    def order(self) -> dict[str, Any]:
        [order] = self.world.ns_records("salesOrder")
        return order

    def order_lines(self) -> list[Decimal]:
        return [Decimal(str(line["amount"])) for line in self.order()["lines"]["item"]]

    def versions(self) -> list[tuple[int, str | None, Decimal]]:
        """The contract's versions as the flow instance keeps them: (version, change order, value)."""
        xref = self.concord.xref
        assert xref is not None
        contract = xref.global_id("netsuite", "Contract", self.order()["id"])
        with self.concord.store.transaction() as tx:
            instance = tx.instances.get(f"{FLOW_NAME}:{contract}")
        assert instance is not None
        return [
            (v.version, v.change_order_number, v.total_value.amount)
            for v in contract_versions(instance.state)
        ]

    def milestones(self) -> list[tuple[str, int]]:
        return [(s["title"], s["budget_estimate_in_cents"]) for s in self.world.kantata_records("stories")]

    def exceptions(self) -> list[dict[str, Any]]:
        with self.concord.store.transaction() as tx:
            return [e for e in tx.exceptions.list(limit=1000) if e["status"] == "open"]

    def writes(self) -> dict[str, int]:
        """Writes NetSuite and Kantata have received so far (reads left out)."""
        records = "/services/rest/record/*"
        netsuite = sum(self._count("netsuite", method=m, path=records) for m in ("POST", "PUT", "PATCH"))
        return {
            "netsuite": netsuite,
            "kantata": self.world.kantata_writes("workspaces") + self.world.kantata_writes("stories"),
        }

    def _count(self, platform: str, **filters: Any) -> int:
        answer = self.world.admin[platform].get("/__sandbox/requests", params={"limit": 0, **filters})
        return int(answer.json()["total"])

    async def shut(self) -> None:
        for connector in self.concord.connectors.values():
            await connector.aclose()  # type: ignore[attr-defined]
        self.concord.close()


def test_approved_change_orders_make_versions_2_and_3_and_keep_crm_psa_and_erp_in_line(
    world: World, tmp_path: Path
) -> None:
    orders = ChangeOrderWorld(world, tmp_path)

    async def scenario() -> None:
        await orders.settle()
        assert await orders.figures() == (Decimal("105600"), Decimal("105600"), Decimal("105600"))
        first = orders.raise_order("12000", 60, milestones="Data migration wave 2 acceptance, due 2026-08-28")
        await orders.settle()
        assert orders.order_lines() == [Decimal("105600.00")], "a submitted change order changes nothing"

        await orders.approve(first, 4)
        await orders.settle()
        assert orders.exceptions() == []
        assert await orders.figures() == (Decimal("117600"), Decimal("117600"), Decimal("117600"))
        order = orders.order()
        assert str(order["custbody_concord_version"]) == "2"
        assert orders.milestones()[-1] == ("Data migration wave 2 acceptance", 1200000)
        [schedule] = world.ns_records("billingSchedule")
        recurrences = schedule["lines"]["recurrence"]
        assert [(r["milestone"], Decimal(str(r["amount"]))) for r in recurrences][-1] == (
            "Data migration wave 2 acceptance",
            Decimal("12000.00"),
        )
        assert orders.versions() == [
            (1, None, Decimal("105600.00")),
            (2, "CO-01 Globex ERP rollout", Decimal("117600.00")),
        ]

        second = orders.raise_order("4800", 24, milestones="Extra training, due 2026-09-04, 4800.00")
        await orders.approve(second, 6)
        await orders.settle()
        assert orders.exceptions() == []
        assert await orders.figures() == (Decimal("122400"), Decimal("122400"), Decimal("122400"))
        assert str(orders.order()["custbody_concord_version"]) == "3"
        assert [v[:2] for v in orders.versions()] == [
            (1, None),
            (2, "CO-01 Globex ERP rollout"),
            (3, "CO-02 Globex ERP rollout"),
        ]
        assert len(orders.milestones()) == 6 and len(world.ns_records("salesOrder")) == 1
        await orders.shut()

    run(scenario(), timeout_s=120)


def test_a_change_order_seen_again_changes_nothing(world: World, tmp_path: Path) -> None:
    orders = ChangeOrderWorld(world, tmp_path)

    async def scenario() -> None:
        await orders.settle()
        first = orders.raise_order("12000", 60, milestones="Data migration wave 2 acceptance, due 2026-08-28")
        await orders.approve(first, 4)
        await orders.settle()
        done, figures, versions = orders.writes(), await orders.figures(), orders.versions()
        assert figures[2] == Decimal("117600") and len(versions) == 2

        # Re-detected: someone edits the approved change order's description in Salesforce.
        await world.sf_update(
            "Change_Order__c", first, {"Description__c": "Second migration wave (typo fixed)"}
        )
        await orders.settle()
        # Replayed: every event Concord recorded is dispatched again.
        report = orders.concord.replayer.time_range(
            datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), "ops"
        )
        await orders.settle()

        assert report.events >= 3
        assert orders.writes() == done
        assert await orders.figures() == figures and orders.versions() == versions
        assert str(orders.order()["custbody_concord_version"]) == "2"
        assert orders.exceptions() == []
        await orders.shut()

    run(scenario(), timeout_s=120)


def test_a_refused_change_order_opens_one_exception_and_changes_nothing(world: World, tmp_path: Path) -> None:
    orders = ChangeOrderWorld(world, tmp_path)

    async def scenario() -> None:
        await orders.settle()
        done = orders.writes()
        euros = orders.raise_order("9000", 40, CurrencyIsoCode="EUR")
        await orders.approve(euros, 5)
        await orders.settle()
        [refused] = orders.exceptions()
        assert refused["category"] == "validation" and refused["business_type"] == "ChangeOrder"
        contract = orders.order()["tranId"]
        assert refused["message"] == (
            f"Change order CO-01 Globex ERP rollout was not applied to contract {contract}: "
            "it is in EUR but the contract is in USD."
        )
        assert orders.writes() == done
        assert await orders.figures() == (Decimal("114600"), Decimal("105600"), Decimal("105600"))

        # Another change order to the same contract runs the instance again: still one exception.
        fine = orders.raise_order("2400", 12, milestones="Extra workshop, 2400.00")
        await orders.approve(fine, 6)
        await orders.settle()
        assert [e["exception_id"] for e in orders.exceptions()] == [refused["exception_id"]]
        assert sum(orders.order_lines(), Decimal(0)) == Decimal("108000.00")
        await orders.shut()

    run(scenario(), timeout_s=120)
