"""Opportunity to project (domain.md §3.1): a deal reaching the contracted stage in the CRM becomes a
customer in the ERP, a project with its milestones in the PSA, and a contract with its billing plan in
the ERP; the project's and the contract's ids are written back onto the opportunity.

One instance per opportunity (its global id is the flow key), so a deal reopened and won again, a
re-detected version or a replayed event never provisions twice. The steps:

1. ``read_deal`` and 2. ``read_customer``: the opportunity and its customer as the CRM shows them now
   (``get`` commands), so the decision rests on current facts, also when it is taken again later;
3. ``validate``: the rules of ``concord.flows.provisioning``; a deal that cannot be provisioned is refused
   with one exception in business words ("Opportunity 'Globex ERP rollout' is Closed Won but was not
   provisioned: region 'LATAM' maps to no legal entity."), and nothing is created. The refused instance
   runs again from the start when the exception is retried or a newer contracted version arrives;
4. ``customer``: the customer upserted in the ERP under the legal entity of the deal's region;
5. ``project``: the project upserted in the PSA from the delivery template (budget from the line items,
   the rate card of its currency), and in the ERP, where time, billing and revenue post against it;
   compensated by putting the PSA's on hold, flagged with the reason;
6. ``milestones``: one per template phase, with its share of a fixed fee;
7. ``contract``: the contract and its billing plan in the ERP;
8. ``write_back``: the PSA and ERP ids onto the opportunity.

If a step after the project fails for good (the ERP refuses the contract), the project is put on hold and
an exception says what happened; once the cause is fixed, retrying the exception runs the flow again and
every step converges on the records already made (their global ids derive from the opportunity's).
The flow sees canonical records and commands only: which fields the platforms use is the mappings' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from concord.domain.keys import Stamp
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import CanonicalRecord, Customer, Opportunity, ProjectStatus
from concord.domain.sla import SlaMeasure
from concord.engine.flows import BusinessRef, Flow, Step, StepContext, StepRefused
from concord.flows.provisioning import NotProvisionable, ProvisioningPlan, plan_provisioning
from concord.flows.provisioning_config import ProvisioningConfig

__all__ = ["FLOW_NAME", "opportunity_to_project"]

FLOW_NAME = "opportunity_to_project"


def opportunity_to_project(config: ProvisioningConfig) -> Flow:
    """The flow, for the systems, stages, regions and templates of ``config``."""
    systems = config.systems

    def key(event: Event) -> str | None:
        # Only a contracted version starts (or, after a refusal, restarts) provisioning; deals closed before
        # Concord was switched on (``provision_from``) belong to the process that ran before.
        deal = event.payload
        if not config.is_contracted(deal.get("stage")) or not config.is_ours(deal.get("close_date")):
            return None
        return str(deal["global_id"])

    def business(event: Event) -> BusinessRef:
        deal = event.payload
        ids = {**deal.get("system_ids", {}), "concord": deal["global_id"]}
        label = f"Opportunity '{deal.get('name') or deal['global_id']}'"
        return BusinessRef("Opportunity", f"Opportunity:{deal['global_id']}", label, ids)

    def read_deal(ctx: StepContext) -> Sequence[CommandSpec]:
        deal = ctx.trigger
        read: JSON = {"global_id": deal["global_id"]}
        if system_id := deal.get("system_ids", {}).get(systems.crm):
            read["system_id"] = system_id
        return [CommandSpec(systems.crm, "get", "Opportunity", read)]

    def read_customer(ctx: StepContext) -> Sequence[CommandSpec]:
        deal = ctx.result("read_deal").get("record")
        if not deal:
            return []  # the deal is gone or unreadable: validate says so
        return [CommandSpec(systems.crm, "get", "Customer", {"global_id": deal["customer_id"]})]

    def plan(ctx: StepContext) -> ProvisioningPlan:
        return _plan(ctx, config)

    def validate(ctx: StepContext) -> Sequence[CommandSpec]:
        plan(ctx)
        return []

    def customer(ctx: StepContext) -> Sequence[CommandSpec]:
        return [CommandSpec(systems.erp, "upsert", "Customer", _json(plan(ctx).customer))]

    def project(ctx: StepContext) -> Sequence[CommandSpec]:
        # The ERP keeps the project too (a NetSuite job): time, billing and revenue post against it.
        made = _json(plan(ctx).project)
        return [
            CommandSpec(systems.psa, "upsert", "Project", made),
            CommandSpec(systems.erp, "upsert", "Project", made),
        ]

    def hold_project(ctx: StepContext) -> Sequence[CommandSpec]:
        if ctx.results.get("contract"):
            return []  # the project and the contract exist: only the write-back failed; nothing to hold
        missing = "its milestones were" if not ctx.results.get("milestones") else "the ERP contract was"
        flag = (
            f"On hold: Concord could not finish provisioning this project from its deal ({missing} not "
            "created); see Concord's exception queue."
        )
        values = {"status": ProjectStatus.ON_HOLD.value}
        payload: JSON = {"global_id": plan(ctx).project.global_id, "values": values, "flag": flag}
        return [CommandSpec(systems.psa, "update", "Project", payload)]

    def milestones(ctx: StepContext) -> Sequence[CommandSpec]:
        return [CommandSpec(systems.psa, "upsert", "Milestone", _json(m)) for m in plan(ctx).milestones]

    def contract(ctx: StepContext) -> Sequence[CommandSpec]:
        return [CommandSpec(systems.erp, "upsert", "Contract", _json(plan(ctx).contract))]

    def write_back(ctx: StepContext) -> Sequence[CommandSpec]:
        made = plan(ctx)
        read = ctx.result("read_deal")
        # The PSA project and the ERP contract exist now: the opportunity-to-project time ends.
        deal = BusinessRef("Opportunity", f"Opportunity:{read['global_id']}", f"'{made.contract.name}'")
        ctx.timed(SlaMeasure.OPPORTUNITY_TO_PROJECT, deal, ctx.occurred_at)
        values = {"project_id": made.project.global_id, "contract_id": made.contract.global_id}
        payload: JSON = {"global_id": read["global_id"], "system_id": read["system_id"], "values": values}
        return [CommandSpec(systems.crm, "update", "Opportunity", payload)]

    return Flow(
        name=FLOW_NAME,
        triggers=frozenset({"OpportunityChanged"}),
        steps=(
            Step("read_deal", read_deal),
            Step("read_customer", read_customer),
            Step("validate", validate),
            Step("customer", customer),
            Step("project", project, compensate=hold_project),
            Step("milestones", milestones),
            Step("contract", contract),
            Step("write_back", write_back),
        ),
        key=key,
        business=business,
    )


def _plan(ctx: StepContext, config: ProvisioningConfig) -> ProvisioningPlan:
    """The records the deal becomes, from what the read steps found; refuses with the reasons why not."""
    trigger = ctx.trigger
    refused = f"Opportunity '{trigger.get('name') or trigger['global_id']}' is {trigger.get('stage')} but was"
    read = ctx.result("read_deal")
    if not read.get("found"):
        raise StepRefused(f"{refused} not provisioned: it is no longer in the CRM.")
    if "invalid" in read:
        raise StepRefused(f"{refused} not provisioned: it cannot be read: {read['invalid']}.")
    deal = Opportunity.model_validate(read["record"])
    label = f"Opportunity '{deal.name}'"
    if not config.is_contracted(deal.stage):
        raise StepRefused(
            f"{label} was {trigger.get('stage')} but was not provisioned: it is in stage '{deal.stage}' now; "
            "it is provisioned when it is contracted again."
        )
    stamp = Stamp(str(trigger.get("correlation_id") or ""), datetime.fromisoformat(read["read_at"]))
    try:
        return plan_provisioning(deal, _customer(ctx), config, stamp)
    except NotProvisionable as refusal:
        raise StepRefused(f"{label} is {deal.stage} but was not provisioned: {refusal}.") from refusal


def _customer(ctx: StepContext) -> Customer | str:
    """The customer as read, or why it cannot be used (in the words of a refusal)."""
    answers = ctx.results.get("read_customer") or []
    if not answers or not answers[0].get("found"):
        return "its customer account is not in the CRM"
    if "invalid" in answers[0]:
        name = (answers[0].get("values") or {}).get("name") or "its account"
        return f"the customer master of '{name}' cannot be used: {answers[0]['invalid']}"
    return Customer.model_validate(answers[0]["record"])


def _json(record: CanonicalRecord) -> JSON:
    return record.model_dump(mode="json", exclude_none=True)
