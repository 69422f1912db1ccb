"""The rules of opportunity-to-project, without I/O: what a contracted deal becomes for each pricing
model (figures that reconcile to the cent), the ids it gets (the same every time), and every reason a
deal is refused, in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from concord.domain.ids import new_id
from concord.domain.keys import Stamp
from concord.domain.money import Money
from concord.domain.objects import Customer, Opportunity
from concord.flows.provisioning import NotProvisionable, derived_ids, plan_provisioning
from concord.flows.provisioning_config import load_provisioning

CONFIG = load_provisioning()
STAMP = Stamp("4bf92f3577b34da6a3ce929d0e0e4736", datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
ENVELOPE: dict[str, Any] = {
    "source_system": "salesforce",
    "source_changed_at": "2026-03-02T09:00:00Z",
    "correlation_id": "4bf92f3577b34da6a3ce929d0e0e4736",
}


def customer(**fields: Any) -> Customer:
    values: dict[str, Any] = {
        **ENVELOPE,
        "name": "Globex Corporation",
        "billing_address": {"lines": ["1 Main Street"], "city": "Springfield", "country": "US"},
        "tax_profile": {"tax_id": "US-12-3456789"},
        "currency": "USD",
    }
    return Customer.model_validate({**values, **fields})


def deal(buyer: Customer, **fields: Any) -> Opportunity:
    values: dict[str, Any] = {
        **ENVELOPE,
        "customer_id": buyer.global_id,
        "name": "Globex ERP rollout",
        "stage": "Closed Won",
        "amount": {"amount": "1000.01", "currency": "USD"},
        "currency": "USD",
        "close_date": "2026-03-02",
        "service_line": "Implementation",
        "region": "North America",
        "pricing_model": "fixed_fee",
        "expected_start": "2026-04-06",
        "line_items": [
            {"role": "Senior Consultant", "hours": "10.5", "rate": {"amount": "195.00", "currency": "USD"}},
            {"role": "Manager", "hours": "2", "rate": {"amount": "230.00", "currency": "USD"}},
        ],
    }
    return Opportunity.model_validate({**values, **fields})


def test_a_fixed_fee_is_split_over_the_template_milestones_to_the_cent() -> None:
    buyer = customer()
    plan = plan_provisioning(deal(buyer), buyer, CONFIG, STAMP)
    fees = [m.amount for m in plan.milestones]
    assert fees == [Money(a, "USD") for a in ("150.00", "250.00", "350.00", "250.01")]
    assert [line.milestone_name for line in plan.contract.billing_plan.lines] == [
        "Discovery sign-off",
        "Design sign-off",
        "Build complete",
        "Go-live",
    ]
    assert plan.contract.total_value == Money("1000.01", "USD")
    assert plan.contract.revenue_plan.basis.value == "milestone_acceptance"
    assert plan.customer.legal_entity_code == "US" and plan.contract.legal_entity_code == "US"
    # Budget from the line items at their sold rates: 10.5 h x 195 + 2 h x 230.
    assert plan.project.budget.hours == Decimal("12.50")
    assert plan.project.budget.fees == Money("2507.50", "USD")
    assert plan.project.status.value == "pending" and plan.project.delivery_template == "TPL-IMPL-STD"
    assert plan.project.start_date == date(2026, 4, 6) and plan.project.end_date == date(2026, 9, 6)


def test_time_and_materials_is_billed_per_period_and_its_milestones_bill_nothing() -> None:
    buyer = customer()
    plan = plan_provisioning(deal(buyer, pricing_model="time_and_materials"), buyer, CONFIG, STAMP)
    billing = plan.contract.billing_plan
    assert billing.basis.value == "time_and_materials_period" and billing.frequency is not None
    assert billing.lines == () and plan.contract.revenue_plan.basis.value == "as_delivered"
    assert [m.amount for m in plan.milestones] == [None] * 4


def test_a_subscription_is_billed_per_period_for_its_term_and_recognised_straight_line() -> None:
    buyer = customer()
    opportunity = deal(
        buyer,
        pricing_model="subscription",
        service_line="Managed Services",
        amount={"amount": "100000.00", "currency": "USD"},
        line_items=[],
    )
    plan = plan_provisioning(opportunity, buyer, CONFIG, STAMP)
    lines = plan.contract.billing_plan.lines
    assert len(lines) == 12 and Money.sum((line.amount for line in lines), "USD") == Money("100000.00", "USD")
    assert lines[0].due_date == date(2026, 4, 6) and lines[-1].due_date == date(2027, 3, 6)
    assert plan.contract.end_date == date(2027, 4, 5)
    assert plan.contract.revenue_plan.basis.value == "straight_line"
    assert plan.project.budget.fees == Money("100000.00", "USD") and plan.project.budget.hours is None


def test_what_a_deal_becomes_keeps_its_ids_whatever_changes_on_the_deal() -> None:
    buyer = customer()
    first = plan_provisioning(deal(buyer), buyer, CONFIG, STAMP)
    again = plan_provisioning(
        deal(buyer, global_id=first.contract.opportunity_id, close_date="2026-05-30"), buyer, CONFIG, STAMP
    )
    assert again.project.global_id == first.project.global_id
    assert again.contract.global_id == first.contract.global_id
    assert [m.global_id for m in again.milestones] == [m.global_id for m in first.milestones]
    other = derived_ids(new_id(), 4)
    assert other.project != first.project.global_id
    assert len({first.project.global_id, first.contract.global_id, *other.milestones}) == 6


def test_every_reason_a_deal_cannot_be_provisioned_is_given() -> None:
    buyer = customer(billing_address=None, tax_profile=None)
    opportunity = deal(buyer, region="LATAM", pricing_model=None, service_line="Cooking")
    with pytest.raises(NotProvisionable) as refused:
        plan_provisioning(opportunity, buyer, CONFIG, STAMP)
    assert refused.value.reasons == (
        "region 'LATAM' maps to no legal entity",
        "there is no delivery template for service line 'Cooking'",
        "its pricing model is not set",
        "the customer master of 'Globex Corporation' is incomplete: it has no billing address, tax profile",
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"region": None}, "it has no region, so no legal entity can contract it"),
        ({"service_line": None}, "it has no service line, so no delivery template applies"),
        (
            {"service_line": "Managed Services"},
            "delivery template TPL-MS-STD gives its milestones no fee share, which a fixed fee is billed by",
        ),
        (
            {"service_line": "Advisory", "pricing_model": "subscription"},
            "delivery template TPL-ADV-STD gives no subscription term",
        ),
    ],
)
def test_a_deal_the_template_cannot_deliver_is_refused(fields: dict[str, Any], reason: str) -> None:
    buyer = customer()
    with pytest.raises(NotProvisionable, match=reason):
        plan_provisioning(deal(buyer, **fields), buyer, CONFIG, STAMP)


def test_a_customer_that_cannot_be_read_is_a_reason_too() -> None:
    buyer = customer()
    with pytest.raises(NotProvisionable, match="its customer account is not in the CRM"):
        plan_provisioning(deal(buyer), "its customer account is not in the CRM", CONFIG, STAMP)
