"""Opportunity to project end to end over the Salesforce, Kantata and NetSuite emulators, engine built
from configuration: a won deal is provisioned exactly once (customer, project, milestones, contract, ids
written back and cross-referenced both ways); a deal that cannot be provisioned raises one exception in
business words and creates nothing, and goes through once the cause is fixed; an ERP contract refused
after the project exists puts the project on hold, flagged; reopening, re-winning and replaying change
nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from provisioning_world import ACCOUNT, LINES, World, run, settle
from provisioning_world import DEAL as PROVISIONED_DEAL

from concord.bootstrap import Concord
from concord.domain.ids import new_id
from concord.domain.messages import CommandEnvelope
from concord.domain.tracing import TraceContext
from concord.engine.model import FlowInstance
from concord.engine.ports import Succeeded

MASTER = ("BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry")
MASTER = (*MASTER, "Tax_Id__c", "Tax_Profile__c")
"""The account fields of a complete customer master beyond its currency: billing address, tax profile."""
DEAL = {**PROVISIONED_DEAL, "Amount": 100000}


def won_deal(world: World, account: dict[str, Any] | None = None, **fields: Any) -> str:
    """A won deal of a new account, with its line items; the opportunity's Salesforce id."""
    [account_id] = world.sf_seed("Account", {**ACCOUNT, **(account or {})})
    [deal_id] = world.sf_seed("Opportunity", {**DEAL, "AccountId": account_id, **fields})
    world.sf_seed("OpportunityLineItem", *({**line, "OpportunityId": deal_id} for line in LINES))
    return deal_id


def exceptions(concord: Concord) -> list[dict[str, Any]]:
    with concord.store.transaction() as tx:
        return tx.exceptions.list()


def instance(concord: Concord, deal_global_id: str) -> FlowInstance:
    with concord.store.transaction() as tx:
        found = tx.instances.get(f"opportunity_to_project:{deal_global_id}")
    assert found is not None
    return found


def global_id(concord: Concord, system: str, object_type: str, system_id: str) -> str:
    assert concord.xref is not None
    found = concord.xref.global_id(system, object_type, system_id)
    assert found is not None, f"{system} {object_type} {system_id} is not cross-referenced"
    return found


async def shut(concord: Concord) -> None:
    for connector in concord.connectors.values():
        await connector.aclose()  # type: ignore[attr-defined]
    concord.close()


def test_a_won_deal_is_provisioned_once_with_its_ids_written_back(tmp_path: Path, world: World) -> None:
    deal_id = won_deal(world)
    concord = world.engine(tmp_path)

    async def scenario() -> None:
        await settle(concord)
        assert exceptions(concord) == []

        [customer] = world.ns_records("customer")
        assert customer["companyName"] == "Globex Corporation"
        assert customer["subsidiary"] == world.ids["subsidiary"]

        [project] = world.kantata_records("workspaces")
        assert project["title"] == "Globex ERP rollout"
        assert project["status"]["key"] == 200
        assert Decimal(project["price"]) == Decimal("105600.00")  # 400 h x 195 + 120 h x 230
        assert str(project["rate_card_id"]) == world.ids["rate_card"]
        # Salesforce rolls the products up into the deal's amount (105,600): the fixed fee, split by the
        # template's shares (15, 25, 35, 25 %).
        milestones = world.kantata_records("stories")
        assert [(m["title"], m["budget_estimate_in_cents"], m["due_date"]) for m in milestones] == [
            ("Discovery sign-off", 1584000, "2026-04-26"),
            ("Design sign-off", 2640000, "2026-05-31"),
            ("Build complete", 3696000, "2026-08-09"),
            ("Go-live", 2640000, "2026-09-06"),
        ]
        assert {str(m["workspace_id"]) for m in milestones} == {str(project["id"])}

        [order] = world.ns_records("salesOrder")
        assert order["entity"] == customer["id"]
        assert [Decimal(line["amount"]) for line in order["lines"]["item"]] == [Decimal("105600.00")]
        [schedule] = world.ns_records("billingSchedule")
        assert order["billingSchedule"] == schedule["id"]
        assert [line["milestone"] for line in schedule["lines"]["recurrence"]] == [
            "Discovery sign-off",
            "Design sign-off",
            "Build complete",
            "Go-live",
        ]

        [deal] = await world.sf_query(
            f"SELECT PSA_Project_Id__c, ERP_Contract_Id__c FROM Opportunity WHERE Id = '{deal_id}'"
        )
        assert deal["PSA_Project_Id__c"] == str(project["id"])
        assert deal["ERP_Contract_Id__c"] == order["id"]

        deal_gid = global_id(concord, "salesforce", "Opportunity", deal_id)
        project_gid = global_id(concord, "kantata", "Project", str(project["id"]))
        contract_gid = global_id(concord, "netsuite", "Contract", order["id"])
        assert concord.xref is not None
        assert concord.xref.system_id(project_gid, "kantata", "Project") == str(project["id"])
        assert concord.xref.system_id(contract_gid, "netsuite", "Contract") == order["id"]
        assert order["externalId"] == contract_gid
        [account] = await world.sf_query("SELECT Id FROM Account")
        customer_gid = global_id(concord, "salesforce", "Customer", account["Id"])
        assert global_id(concord, "netsuite", "Customer", customer["id"]) == customer_gid
        stories = {global_id(concord, "kantata", "Milestone", str(m["id"])) for m in milestones}
        assert len(stories) == 4
        assert instance(concord, deal_gid).status.value == "completed"

        # What was made reads back through the same mappings, by global id, from every platform.
        milestone_gid = global_id(concord, "kantata", "Milestone", str(milestones[0]["id"]))
        milestone_read = await get(concord, "kantata", "Milestone", milestone_gid)
        assert milestone_read["record"]["name"] == "Discovery sign-off"
        assert milestone_read["record"]["project_id"] == project_gid
        # Kantata keeps no customer on a project: read alone, it is not a whole canonical Project.
        project_read = await get(concord, "kantata", "Project", project_gid)
        assert project_read["values"]["status"] == "pending" and "customer_id" in project_read["invalid"]
        customer_read = await get(concord, "netsuite", "Customer", customer_gid)
        assert customer_read["record"]["legal_entity_code"] == "US"
        assert (await get(concord, "netsuite", "Customer", new_id())) == {
            "system": "netsuite",
            "global_id": ANY,
            "system_id": None,
            "read_at": ANY,
            "found": False,
        }
        await shut(concord)

    run(scenario())


