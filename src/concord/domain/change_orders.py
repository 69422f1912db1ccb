"""Applying an approved change order to its contract: a new version, one history (domain.md §3.6).

A change order approved in the CRM changes the contract's value (and a time-and-materials contract's
not-to-exceed cap by the same amount), adds its milestones to the billing plan (fixed fee: milestones
with an amount become plan lines; subscription with scheduled fees: they become scheduled lines), and
changes the project budget's hours and fees. The contract gets the next version, and the version history
gains one entry naming the change order, its approver and the figures before and after.

Nothing is guessed: a change order that is not approved, is for another contract or version, or would
leave the billing plan not adding up to the contract value is refused with a finding in business words.
Applying the same change order twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from concord.domain.findings import Finding, FindingCategory, RecordRef, format_hours
from concord.domain.hours import Hours
from concord.domain.keys import Stamp
from concord.domain.money import Money
from concord.domain.objects import (
    ApprovalState,
    BillingBasis,
    BillingPlanLine,
    ChangeOrder,
    Contract,
    PlannedMilestone,
    PricingModel,
    ProjectBudget,
)

__all__ = ["ChangeOrderResult", "ContractVersion", "apply_change_order", "apply_to_budget", "first_version"]


@dataclass(frozen=True, slots=True)
class ContractVersion:
    """One version of a contract in its history."""

    version: int
    total_value: Money
    not_to_exceed: Money | None
    billing_plan_total: Money | None
    """Sum of the scheduled billing plan lines; None when the plan schedules none (T&M)."""
    change_order_id: str | None = None
    """The change order that made this version; None for the original contract."""
    change_order_number: str | None = None
    delta_value: Money | None = None
    approver: str | None = None
    approved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChangeOrderResult:
    """The outcome of applying a change order."""

    contract: Contract
    """The new version (or the contract unchanged when refused or already applied)."""
    history: tuple[ContractVersion, ...]
    """Every version so far, oldest first."""
    budget: ProjectBudget | None = None
    """The project budget after the change, when a budget was given."""
    new_milestones: tuple[PlannedMilestone, ...] = ()
    """Milestones to create in the PSA project."""
    findings: tuple[Finding, ...] = ()
    already_applied: bool = False

    @property
    def applied(self) -> bool:
        """Whether this call made a new contract version."""
        return not self.findings and not self.already_applied


def first_version(contract: Contract) -> ContractVersion:
    """The history entry of a contract as it stands (the original when it is version 1)."""
    return ContractVersion(
        version=contract.version,
        total_value=contract.total_value,
        not_to_exceed=contract.not_to_exceed,
        billing_plan_total=_plan_total(contract.billing_plan.lines, contract.currency),
    )


def _plan_total(lines: Sequence[BillingPlanLine], currency: str) -> Money | None:
    return Money.sum((line.amount for line in lines), currency) if lines else None


def apply_to_budget(budget: ProjectBudget, change_order: ChangeOrder) -> ProjectBudget:
    """The project budget with the change order's hours and value added (fees only when budgeted).

    Raises:
        ValueError: when the budget would become negative.
    """
    after = _budget_after(budget, change_order)
    if isinstance(after, str):
        raise ValueError(f"Change order {change_order.number} cannot be applied to the budget: {after}.")
    return after


def _budget_after(budget: ProjectBudget, change_order: ChangeOrder) -> ProjectBudget | str:
    hours = budget.hours
    if hours is not None:
        total = hours + change_order.delta_hours
        if total < 0:
            return (
                f"it removes {format_hours(-change_order.delta_hours)} h "
                f"but the project budget has only {format_hours(hours)} h"
            )
        hours = Hours(total)
    fees = budget.fees
    if fees is not None:
        fees = fees + change_order.delta_value
        if fees.amount < 0:
            return f"it would take the project's budgeted fees below zero ({fees})"
    return budget.replace(hours=hours, fees=fees)


def _refuse(
    contract: Contract, change_order: ChangeOrder, rule: str, reason: str, category: FindingCategory
) -> Finding:
    return Finding(
        category,
        f"change_order.{rule}",
        f"Change order {change_order.number} was not applied to contract {contract.number}: {reason}.",
        RecordRef.of(change_order, change_order.number),
        (RecordRef.of(contract, contract.number),),
    )


def _precondition(contract: Contract, change_order: ChangeOrder) -> Finding | None:
    validation, conflict = FindingCategory.VALIDATION, FindingCategory.CONFLICT
    if change_order.contract_id != contract.global_id:
        return _refuse(contract, change_order, "other_contract", "it amends another contract", validation)
    if change_order.approval_state is not ApprovalState.APPROVED:
        state = "pending approval" if change_order.approval_state is ApprovalState.PENDING else "rejected"
        return _refuse(contract, change_order, "not_approved", f"it is {state}, not approved", validation)
    if change_order.delta_value.currency != contract.currency:
        reason = f"it is in {change_order.delta_value.currency} but the contract is in {contract.currency}"
        return _refuse(contract, change_order, "currency", reason, validation)
    if (contract.total_value + change_order.delta_value).amount < 0:
        reduction, value = -change_order.delta_value, contract.total_value
        reason = f"it reduces the value by {reduction}, more than the {value} it has"
        return _refuse(contract, change_order, "value_below_zero", reason, validation)
    expected = change_order.contract_version
    if expected is not None and expected != contract.version + 1:
        reason = (
            f"it was written to make version {expected}, but the contract is at version {contract.version}; "
            "an earlier change order is missing or was applied out of order"
        )
        return _refuse(contract, change_order, "version_conflict", reason, conflict)
    return None


def _new_plan_lines(contract: Contract, change_order: ChangeOrder) -> tuple[BillingPlanLine, ...] | str:
    """The plan lines the change order adds, or why the plan cannot take it."""
    priced = [m for m in change_order.new_milestones if m.amount is not None and not m.amount.is_zero]
    basis = contract.billing_plan.basis
    if basis is BillingBasis.TIME_AND_MATERIALS_PERIOD:
        if priced:
            return "a time-and-materials contract bills time, not milestone amounts"
        return ()
    if basis is BillingBasis.SUBSCRIPTION_PERIOD and not contract.billing_plan.lines:
        if priced:
            return "the subscription has no scheduled fees to add the new milestone amounts to"
        return ()
    added = Money.sum((m.amount for m in priced if m.amount is not None), contract.currency)
    if added != change_order.delta_value.round():
        return (
            f"its new milestones add {added} to the billing plan but it changes the contract value by "
            f"{change_order.delta_value}; the billing plan would no longer add up to the contract value, "
            "so state the billing plan changes in the change order"
        )
    return tuple(
        BillingPlanLine(
            description=m.name,
            amount=m.amount,
            milestone_name=m.name if basis is BillingBasis.MILESTONE else None,
            due_date=m.due_date,
        )
        for m in priced
        if m.amount is not None
    )


def apply_change_order(
    contract: Contract,
    change_order: ChangeOrder,
    *,
    stamp: Stamp,
    history: Sequence[ContractVersion] = (),
    budget: ProjectBudget | None = None,
) -> ChangeOrderResult:
    """Apply an approved change order: the next contract version, its history, the project budget.

    Args:
        contract: the contract as it stands (the ERP's current version).
        change_order: the change order from the CRM.
        stamp: correlation id and time; the new version is stamped with them.
        history: the contract's versions so far (empty: starts from `first_version(contract)`).
        budget: the project budget to update, when the flow updates the PSA too.

    Returns:
        The new version, history, budget and milestones; or the contract unchanged with a finding
        (refused) or with `already_applied` (the change order is in the history already).
    """
    history = tuple(history) or (first_version(contract),)
    if any(v.change_order_id == change_order.global_id for v in history):
        return ChangeOrderResult(contract, history, budget, already_applied=True)
    refusal = _precondition(contract, change_order)
    if refusal is not None:
        return ChangeOrderResult(contract, history, budget, findings=(refusal,))
    lines = _new_plan_lines(contract, change_order)
    if isinstance(lines, str):
        finding = _refuse(contract, change_order, "plan_does_not_add_up", lines, FindingCategory.VALIDATION)
        return ChangeOrderResult(contract, history, budget, findings=(finding,))
    cap = contract.not_to_exceed
    if cap is not None and contract.pricing_model is PricingModel.TIME_AND_MATERIALS:
        cap = cap + change_order.delta_value
    new_budget = _budget_after(budget, change_order) if budget is not None else None
    if isinstance(new_budget, str):
        finding = _refuse(contract, change_order, "budget_below_zero", new_budget, FindingCategory.VALIDATION)
        return ChangeOrderResult(contract, history, budget, findings=(finding,))
    try:
        amended = contract.replace(
            **stamp.envelope(),
            total_value=contract.total_value + change_order.delta_value,
            not_to_exceed=cap,
            billing_plan=contract.billing_plan.replace(lines=contract.billing_plan.lines + lines),
            version=contract.version + 1,
        )
    except ValidationError as exc:
        problems = "; ".join(str(error["msg"]).rstrip(".") for error in exc.errors(include_url=False))
        reason = f"the new version would be invalid ({problems})"
        finding = _refuse(contract, change_order, "invalid_result", reason, FindingCategory.VALIDATION)
        return ChangeOrderResult(contract, history, budget, findings=(finding,))
    version = ContractVersion(
        version=amended.version,
        total_value=amended.total_value,
        not_to_exceed=amended.not_to_exceed,
        billing_plan_total=_plan_total(amended.billing_plan.lines, amended.currency),
        change_order_id=change_order.global_id,
        change_order_number=change_order.number,
        delta_value=change_order.delta_value,
        approver=change_order.approver,
        approved_at=change_order.approved_at,
    )
    return ChangeOrderResult(amended, (*history, version), new_budget, change_order.new_milestones)
