"""Turning a contracted deal into what delivery and finance need: the pure rules of opportunity-to-project.

Given the opportunity and its customer as the CRM shows them now, and the provisioning configuration,
``plan_provisioning`` checks that the deal can be provisioned (domain.md §3.1: the customer master is
complete, the region maps to a legal entity, the pricing model is known, the service line has a delivery
template) and, if so, derives the records to create:

- the customer, under the legal entity of the deal's region;
- the project from the delivery template: one phase after the other from the expected start, its budget
  from the line items (hours, and fees at the sold rates; the deal amount when it has none);
- one milestone per phase, carrying its share of a fixed fee;
- the contract with its billing plan (milestone fees, subscription periods, or time and materials per
  period) and revenue plan.

Every derived record has a global id computed from the opportunity's, so deriving again (a retry, a
replay) names the same records and the upserts converge. When the deal cannot be provisioned,
``NotProvisionable`` lists every reason, in words a sales or finance person acts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from pydantic import ValidationError

from concord.domain.hours import Hours
from concord.domain.ids import id_time
from concord.domain.keys import Stamp, stable_id
from concord.domain.money import Money, split_evenly
from concord.domain.objects import (
    BillingBasis,
    BillingPlan,
    BillingPlanLine,
    Contract,
    Customer,
    Milestone,
    MilestoneStatus,
    Opportunity,
    PricingModel,
    Project,
    ProjectBudget,
    ProjectStatus,
    RecognitionBasis,
    RevenuePlan,
    business_messages,
)
from concord.domain.periods import periods_between
from concord.flows.provisioning_config import DeliveryTemplate, ProvisioningConfig

__all__ = ["DerivedIds", "NotProvisionable", "ProvisioningPlan", "derived_ids", "plan_provisioning"]


class NotProvisionable(ValueError):
    """The deal cannot be provisioned as it stands; ``reasons`` says why, each as a short clause."""

    def __init__(self, reasons: Sequence[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = tuple(reasons)


@dataclass(frozen=True)
class ProvisioningPlan:
    """What a contracted deal becomes."""

    customer: Customer
    project: Project
    milestones: tuple[Milestone, ...]
    contract: Contract


@dataclass(frozen=True)
class DerivedIds:
    """The global ids of what a deal becomes, the same however often they are derived."""

    project: str
    contract: str
    milestones: tuple[str, ...]


def derived_ids(opportunity_id: str, milestones: int) -> DerivedIds:
    """The ids of the project, contract and milestones made from the opportunity ``opportunity_id``."""
    # Dated by when Concord first saw the deal: a later close date must not rename what exists.
    on = id_time(opportunity_id).date()
    return DerivedIds(
        stable_id("opportunity-project", opportunity_id, on=on),
        stable_id("opportunity-contract", opportunity_id, on=on),
        tuple(stable_id("opportunity-milestone", opportunity_id, i, on=on) for i in range(milestones)),
    )


def plan_provisioning(
    opportunity: Opportunity,
    customer: Customer | str,
    config: ProvisioningConfig,
    stamp: Stamp,
) -> ProvisioningPlan:
    """The records a contracted deal becomes.

    Args:
        opportunity: The deal as the CRM shows it now.
        customer: Its customer as the CRM shows it now, or why it cannot be used (not found, invalid).
        config: The provisioning configuration.
        stamp: The correlation id and moment the derived records carry.

    Raises:
        NotProvisionable: every reason the deal cannot be provisioned.
    """
    reasons: list[str] = []
    legal_entity = _legal_entity(opportunity, config, reasons)
    template = _template(opportunity, config, reasons)
    if opportunity.pricing_model is None:
        reasons.append("its pricing model is not set")
    if isinstance(customer, str):
        reasons.append(customer)
    elif gaps := customer.master_data_gaps():
        reasons.append(f"the customer master of '{customer.name}' is incomplete: it has no {', '.join(gaps)}")
    if template is not None and opportunity.pricing_model is not None:
        _template_fits(template, opportunity.pricing_model, reasons)
    if reasons:
        raise NotProvisionable(reasons)
    assert legal_entity is not None and template is not None and isinstance(customer, Customer)
    try:
        return _derive(opportunity, customer, legal_entity, template, config, stamp)
    except ValidationError as error:
        raise NotProvisionable(business_messages(error)) from error


def _legal_entity(opportunity: Opportunity, config: ProvisioningConfig, reasons: list[str]) -> str | None:
    if opportunity.region is None:
        reasons.append("it has no region, so no legal entity can contract it")
        return None
    code = config.regions.get(opportunity.region)
    if code is None:
        reasons.append(f"region '{opportunity.region}' maps to no legal entity")
    return code


def _template(
    opportunity: Opportunity, config: ProvisioningConfig, reasons: list[str]
) -> DeliveryTemplate | None:
    if opportunity.service_line is None:
        reasons.append("it has no service line, so no delivery template applies")
        return None
    template = config.template_for(opportunity.service_line)
    if template is None:
        reasons.append(f"there is no delivery template for service line '{opportunity.service_line}'")
    return template


def _template_fits(template: DeliveryTemplate, pricing: PricingModel, reasons: list[str]) -> None:
    if pricing is PricingModel.FIXED_FEE and not template.bills_fixed_fees:
        reasons.append(
            f"delivery template {template.code} gives its milestones no fee share, which a fixed fee is "
            "billed by"
        )
    if pricing is PricingModel.SUBSCRIPTION and template.subscription is None:
        reasons.append(f"delivery template {template.code} gives no subscription term")


def _derive(
    opportunity: Opportunity,
    customer: Customer,
    legal_entity: str,
    template: DeliveryTemplate,
    config: ProvisioningConfig,
    stamp: Stamp,
) -> ProvisioningPlan:
    assert opportunity.pricing_model is not None
    ids = derived_ids(opportunity.global_id, len(template.phases))
    envelope = stamp.envelope()
    start = opportunity.expected_start or opportunity.close_date
    due = _phase_ends(start, template)
    fees = _milestone_fees(opportunity, template)
    milestones = tuple(
        Milestone.model_validate(
            {
                **envelope,
                "global_id": ids.milestones[index],
                "project_id": ids.project,
                "name": phase.milestone,
                "amount": fees[index],
                "due_date": due[index],
                "status": MilestoneStatus.OPEN,
            }
        )
        for index, phase in enumerate(template.phases)
    )
    plan = _billing_plan(opportunity, template, config, start, milestones)
    end = max(due[-1], plan[1]) if plan[1] else due[-1]
    contract = Contract.model_validate(
        {
            **envelope,
            "global_id": ids.contract,
            "number": f"SOW-{ids.contract[-8:]}",
            "name": opportunity.name,
            "opportunity_id": opportunity.global_id,
            "customer_id": customer.global_id,
            "legal_entity_code": legal_entity,
            "pricing_model": opportunity.pricing_model,
            "currency": opportunity.currency,
            "total_value": opportunity.amount,
            "start_date": start,
            "end_date": end,
            "billing_plan": plan[0],
            "revenue_plan": RevenuePlan(basis=_recognition(opportunity.pricing_model, config)),
        }
    )
    project = Project.model_validate(
        {
            **envelope,
            "global_id": ids.project,
            "name": opportunity.name,
            "contract_id": ids.contract,
            "customer_id": customer.global_id,
            "legal_entity_code": legal_entity,
            "status": ProjectStatus.PENDING,
            "start_date": start,
            "end_date": end,
            "currency": opportunity.currency,
            "budget": _budget(opportunity),
            "delivery_template": template.code,
            "service_line": opportunity.service_line,
        }
    )
    return ProvisioningPlan(customer.replace(legal_entity_code=legal_entity), project, milestones, contract)


def _phase_ends(start: date, template: DeliveryTemplate) -> list[date]:
    ends, weeks = [], 0
    for phase in template.phases:
        weeks += phase.weeks
        ends.append(start + timedelta(weeks=weeks) - timedelta(days=1))
    return ends


def _milestone_fees(opportunity: Opportunity, template: DeliveryTemplate) -> list[Money | None]:
    """Each milestone's share of a fixed fee (rounded, the last taking what rounding left); None otherwise."""
    if opportunity.pricing_model is not PricingModel.FIXED_FEE:
        return [None] * len(template.phases)
    total = opportunity.amount.round()
    fees: list[Money | None] = []
    billed = Money.zero(total.currency)
    for index, phase in enumerate(template.phases):
        if index == len(template.phases) - 1:
            share = total - billed
        else:
            percent = phase.fee_percent or Decimal(0)
            share = Money((total.amount * percent / 100), total.currency).round()
        billed = billed + share
        fees.append(share)
    return fees


