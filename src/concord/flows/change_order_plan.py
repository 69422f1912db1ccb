"""What the change-order flow decides, as pure functions: which approved change orders of a contract are
still to apply and in what order, the contract version, project budget and milestones they make, and what
to send so the ERP and the PSA hold them.

The flow keeps, per contract, what Concord decided (``Decided``): the contract's version history, the
latest version, the project budget and the milestones change orders added, and whether every system
confirmed them. A change order already in the history is never applied again, whatever brings it back
(a replay, a re-detection, a retry). When the writes of a run did not all go through, the next run sends
what was decided again instead of applying anything twice: every write sets a value (the contract's
version, the budget's fees, a milestone by its global id), so sending it again converges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pydantic import TypeAdapter

from concord.domain.change_orders import ContractVersion, apply_change_order, first_version
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems
from concord.domain.ids import id_time
from concord.domain.keys import Stamp, stable_id
from concord.domain.messages import JSON
from concord.domain.money import Money
from concord.domain.objects import (
    ApprovalState,
    BillingBasis,
    ChangeOrder,
    Contract,
    Milestone,
    MilestoneStatus,
    PlannedMilestone,
    ProjectBudget,
)

__all__ = [
    "ChangeOrderPlan",
    "ContractFacts",
    "Decided",
    "changed_after_applying",
    "milestone_id",
    "plan_change_orders",
    "price_new_milestones",
    "to_apply",
]

_VERSION = TypeAdapter(ContractVersion)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Decided:
    """What Concord decided for one contract, as the flow instance keeps it."""

    history: tuple[ContractVersion, ...] = ()
    """Every version of the contract, oldest first (empty until the first change order is applied)."""
    contract: Contract | None = None
    """The latest version Concord decided: what the ERP should hold."""
    budget: ProjectBudget | None = None
    """The project budget Concord decided last: what the PSA should hold."""
    milestones: tuple[Milestone, ...] = ()
    """The milestones change orders added to the project."""
    synced: bool = True
    """Whether the ERP and the PSA confirmed all of it (not while a run's writes are in flight or failed)."""

    def applied(self, change_order_id: str) -> ContractVersion | None:
        """The version a change order made, if it was applied."""
        return next((v for v in self.history if v.change_order_id == change_order_id), None)

    def to_state(self) -> JSON:
        """The JSON the flow instance keeps."""
        return {
            "history": [_VERSION.dump_python(version, mode="json") for version in self.history],
            "contract": None if self.contract is None else self.contract.model_dump(mode="json"),
            "budget": None if self.budget is None else self.budget.model_dump(mode="json", exclude_none=True),
            "milestones": [m.model_dump(mode="json") for m in self.milestones],
            "synced": self.synced,
        }

    @classmethod
    def from_state(cls, held: JSON | None) -> Decided:
        """What ``to_state`` kept (nothing decided yet when ``held`` is empty)."""
        if not held:
            return cls()
        contract, budget = held.get("contract"), held.get("budget")
        return cls(
            history=tuple(_VERSION.validate_python(version) for version in held.get("history", [])),
            contract=None if contract is None else Contract.model_validate(contract),
            budget=None if budget is None else ProjectBudget.model_validate(budget),
            milestones=tuple(Milestone.model_validate(m) for m in held.get("milestones", [])),
            synced=bool(held.get("synced", True)),
        )


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """The contract and its project as the ERP and the PSA show them now."""

    contract: Contract | None
    """The ERP's contract; None when it is not there or cannot be used (``contract_problem`` says why)."""
    budget: ProjectBudget | None
    """The PSA project's budget; None when the project cannot be used (``project_problem`` says why)."""
    project_id: str | None = None
    contract_problem: str | None = None
    project_problem: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeOrderPlan:
    """What a run decided: the new ``Decided`` and what to send to bring the systems to it."""

    decided: Decided
    contract: Contract | None = None
    """The contract version to upsert in the ERP; None: nothing to send."""
    budget: ProjectBudget | None = None
    """The project budget to set in the PSA; None: nothing to send."""
    milestones: tuple[Milestone, ...] = ()
    """The milestones to upsert in the PSA."""
    applied: tuple[ChangeOrder, ...] = ()
    refused: tuple[tuple[ChangeOrder, Finding], ...] = ()

    @property
    def sends(self) -> bool:
        """Whether anything is to be written."""
        return self.contract is not None or self.budget is not None or bool(self.milestones)


def _order(change_order: ChangeOrder) -> tuple[bool, int, datetime, str]:
    # The version a change order was written to make orders it first; then approval time and number.
    version = change_order.contract_version
    return (version is None, version or 0, change_order.approved_at or _LATEST, change_order.number)


def to_apply(change_orders: Iterable[ChangeOrder], decided: Decided) -> list[ChangeOrder]:
    """The approved change orders not applied yet, in the order they apply."""
    waiting = [
        co
        for co in change_orders
        if co.approval_state is ApprovalState.APPROVED and decided.applied(co.global_id) is None
    ]
    return sorted(waiting, key=_order)


def changed_after_applying(
    change_orders: Iterable[ChangeOrder], decided: Decided, systems: Systems
) -> list[tuple[ChangeOrder, Finding]]:
    """Applied change orders whose value was changed in the CRM since: the contract is not changed again
    (a change order is applied once); people must raise a new change order for the difference."""
    found = []
    for co in change_orders:
        version = decided.applied(co.global_id)
        if version is None or version.delta_value is None or version.delta_value == co.delta_value:
            continue
        message = (
            f"Change order {co.number} was changed in {systems.crm_name} after Concord applied it to the "
            f"contract (version {version.version}): its value is now {co.delta_value}, it was applied as "
            f"{version.delta_value}. A change order is applied once; raise a new change order for the "
            "difference."
        )
        finding = Finding(
            FindingCategory.CONFLICT,
            "change_order.changed_after_applied",
            message,
            RecordRef.of(co, co.number),
        )
        found.append((co, finding))
    return found


def price_new_milestones(change_order: ChangeOrder, contract: Contract) -> ChangeOrder:
    """A change order to a contract billed by milestones that names exactly one new milestone without a
    fee: that milestone bills the part of the change's value the others do not (the CRM form has no fee
    per milestone). Any other change order is returned as it is."""
    if contract.billing_plan.basis is not BillingBasis.MILESTONE:
        return change_order
    value = change_order.delta_value.round()
    unpriced = [i for i, m in enumerate(change_order.new_milestones) if m.amount is None]
    if len(unpriced) != 1 or value.currency != contract.currency:
        return change_order
    priced = Money.sum(
        (m.amount for m in change_order.new_milestones if m.amount is not None), value.currency
    )
    rest = value - priced
    if rest.amount <= 0:
        return change_order
    milestones = list(change_order.new_milestones)
    milestones[unpriced[0]] = milestones[unpriced[0]].replace(amount=rest)
    return change_order.replace(new_milestones=tuple(milestones))


def milestone_id(change_order_id: str, index: int) -> str:
    """The global id of a change order's ``index``-th new milestone, the same however often derived."""
    return stable_id("change-order-milestone", change_order_id, index, on=id_time(change_order_id).date())


def _milestones(
    change_order: ChangeOrder, planned: Sequence[PlannedMilestone], project_id: str, stamp: Stamp
) -> tuple[Milestone, ...]:
    return tuple(
        Milestone.model_validate(
            {
                **stamp.envelope(),
                "global_id": milestone_id(change_order.global_id, index),
                "project_id": project_id,
                "name": m.name,
                "amount": None if m.amount is None else m.amount.to_json(),
                "due_date": m.due_date,
                "status": MilestoneStatus.OPEN,
            }
        )
        for index, m in enumerate(planned)
    )


def _refusal(
    change_order: ChangeOrder, rule: str, reason: str, category: FindingCategory = FindingCategory.CONFLICT
) -> Finding:
    message = f"Change order {change_order.number} was not applied: {reason}."
    return Finding(category, f"change_order.{rule}", message, RecordRef.of(change_order, change_order.number))


def _base(facts: ContractFacts, decided: Decided, systems: Systems) -> Contract | str:
    """The contract the change orders apply to, or why they cannot apply now.

    Concord's latest version while it has one (the ERP may not keep a contract's version number); once the
    ERP confirmed it, a different value in the ERP means someone changed the contract there, which Concord
    does not guess around.
    """
    if facts.project_problem is not None:
        return facts.project_problem
    erp, ours = facts.contract, decided.contract
    if ours is None:
        return (
            erp if erp is not None else facts.contract_problem or f"its contract is not in {systems.erp_name}"
        )
    if decided.synced and erp is not None and erp.total_value != ours.total_value:
        return (
            f"contract {ours.number} is worth {erp.total_value} in {systems.erp_name}, but its version "
            f"{ours.version} that Concord made is worth {ours.total_value}: it was changed in "
            f"{systems.erp_name} outside a change order. Bring the two in line, then retry"
        )
    return ours


def _budget_base(facts: ContractFacts, decided: Decided) -> ProjectBudget | None:
    # While the PSA has not confirmed Concord's last budget, that one is the base (adding to the PSA's
    # older figure again would count a change order twice); otherwise the PSA's, people may have moved it.
    if not decided.synced and decided.budget is not None:
        return decided.budget
    return facts.budget


def plan_change_orders(
    change_orders: Sequence[ChangeOrder],
    facts: ContractFacts,
    decided: Decided,
    systems: Systems,
    *,
    at: datetime,
    price_single_milestone: bool = True,
) -> ChangeOrderPlan:
    """Apply the change orders (``to_apply`` order) to the contract and the project budget.

    Args:
        change_orders: approved change orders not applied yet, in the order they apply.
        facts: the contract and the project as the ERP and the PSA show them now.
        decided: what Concord decided for the contract before.
        systems: the systems and their names, for the messages.
        at: when the facts were read; the new versions carry it.
        price_single_milestone: apply ``price_new_milestones`` first.

    Returns:
        The new ``Decided``, what to send, and each change order applied or refused with a finding.
        What a previous run decided but the systems did not confirm is sent again.
    """
    base = _base(facts, decided, systems)
    if isinstance(base, str) or facts.project_id is None:
        reason = base if isinstance(base, str) else "Concord cannot tell which project delivers its contract"
        return _resend(decided, [(co, _refusal(co, "facts_unusable", reason)) for co in change_orders])
    history = decided.history or (first_version(base),)
    contract, budget = base, _budget_base(facts, decided)
    milestones = list(decided.milestones)
    applied: list[ChangeOrder] = []
    refused: list[tuple[ChangeOrder, Finding]] = []
    for original in change_orders:
        change_order = price_new_milestones(original, contract) if price_single_milestone else original
        stamp = Stamp(change_order.correlation_id, at)
        budget_problem = _budget_currency(budget, contract, change_order)
        if budget_problem is not None:
            refused.append((original, budget_problem))
            continue
        result = apply_change_order(contract, change_order, stamp=stamp, history=history, budget=budget)
        if result.findings:
            refused.extend((original, finding) for finding in result.findings)
            continue
        if result.already_applied:
            continue
        contract, history, budget = result.contract, result.history, result.budget
        milestones += _milestones(change_order, result.new_milestones, facts.project_id, stamp)
        applied.append(original)
    if not applied:
        return _resend(decided, refused)
    new = Decided(history, contract, budget, tuple(milestones), synced=False)
    added = tuple(milestones[len(decided.milestones) :])
    resent = () if decided.synced else decided.milestones
    return ChangeOrderPlan(new, contract, budget, resent + added, tuple(applied), tuple(refused))


def _budget_currency(
    budget: ProjectBudget | None, contract: Contract, change_order: ChangeOrder
) -> Finding | None:
    fees = None if budget is None else budget.fees
    if fees is None or fees.currency == change_order.delta_value.currency:
        return None
    if change_order.delta_value.currency != contract.currency:
        return None  # the contract's own check says so, in its words
    reason = (
        f"the project's budgeted fees are in {fees.currency} but the change order and the contract are in "
        f"{change_order.delta_value.currency}"
    )
    return _refusal(change_order, "budget_currency", reason, FindingCategory.VALIDATION)


def _resend(decided: Decided, refused: Sequence[tuple[ChangeOrder, Finding]]) -> ChangeOrderPlan:
    """Nothing new applied: what the systems did not confirm yet is sent again, nothing else."""
    if decided.synced or decided.contract is None:
        return ChangeOrderPlan(decided, refused=tuple(refused))
    return ChangeOrderPlan(
        replace(decided, synced=False),
        decided.contract,
        decided.budget,
        decided.milestones,
        refused=tuple(refused),
    )
