"""Applying approved change orders: a new contract version, plan and budget updated, one history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from concord.domain.change_orders import apply_change_order, apply_to_budget, first_version
from concord.domain.findings import FindingCategory
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import (
    ApprovalState,
    BillingBasis,
    BillingPlan,
    ChangeOrder,
    Contract,
    PlannedMilestone,
    ProjectBudget,
)

from .rule_facts import STAMP, fixed_fee_contract, subscription_contract, tm_contract
from .samples import CONTRACT_ID, envelope, usd


def change_order(**overrides: Any) -> ChangeOrder:
    """CO-7: adds the 'Hypercare' milestone, USD 2,500 and 20 hours, approved by Dana Controller."""
    fields: dict[str, Any] = envelope("salesforce") | {
        "contract_id": CONTRACT_ID,
        "number": "CO-7",
        "delta_value": usd("2500"),
        "delta_hours": Hours(20),
        "approval_state": ApprovalState.APPROVED,
        "approver": "Dana Controller",
        "approved_at": datetime(2026, 5, 2, 8, 0, tzinfo=UTC),
        "new_milestones": (
            PlannedMilestone(name="Hypercare", amount=usd("2500"), due_date=date(2026, 10, 15)),
        ),
        "contract_version": 2,
    }
    return ChangeOrder(**(fields | overrides))


BUDGET = ProjectBudget(hours=Hours(600), fees=usd("100000"), cost=usd("40000"))


class TestApplying:
    def test_a_fixed_fee_change_order_makes_the_next_version(self) -> None:
        contract, co = fixed_fee_contract(), change_order()
        result = apply_change_order(contract, co, stamp=STAMP, budget=BUDGET)
        assert result.applied and result.findings == ()
        new = result.contract
        assert new.version == 2 and new.global_id == contract.global_id
        assert new.total_value == usd("102500")
        assert [line.milestone_name for line in new.billing_plan.lines] == [
            "Design signed off",
            "Go-live",
            "Hypercare",
        ]
        assert new.billing_plan.lines[-1].due_date == date(2026, 10, 15)
        assert new.source_system == "concord" and new.correlation_id == STAMP.correlation_id
        assert result.budget == ProjectBudget(hours=Hours(620), fees=usd("102500"), cost=usd("40000"))
        assert [m.name for m in result.new_milestones] == ["Hypercare"]

    def test_the_history_keeps_every_version(self) -> None:
        contract = fixed_fee_contract()
        first = apply_change_order(contract, change_order(), stamp=STAMP)
        second_co = change_order(
            global_id=new_id(),
            number="CO-8",
            delta_value=usd("1000"),
            delta_hours=Hours(8),
            new_milestones=(PlannedMilestone(name="Training", amount=usd("1000")),),
            contract_version=3,
        )
        second = apply_change_order(first.contract, second_co, stamp=STAMP, history=first.history)
        assert [(v.version, v.change_order_number, v.total_value) for v in second.history] == [
            (1, None, usd("100000")),
            (2, "CO-7", usd("102500")),
            (3, "CO-8", usd("103500")),
        ]
        assert second.history[1].approver == "Dana Controller"
        assert second.history[2].billing_plan_total == usd("103500")
        assert second.contract.version == 3

    def test_applying_the_same_change_order_twice_changes_nothing(self) -> None:
        co = change_order()
        first = apply_change_order(fixed_fee_contract(), co, stamp=STAMP)
        again = apply_change_order(first.contract, co, stamp=STAMP, history=first.history)
        assert again.already_applied and not again.applied
        assert again.contract == first.contract and again.history == first.history

    def test_time_and_materials_raises_value_and_cap_together(self) -> None:
        contract = tm_contract(not_to_exceed=usd("90000"))
        co = change_order(
            new_milestones=(PlannedMilestone(name="Phase 2 kick-off"),), delta_value=usd("-5000")
        )
        result = apply_change_order(contract, co, stamp=STAMP)
        assert result.applied
        assert result.contract.total_value == usd("95000")
        assert result.contract.not_to_exceed == usd("85000")
        assert result.contract.billing_plan.lines == ()
        assert [m.name for m in result.new_milestones] == ["Phase 2 kick-off"]

    def test_a_subscription_without_scheduled_fees_changes_only_its_value(self) -> None:
        result = apply_change_order(subscription_contract(), change_order(new_milestones=()), stamp=STAMP)
        assert result.applied and result.contract.total_value == usd("14500")

    def test_first_version_of_a_contract(self) -> None:
        version = first_version(fixed_fee_contract())
        assert (version.version, version.change_order_id, version.billing_plan_total) == (
            1,
            None,
            usd("100000"),
        )


class TestRefusals:
    def refused(self, contract: Contract, co: ChangeOrder, **kwargs: Any) -> str:
        result = apply_change_order(contract, co, stamp=STAMP, **kwargs)
        assert not result.applied
        assert result.contract == contract and result.history == (first_version(contract),)
        [finding] = result.findings
        assert finding.subject.object_type == "ChangeOrder"
        assert [r.object_type for r in finding.related] == ["Contract"]
        return finding.message

    def test_unapproved_change_orders_are_refused_in_business_words(self) -> None:
        pending = change_order(approval_state=ApprovalState.PENDING, approver=None, approved_at=None)
        assert self.refused(fixed_fee_contract(), pending) == (
            "Change order CO-7 was not applied to contract SOW-1042: it is pending approval, not approved."
        )
        rejected = change_order(approval_state=ApprovalState.REJECTED, approved_at=None)
        assert self.refused(fixed_fee_contract(), rejected).endswith("it is rejected, not approved.")

    def test_a_change_order_for_another_contract(self) -> None:
        assert self.refused(fixed_fee_contract(), change_order(contract_id=new_id())).endswith(
            "it amends another contract."
        )

    def test_a_change_order_out_of_order_is_a_conflict(self) -> None:
        result = apply_change_order(fixed_fee_contract(), change_order(contract_version=3), stamp=STAMP)
        [finding] = result.findings
        assert finding.category is FindingCategory.CONFLICT
        assert finding.message == (
            "Change order CO-7 was not applied to contract SOW-1042: "
            "it was written to make version 3, but the contract is at version 1; "
            "an earlier change order is missing or was applied out of order."
        )

    def test_a_fixed_fee_plan_must_still_add_up(self) -> None:
        reduction = change_order(delta_value=usd("-5000"))  # but adds a 2,500 milestone
        assert self.refused(fixed_fee_contract(), reduction) == (
            "Change order CO-7 was not applied to contract SOW-1042: "
            "its new milestones add USD 2,500.00 to the billing plan "
            "but it changes the contract value by USD -5,000.00; "
            "the billing plan would no longer add up to the contract value, "
            "so state the billing plan changes in the change order."
        )

    def test_milestone_amounts_on_time_and_materials_are_refused(self) -> None:
        assert self.refused(tm_contract(), change_order()).endswith(
            "a time-and-materials contract bills time, not milestone amounts."
        )

    def test_a_value_below_zero(self) -> None:
        co = change_order(delta_value=usd("-200000"), new_milestones=())
        assert self.refused(tm_contract(), co).endswith(
            "it reduces the value by USD 200,000.00, more than the USD 100,000.00 it has."
        )

    def test_another_currency(self) -> None:
        co = change_order(delta_value=Money("100", "EUR"), new_milestones=())
        assert self.refused(tm_contract(), co).endswith("it is in EUR but the contract is in USD.")

    def test_a_result_the_contract_rules_refuse(self) -> None:
        unscheduled = fixed_fee_contract(billing_plan=BillingPlan(basis=BillingBasis.MILESTONE))
        assert self.refused(unscheduled, change_order()).endswith(
            "the new version would be invalid (Contract SOW-1042: the billing plan adds up to USD 2,500.00 "
            "but the contract value is USD 102,500.00)."
        )

    def test_a_budget_that_would_go_negative(self) -> None:
        co = change_order(delta_hours=Hours.reversal_of(Hours(700)))
        assert self.refused(fixed_fee_contract(), co, budget=BUDGET).endswith(
            "it removes 700 h but the project budget has only 600 h."
        )


class TestBudget:
    def test_only_budgeted_figures_change(self) -> None:
        after = apply_to_budget(ProjectBudget(hours=Hours(100)), change_order())
        assert after == ProjectBudget(hours=Hours(120))

    def test_a_negative_budget_raises(self) -> None:
        with pytest.raises(ValueError, match="below zero"):
            apply_to_budget(ProjectBudget(fees=usd("100")), change_order(delta_value=usd("-101")))