async def get(concord: Concord, system: str, object_type: str, global_id: str) -> dict[str, Any]:
    """A ``get`` command carried out by a connector, as a flow step's command is."""
    command = CommandEnvelope(
        new_id(),
        new_id(),
        system,
        "get",
        object_type,
        {"global_id": global_id},
        TraceContext.new().traceparent,
    )
    [outcome] = await concord.connectors[system].execute([command])
    assert isinstance(outcome, Succeeded), outcome
    return outcome.result


def writes(world: World) -> dict[str, int]:
    """Writes each platform has received so far (reads and token calls left out)."""
    records = "/services/rest/record/*"
    ns = sum(world_count(world, "netsuite", method=m, path=records) for m in ("POST", "PUT", "PATCH"))
    sf = sum(world_count(world, "salesforce", method=m, path="*/sobjects/*") for m in ("PATCH", "POST"))
    kantata = world.kantata_writes("workspaces") + world.kantata_writes("stories")
    return {"kantata": kantata, "netsuite": ns, "salesforce": sf}


def world_count(world: World, platform: str, **filters: Any) -> int:
    answer = world.admin[platform].get("/__sandbox/requests", params={"limit": 0, **filters})
    return int(answer.json()["total"])


def test_a_deal_reopened_won_again_and_replayed_is_not_provisioned_twice(
    tmp_path: Path, world: World
) -> None:
    deal_id = won_deal(world)
    concord = world.engine(tmp_path)

    async def scenario() -> None:
        await settle(concord)
        done = writes(world)
        await world.sf_update("Opportunity", deal_id, {"StageName": "Negotiation/Review"})
        await settle(concord)
        await world.sf_update(
            "Opportunity", deal_id, {"StageName": "Closed Won", "Description": "Signed again"}
        )
        await settle(concord)
        report = concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), "ops")
        await settle(concord)

        assert report.events >= 3 and report.started == 0
        # Nothing written anywhere but the test's own two edits of the deal in Salesforce.
        assert writes(world) == {**done, "salesforce": done["salesforce"] + 2}
        assert len(world.kantata_records("workspaces")) == 1
        assert len(world.kantata_records("stories")) == 4
        assert len(world.ns_records("salesOrder")) == 1 and len(world.ns_records("customer")) == 1
        assert exceptions(concord) == []
        await shut(concord)

    run(scenario())


def nothing_provisioned(world: World) -> None:
    assert world.ns_records("customer") == [] and world.ns_records("salesOrder") == []
    assert world.kantata_records("workspaces") == []


def provisioned(world: World) -> None:
    assert len(world.ns_records("customer")) == 1 and len(world.ns_records("salesOrder")) == 1
    assert len(world.kantata_records("workspaces")) == 1 and len(world.kantata_records("stories")) == 4


NO_ADVISORY = """\
regions: {North America: US}
delivery_templates:
  Implementation:
    code: TPL-IMPL-STD
    phases:
      - {name: Discover, weeks: 3, milestone: Discovery sign-off, fee_percent: 15}
      - {name: Design, weeks: 5, milestone: Design sign-off, fee_percent: 25}
      - {name: Build, weeks: 10, milestone: Build complete, fee_percent: 35}
      - {name: Deploy, weeks: 4, milestone: Go-live, fee_percent: 25}
"""


