"""Change orders (domain.md §3.6): a change order approved in the CRM makes the contract's next version in
the ERP (its value, not-to-exceed cap and billing plan), adds its value to the PSA project's budgeted fees
and its new milestones to the project, keeping one version history per contract.

A gathering flow keyed by the contract: every change order of one contract is an input of the same
instance (the newest version of each), so they apply one after the other, in order (the version a change
order was written to make, then approval time), never two at once. The instance keeps what Concord decided
(``concord.flows.change_order_plan.Decided``): the version history, the latest version, the budget and the
milestones. A change order already in the history is not applied again, whatever brings it back (a
replay, a re-detection, a retry). A run:

1. ``read``: the contract as the ERP shows it now (a ``get``), when an approved change order waits or an
   earlier run's writes are not all confirmed (otherwise nothing is read or written);
2. ``read_project``: the project delivering the contract (the one provisioned from its deal) in the PSA;
3. ``contract``: the change orders are applied (``concord.domain.change_orders``); one the rules refuse (a
   currency other than the contract's, a reduction below zero, a billing plan that would not add up ...)
   opens one exception about that change order, in business words, and the others go on. The new
   version is upserted in the ERP;
4. ``project``: the project's budgeted fees are set in the PSA and the new milestones upserted there;
5. ``applied``: everything is confirmed; the change orders' earlier exceptions close.

Every write sets a value (the contract version, the budget, a milestone by its global id), so a run that
failed half-way sends what was decided again when it is retried, instead of applying a change order twice.
Nothing is written back onto the CRM's change order: its record has no field for what was applied.
The flow sees canonical records and commands only; which platform records they become is the mappings'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from concord.domain.change_orders import ContractVersion
from concord.domain.findings import Finding, Systems
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.money import Money
from concord.domain.objects import ApprovalState, CanonicalRecord, ChangeOrder, Contract, ProjectBudget
from concord.engine.flows import BusinessRef, Flow, Report, Step, StepContext
from concord.flows.change_order_plan import (
    ChangeOrderPlan,
    ContractFacts,
    Decided,
    changed_after_applying,
    plan_change_orders,
    to_apply,
)
from concord.flows.change_orders_config import ChangeOrderConfig
from concord.flows.provisioning import derived_ids
from concord.flows.systems import named_systems

__all__ = ["FLOW_NAME", "change_orders", "contract_versions"]

FLOW_NAME = "change_orders"
DECIDED = "decided"
"""State key: what Concord decided for the contract (``Decided.to_state``)."""
PSA_WRITES = "psa_writes"
"""State key: the PSA commands of the run in flight, decided by ``contract``, sent by ``project``."""
APPLYING = "applying"
"""State key: change order id → when it changed, of the change orders the run in flight applies."""


def change_orders(config: ChangeOrderConfig) -> Flow:
    """The flow, for the systems and policy of ``config``."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp, crm=systems.crm)

    def key(event: Event) -> str | None:
        contract_id = event.payload.get("contract_id")
        return str(contract_id) if contract_id else None

    def business(event: Event) -> BusinessRef:
        contract_id = str(event.payload["contract_id"])
        label = f"Change orders of contract {contract_id}"
        return BusinessRef("Contract", f"Contract:{contract_id}", label, {"concord": contract_id})

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        decided = _decided(ctx)
        if decided.synced and not to_apply(_change_orders(ctx), decided):
            return []  # nothing waits and everything decided is confirmed
        return [CommandSpec(systems.erp, "get", "Contract", {"global_id": ctx.flow_key})]

    def read_project(ctx: StepContext) -> Sequence[CommandSpec]:
        answers = ctx.results.get("read") or []
        project_id = _project_id(answers[0], _decided(ctx)) if answers else None
        if project_id is None:
            return []  # the contract step says why nothing can be applied
        return [CommandSpec(systems.psa, "get", "Project", {"global_id": project_id})]

    def contract(ctx: StepContext) -> Sequence[CommandSpec]:
        decided, orders, changed_at = _decided(ctx), _change_orders(ctx), ctx.input_times()
        for change_order, finding in changed_after_applying(orders, decided, named):
            ctx.report(_report(change_order, finding, changed_at))
        for change_order in orders:
            if change_order.approval_state is not ApprovalState.APPROVED:
                ctx.settle(_key(change_order), changed_at[change_order.global_id])
        answers = ctx.results.get("read") or []
        if not answers:
            return []
        project = ctx.results.get("read_project") or []
        facts = _facts(answers[0], project[0] if project else None, decided, named)
        plan = plan_change_orders(
            to_apply(orders, decided),
            facts,
            decided,
            named,
            at=datetime.fromisoformat(str(answers[0]["read_at"])),
            price_single_milestone=config.single_milestone_bills_value,
        )
        for change_order, finding in plan.refused:
            ctx.report(_report(change_order, finding, changed_at))
        ctx.state[DECIDED] = plan.decided.to_state()
        ctx.state[PSA_WRITES] = _psa_writes(plan, facts.project_id)
        ctx.state[APPLYING] = {co.global_id: changed_at[co.global_id].isoformat() for co in plan.applied}
        if plan.contract is None:
            return []
        return [CommandSpec(systems.erp, "upsert", "Contract", _json(plan.contract))]

    def project(ctx: StepContext) -> Sequence[CommandSpec]:
        return [
            CommandSpec(systems.psa, str(write["action"]), str(write["object_type"]), write["payload"])
            for write in ctx.state.pop(PSA_WRITES, [])
        ]

    def applied(ctx: StepContext) -> Sequence[CommandSpec]:
        # Every write of the run went through: what was decided is what the systems hold.
        held = ctx.state.get(DECIDED)
        if held and not held.get("synced", True):
            held["synced"] = True
        for change_order_id, at in ctx.state.pop(APPLYING, {}).items():
            ctx.settle(f"ChangeOrder:{change_order_id}", datetime.fromisoformat(at))
        return []

    return Flow(
        name=FLOW_NAME,
        triggers=frozenset({"ChangeOrderChanged"}),
        steps=(
            Step("read", read),
            Step("read_project", read_project),
            Step("contract", contract),
            Step("project", project),
            Step("applied", applied),
        ),
        key=key,
        business=business,
        gather=config.settle.gathering(),
    )