def _billing_plan(
    opportunity: Opportunity,
    template: DeliveryTemplate,
    config: ProvisioningConfig,
    start: date,
    milestones: Sequence[Milestone],
) -> tuple[BillingPlan, date | None]:
    """The billing plan, and the last day it covers when that is set by the plan (subscriptions)."""
    pricing = opportunity.pricing_model
    if pricing is PricingModel.FIXED_FEE:
        lines = [
            BillingPlanLine(description=m.name, amount=m.amount, milestone_name=m.name, due_date=m.due_date)
            for m in milestones
            if m.amount is not None and m.amount.amount > 0
        ]
        return BillingPlan(basis=BillingBasis.MILESTONE, lines=tuple(lines)), None
    if pricing is PricingModel.SUBSCRIPTION:
        term = template.subscription
        assert term is not None
        periods = list(islice(periods_between(start, None, term.frequency), term.periods))
        fees = split_evenly(opportunity.amount, term.periods)
        lines = [
            BillingPlanLine(description=f"Service period {period}", amount=fee, due_date=period.start)
            for period, fee in zip(periods, fees, strict=True)
        ]
        plan = BillingPlan(
            basis=BillingBasis.SUBSCRIPTION_PERIOD, frequency=term.frequency, lines=tuple(lines)
        )
        return plan, periods[-1].end
    plan = BillingPlan(
        basis=BillingBasis.TIME_AND_MATERIALS_PERIOD, frequency=config.time_and_materials_billing
    )
    return plan, None


def _recognition(pricing: PricingModel, config: ProvisioningConfig) -> RecognitionBasis:
    if pricing is PricingModel.FIXED_FEE:
        return config.fixed_fee_revenue
    if pricing is PricingModel.SUBSCRIPTION:
        return RecognitionBasis.STRAIGHT_LINE
    return RecognitionBasis.AS_DELIVERED


def _budget(opportunity: Opportunity) -> ProjectBudget:
    """Hours and fees from the line items at their sold rates; the deal amount when it has none."""
    if not opportunity.line_items:
        return ProjectBudget(fees=opportunity.amount.round())
    hours = sum((item.hours for item in opportunity.line_items), Decimal(0))
    return ProjectBudget(
        hours=Hours(hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        fees=opportunity.line_items_total(),
    )