@pytest.mark.parametrize(
    ("wrong", "reason", "fix"),
    [
        ({"Region__c": "LATAM"}, "region 'LATAM' maps to no legal entity", {"Region__c": "North America"}),
        ({"Pricing_Model__c": None}, "its pricing model is not set", {"Pricing_Model__c": "Fixed Fee"}),
        (
            {"Service_Line__c": "Advisory"},
            "there is no delivery template for service line 'Advisory'",
            {"Service_Line__c": "Implementation"},
        ),
    ],
    ids=["region", "pricing-model", "template"],
)
def test_a_deal_that_cannot_be_provisioned_raises_one_exception_and_goes_through_once_fixed(
    tmp_path: Path, world: World, wrong: dict[str, Any], reason: str, fix: dict[str, Any]
) -> None:
    config = tmp_path / "provisioning.yaml"
    config.write_text(NO_ADVISORY)
    deal_id = won_deal(world, **wrong)
    concord = world.engine(tmp_path, provisioning=config)

    async def scenario() -> None:
        await settle(concord)
        [refused] = exceptions(concord)
        assert refused["category"] == "validation" and refused["status"] == "open"
        assert refused["message"] == (
            f"Opportunity 'Globex ERP rollout' is Closed Won but was not provisioned: {reason}."
        )
        nothing_provisioned(world)

        # Sales fixes the deal in Salesforce: the newer version is provisioned, and the exception closes.
        await world.sf_update("Opportunity", deal_id, fix)
        await settle(concord)
        provisioned(world)
        [closed] = exceptions(concord)
        assert closed["exception_id"] == refused["exception_id"] and closed["status"] == "resolved"
        deal_gid = global_id(concord, "salesforce", "Opportunity", deal_id)
        assert instance(concord, deal_gid).status.value == "completed"
        await shut(concord)

    run(scenario())


def test_an_incomplete_customer_master_is_refused_and_a_retry_after_the_fix_provisions(
    tmp_path: Path, world: World
) -> None:
    won_deal(world, account=dict.fromkeys(MASTER))
    [account_id] = [row["Id"] for row in world.sf_accounts()]
    concord = world.engine(tmp_path)

    async def scenario() -> None:
        await settle(concord)
        [refused] = exceptions(concord)
        assert refused["category"] == "validation"
        assert refused["message"] == (
            "Opportunity 'Globex ERP rollout' is Closed Won but was not provisioned: the customer master of "
            "'Globex Corporation' is incomplete: it has no billing address, tax profile."
        )
        nothing_provisioned(world)

        # The account is completed in Salesforce (the deal itself does not change): a retry provisions.
        await world.sf_update("Account", account_id, {field: ACCOUNT[field] for field in MASTER})
        outcome = concord.exceptions.retry(refused["exception_id"], "ops")
        assert "started again from its first step" in outcome
        await settle(concord)
        provisioned(world)
        [closed] = exceptions(concord)
        assert closed["status"] == "resolved"
        await shut(concord)

    run(scenario())


def test_an_erp_contract_refused_after_the_project_exists_puts_the_project_on_hold(
    tmp_path: Path, world: World
) -> None:
    deal_id = won_deal(world)
    # The integration's role may not create sales orders: NetSuite refuses every contract for good.
    world.ns_fault(endpoint="PUT /services/rest/record/v1/salesOrder/*", error_rate=1.0, error_status=403)
    concord = world.engine(tmp_path)

    async def scenario() -> None:
        await settle(concord)
        [failure] = exceptions(concord)
        assert failure["category"] == "target_rejected"
        assert (
            "refused step 'contract'" in failure["message"] and "Permission Violation" in failure["message"]
        )
        assert "undoing the steps already done (project)" in failure["message"]
        [project] = world.kantata_records("workspaces")
        assert project["status"]["key"] == 400  # on hold
        [reference] = project["external_references"]
        assert reference["status"] == "failed"
        assert "the ERP contract was not created" in reference["external_status"]
        assert world.ns_records("salesOrder") == []
        deal_gid = global_id(concord, "salesforce", "Opportunity", deal_id)
        assert instance(concord, deal_gid).status.value == "compensated"

        # NetSuite takes contracts again; the retry converges on what exists and finishes the job.
        world.ns_clear_faults()
        concord.exceptions.retry(failure["exception_id"], "ops")
        await settle(concord)
        provisioned(world)
        [project] = world.kantata_records("workspaces")
        assert project["status"]["key"] == 200
        assert project["external_references"][0]["status"] == "successful"
        [deal] = await world.sf_query(f"SELECT ERP_Contract_Id__c FROM Opportunity WHERE Id = '{deal_id}'")
        assert deal["ERP_Contract_Id__c"] == world.ns_records("salesOrder")[0]["id"]
        assert [e["status"] for e in exceptions(concord)] == ["resolved"]
        assert instance(concord, deal_gid).status.value == "completed"
        await shut(concord)

    run(scenario())