def contract_versions(state: JSON) -> list[ContractVersion]:
    """A contract's versions, oldest first, from its change-order flow instance's state."""
    return list(Decided.from_state(state.get(DECIDED)).history)


def _decided(ctx: StepContext) -> Decided:
    return Decided.from_state(ctx.state.get(DECIDED))


def _change_orders(ctx: StepContext) -> list[ChangeOrder]:
    # The recorder validated every version against the canonical model before it became an event.
    return [ChangeOrder.model_validate(payload) for payload in ctx.inputs]


def _key(change_order: ChangeOrder) -> str:
    return f"ChangeOrder:{change_order.global_id}"


def _report(change_order: ChangeOrder, finding: Finding, changed_at: Mapping[str, datetime]) -> Report:
    """The exception a finding opens, about the change order."""
    ids = {**change_order.system_ids, "concord": change_order.global_id}
    business = BusinessRef("ChangeOrder", _key(change_order), f"Change order {change_order.number}", ids)
    at = changed_at.get(change_order.global_id, change_order.source_changed_at)
    return Report(business, finding.category.value, finding.message, finding.rule, at)


def _shown(answer: JSON) -> JSON:
    shown: JSON = answer.get("record") or answer.get("values") or {}
    return shown


def _project_id(contract_answer: JSON, decided: Decided) -> str | None:
    """The project delivering the contract: the one provisioned from the contract's deal."""
    opportunity_id = _shown(contract_answer).get("opportunity_id")
    if decided.contract is not None and decided.contract.opportunity_id:
        opportunity_id = decided.contract.opportunity_id
    return derived_ids(str(opportunity_id), 0).project if opportunity_id else None


def _facts(
    contract_answer: JSON, project_answer: JSON | None, decided: Decided, named: Systems
) -> ContractFacts:
    """The contract and the project budget from the answers of the read steps."""
    contract: Contract | None = None
    contract_problem: str | None = None
    if not contract_answer.get("found"):
        contract_problem = f"its contract is not in {named.erp_name}"
    elif contract_answer.get("record"):
        contract = Contract.model_validate(contract_answer["record"])
    else:
        contract_problem = (
            f"its contract cannot be read in {named.erp_name}: {contract_answer.get('invalid')}"
        )
    project_id = _project_id(contract_answer, decided)
    if project_answer is None:
        return ContractFacts(contract, None, project_id, contract_problem)
    if not project_answer.get("found"):
        problem = f"the project delivering its contract is not in {named.psa_name}"
        return ContractFacts(contract, None, project_id, contract_problem, problem)
    fees = (_shown(project_answer).get("budget") or {}).get("fees")
    budget = ProjectBudget(fees=None if fees is None else Money(fees["amount"], fees["currency"]))
    return ContractFacts(contract, budget, project_id, contract_problem)


def _psa_writes(plan: ChangeOrderPlan, project_id: str | None) -> list[JSON]:
    """The PSA commands of a plan, as the instance keeps them until the ``project`` step sends them."""
    writes: list[JSON] = []
    if plan.budget is not None and plan.budget.fees is not None and project_id is not None:
        values = {"budget": {"fees": plan.budget.fees.to_json()}}
        writes.append(
            {
                "action": "update",
                "object_type": "Project",
                "payload": {"global_id": project_id, "values": values},
            }
        )
    writes += [{"action": "upsert", "object_type": "Milestone", "payload": _json(m)} for m in plan.milestones]
    return writes


def _json(record: CanonicalRecord) -> JSON:
    return record.model_dump(mode="json", exclude_none=True)
