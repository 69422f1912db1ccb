"""What was sold, in the ERP's terms: contracts (statements of work) and the change orders that amend them."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from concord.domain.hours import SignedHours
from concord.domain.money import CurrencyCode, Money
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import (
    ALLOWED_BILLING_BASES,
    ALLOWED_RECOGNITION_BASES,
    ApprovalState,
    BillingBasis,
    BillingFrequency,
    PricingModel,
    RecognitionBasis,
)
from concord.domain.objects.rules import (
    business_rule,
    check_non_negative,
    check_period,
    check_rounded,
    check_same_currency,
)
from concord.domain.objects.types import Code, GlobalId, Name, Text, UtcDatetime

__all__ = ["BillingPlan", "BillingPlanLine", "ChangeOrder", "Contract", "PlannedMilestone", "RevenuePlan"]


class BillingPlanLine(ValueObject):
    """One scheduled billing: a milestone's fee, or one period's subscription fee."""

    description: Name
    amount: Money
    milestone_name: Name | None = None
    """The milestone whose completion bills this line (fixed fee)."""
    due_date: date | None = None


class BillingPlan(ValueObject):
    """How and when a contract is invoiced."""

    basis: BillingBasis
    frequency: BillingFrequency | None = None
    """Length of a billing period; needed for time-and-materials and subscription billing."""
    lines: tuple[BillingPlanLine, ...] = ()
    """Scheduled amounts: milestones for a fixed fee, periods for a subscription; none for T&M."""

    @model_validator(mode="after")
    def _rules(self) -> BillingPlan:
        if self.basis is not BillingBasis.MILESTONE and self.frequency is None:
            raise business_rule(f"A billing plan on a {self.basis.label} basis needs a billing frequency.")
        if self.basis is BillingBasis.TIME_AND_MATERIALS_PERIOD and self.lines:
            raise business_rule(
                "A time-and-materials billing plan bills approved time per period; "
                "it has no scheduled amounts."
            )
        for line in self.lines:
            check_rounded(line.amount, f"billing plan line {line.description!r}")
            if line.amount.amount <= 0:
                raise business_rule(
                    f"The billing plan line {line.description!r} must bill a positive amount."
                )
            if self.basis is BillingBasis.MILESTONE and line.milestone_name is None:
                raise business_rule(f"The billing plan line {line.description!r} must name its milestone.")
        return self


class RevenuePlan(ValueObject):
    """How a contract's revenue is recognised."""

    basis: RecognitionBasis


class Contract(CanonicalRecord):
    """A statement of work: what the customer bought, for how much, billed and recognised how."""

    SCHEMA_NAME: ClassVar[str] = "Contract"
    SCHEMA_VERSION: ClassVar[int] = 1

    number: Name
    """The contract's business number, e.g. "SOW-1042"."""
    name: Name
    opportunity_id: GlobalId | None = None
    customer_id: GlobalId
    legal_entity_code: Code
    pricing_model: PricingModel
    currency: CurrencyCode
    total_value: Money
    not_to_exceed: Money | None = None
    """Cap on what may be billed (time and materials)."""
    start_date: date
    end_date: date | None = None
    billing_plan: BillingPlan
    revenue_plan: RevenuePlan
    version: int = Field(default=1, ge=1)
    """Contract version; each approved change order makes a new one."""

    @model_validator(mode="after")
    def _rules(self) -> Contract:
        label = f"Contract {self.number}"
        check_period(self.start_date, self.end_date, label)
        amounts = [("total value", self.total_value), ("not-to-exceed cap", self.not_to_exceed)]
        amounts += [
            (f"billing plan line {line.description!r}", line.amount) for line in self.billing_plan.lines
        ]
        check_same_currency(amounts, self.currency, f"contract {self.number}")
        check_non_negative(self.total_value, f"total value of contract {self.number}")
        check_non_negative(self.not_to_exceed, f"not-to-exceed cap of contract {self.number}")
        self._check_plans_fit_pricing(label)
        self._check_schedule_adds_up(label)
        return self

    def _check_plans_fit_pricing(self, label: str) -> None:
        model = self.pricing_model
        if self.billing_plan.basis not in ALLOWED_BILLING_BASES[model]:
            raise business_rule(
                f"{label} is {model.label} "
                f"but its billing plan is on a {self.billing_plan.basis.label} basis."
            )
        if self.revenue_plan.basis not in ALLOWED_RECOGNITION_BASES[model]:
            raise business_rule(
                f"{label} is {model.label} but its revenue is recognised {self.revenue_plan.basis.label}."
            )
        if self.revenue_plan.basis is RecognitionBasis.STRAIGHT_LINE and self.end_date is None:
            raise business_rule(f"{label} recognises revenue straight-line, so it needs an end date.")

    def _check_schedule_adds_up(self, label: str) -> None:
        lines = self.billing_plan.lines
        if not lines:
            return
        scheduled = Money.sum((line.amount for line in lines), self.currency)
        if scheduled != self.total_value.round():
            raise business_rule(
                f"{label}: the billing plan adds up to {scheduled} "
                f"but the contract value is {self.total_value}."
            )


class PlannedMilestone(ValueObject):
    """A milestone a change order adds."""

    name: Name
    amount: Money | None = None
    due_date: date | None = None


class ChangeOrder(CanonicalRecord):
    """An amendment to a contract's value, hours or milestones, approved in the CRM."""

    SCHEMA_NAME: ClassVar[str] = "ChangeOrder"
    SCHEMA_VERSION: ClassVar[int] = 1

    contract_id: GlobalId
    number: Name
    description: Text | None = None
    delta_value: Money
    """Change of the contract value; negative for a reduction."""
    delta_hours: SignedHours
    """Change of the budgeted hours; negative for a reduction."""
    new_milestones: tuple[PlannedMilestone, ...] = ()
    approval_state: ApprovalState
    approver: Name | None = None
    approved_at: UtcDatetime | None = None
    contract_version: int | None = Field(default=None, ge=2)
    """The contract version this change order produces once applied."""

    @model_validator(mode="after")
    def _rules(self) -> ChangeOrder:
        label = f"Change order {self.number}"
        if self.approval_state is ApprovalState.APPROVED and (
            self.approver is None or self.approved_at is None
        ):
            raise business_rule(f"{label} is approved, so it must say who approved it and when.")
        if self.approval_state is not ApprovalState.APPROVED and self.approved_at is not None:
            raise business_rule(f"{label} is {self.approval_state.label} but has an approval time.")
        milestones = [(f"amount of new milestone {m.name!r}", m.amount) for m in self.new_milestones]
        check_same_currency(milestones, self.delta_value.currency, f"change order {self.number}")
        for milestone in self.new_milestones:
            check_rounded(milestone.amount, f"amount of new milestone {milestone.name!r}")
            check_non_negative(milestone.amount, f"amount of new milestone {milestone.name!r}")
        return self
