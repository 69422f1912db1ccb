"""The change-order flow's decisions, pure: which change orders apply and in what order, the versions,
budget and milestones they make, what a run sends, and why nothing is ever applied twice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from concord.domain.findings import Finding
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import ApprovalState, ChangeOrder, Contract, PlannedMilestone, ProjectBudget
from concord.flows.change_order_plan import (
    ChangeOrderPlan,
    ContractFacts,
    Decided,
    changed_after_applying,
    milestone_id,
    plan_change_orders,
    price_new_milestones,
    to_apply,
)
from concord.flows.change_orders_config import load_change_orders
from concord.settings import ConfigError
from unit.domain.rule_facts import SYSTEMS, fixed_fee_contract, tm_contract
from unit.domain.samples import CONTRACT_ID, PROJECT_ID, envelope, usd

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
BUDGET = ProjectBudget(fees=usd("100000"))


def change_order(number: str = "CO-7", **overrides: Any) -> ChangeOrder:
    """An approved change order adding USD 2,500 and 20 hours, billed on its 'Hypercare' milestone."""
    fields: dict[str, Any] = envelope("salesforce") | {
        "global_id": new_id(),
        "contract_id": CONTRACT_ID,
        "number": number,
        "delta_value": usd("2500"),
        "delta_hours": Hours(20),
        "approval_state": ApprovalState.APPROVED,
        "approver": "Dana Controller",
        "approved_at": datetime(2026, 5, 2, 8, 0, tzinfo=UTC),
        "new_milestones": (
            PlannedMilestone(name=f"Hypercare {number}", amount=usd("2500"), due_date=date(2026, 10, 15)),
        ),
    }
    return ChangeOrder(**(fields | overrides))


def facts(contract: Contract | None = None, budget: ProjectBudget | None = BUDGET) -> ContractFacts:
    return ContractFacts(contract or fixed_fee_contract(), budget, PROJECT_ID)


def plan(
    orders: list[ChangeOrder], decided: Decided = Decided(), known: ContractFacts | None = None, **kw: Any
) -> ChangeOrderPlan:
    return plan_change_orders(to_apply(orders, decided), known or facts(), decided, SYSTEMS, at=AT, **kw)


def confirmed(made: ChangeOrderPlan) -> Decided:
    """What the flow keeps once every write of the run went through (through its JSON state)."""
    held = made.decided.to_state()
    held["synced"] = True
    return Decided.from_state(held)


def messages(made: ChangeOrderPlan) -> list[str]:
    return [finding.message for _, finding in made.refused]


class TestApplying:
    def test_an_approved_change_order_makes_version_2_its_budget_and_its_milestone(self) -> None:
        co = change_order()
        made = plan([co])
        assert made.applied == (co,) and made.refused == ()
        assert made.contract is not None and made.contract.version == 2
        assert made.contract.total_value == usd("102500")
        assert made.budget == ProjectBudget(fees=usd("102500"))
        (milestone,) = made.milestones
        assert milestone.global_id == milestone_id(co.global_id, 0)
        assert (milestone.project_id, milestone.name, milestone.amount) == (
            PROJECT_ID,
            "Hypercare CO-7",
            usd("2500"),
        )
        history = made.decided.history
        assert [(v.version, v.change_order_number, v.total_value) for v in history] == [
            (1, None, usd("100000")),
            (2, "CO-7", usd("102500")),
        ]
        assert history[1].approver == "Dana Controller" and not made.decided.synced

    def test_seen_again_once_applied_it_changes_nothing(self) -> None:
        co = change_order()
        decided = confirmed(plan([co]))
        assert to_apply([co], decided) == []
        again = plan([co], decided, facts(decided.contract))
        assert not again.sends and again.decided == decided

    def test_change_orders_apply_in_order_one_version_each(self) -> None:
        later = change_order("CO-8", approved_at=datetime(2026, 5, 3, tzinfo=UTC), delta_value=usd("1000"))
        later = later.replace(new_milestones=(PlannedMilestone(name="Training", amount=usd("1000")),))
        first = change_order("CO-7")
        made = plan([later, first])
        assert made.applied == (first, later)
        assert [(v.version, v.change_order_number) for v in made.decided.history] == [
            (1, None),
            (2, "CO-7"),
            (3, "CO-8"),
        ]
        assert made.contract is not None and made.contract.total_value == usd("103500")
        assert made.budget == ProjectBudget(fees=usd("103500"))

    def test_a_second_change_order_later_makes_version_3(self) -> None:
        decided = confirmed(plan([change_order("CO-7")]))
        second = change_order("CO-8", delta_value=usd("1000"))
        second = second.replace(new_milestones=(PlannedMilestone(name="Training", amount=usd("1000")),))
        made = plan([second], decided, facts(decided.contract, ProjectBudget(fees=usd("102500"))))
        assert made.contract is not None and made.contract.version == 3
        assert made.contract.total_value == usd("103500") and made.budget == ProjectBudget(fees=usd("103500"))
        assert [m.name for m in made.milestones] == ["Training"]  # CO-7's was confirmed already
        assert [v.change_order_number for v in made.decided.history] == [None, "CO-7", "CO-8"]


class TestRefusing:
    def test_a_change_order_in_another_currency_is_refused_in_business_words_and_the_others_apply(
        self,
    ) -> None:
        euros = change_order("CO-9", delta_value=Money("2500", "EUR"), new_milestones=())
        fine = change_order("CO-7")
        made = plan([euros, fine])
        assert made.applied == (fine,)
        assert messages(made) == [
            "Change order CO-9 was not applied to contract SOW-1042: it is in EUR but the contract is in USD."
        ]
        assert made.refused[0][1].subject.global_id == euros.global_id

    def test_a_reduction_below_zero_is_refused(self) -> None:
        made = plan([change_order(delta_value=usd("-200000"), new_milestones=())], known=facts(tm_contract()))
        assert not made.sends
        assert (
            "it reduces the value by USD 200,000.00, more than the USD 100,000.00 it has" in messages(made)[0]
        )

    def test_a_contract_missing_in_the_erp_refuses_every_waiting_change_order(self) -> None:
        missing = ContractFacts(None, BUDGET, PROJECT_ID, contract_problem="its contract is not in NetSuite")
        made = plan([change_order("CO-7"), change_order("CO-8")], known=missing)
        assert not made.sends and made.decided == Decided()
        assert messages(made) == [
            "Change order CO-7 was not applied: its contract is not in NetSuite.",
            "Change order CO-8 was not applied: its contract is not in NetSuite.",
        ]

    def test_a_contract_changed_in_the_erp_outside_a_change_order_is_not_amended_on_a_guess(self) -> None:
        decided = confirmed(plan([change_order("CO-7")]))
        made = plan([change_order("CO-8")], decided, facts(tm_contract(total_value=usd("90000"))))
        assert not made.sends
        assert (
            "worth USD 90,000.00 in NetSuite, but its version 2 that Concord made is worth USD 102,500.00"
            in (messages(made)[0])
        )

    def test_a_change_order_edited_after_it_was_applied_is_reported_not_applied_again(self) -> None:
        co = change_order()
        decided = confirmed(plan([co]))
        edited = co.replace(delta_value=usd("3000"))
        [(found, finding)] = changed_after_applying([edited], decided, SYSTEMS)
        assert found is edited and isinstance(finding, Finding)
        assert finding.message.startswith(
            "Change order CO-7 was changed in Salesforce after Concord applied it to the contract "
            "(version 2): its value is now USD 3,000.00, it was applied as USD 2,500.00."
        )
        assert to_apply([edited], decided) == []
        assert changed_after_applying([co], decided, SYSTEMS) == []


class TestConverging:
    def test_writes_that_did_not_go_through_are_sent_again_never_applied_twice(self) -> None:
        co = change_order()
        failed = plan([co]).decided  # the run decided, its writes were not confirmed
        stale = facts(fixed_fee_contract(), BUDGET)  # the ERP and the PSA still show the old figures
        again = plan([co], failed, stale)
        assert again.applied == ()
        assert again.contract == failed.contract and again.budget == failed.budget
        assert again.milestones == failed.milestones
        assert [v.version for v in again.decided.history] == [1, 2]

    def test_a_new_change_order_builds_on_the_unconfirmed_version_not_on_the_stale_one(self) -> None:
        failed = plan([change_order("CO-7")]).decided
        second = change_order("CO-8", delta_value=usd("1000"))
        second = second.replace(new_milestones=(PlannedMilestone(name="Training", amount=usd("1000")),))
        made = plan([second], failed, facts(fixed_fee_contract(), BUDGET))
        assert made.contract is not None and made.contract.version == 3
        assert made.budget == ProjectBudget(fees=usd("103500"))
        assert [m.name for m in made.milestones] == ["Hypercare CO-7", "Training"]

    def test_the_state_round_trips_through_json(self) -> None:
        decided = plan([change_order()]).decided
        assert Decided.from_state(decided.to_state()) == decided
        assert Decided.from_state(None) == Decided()


class TestMilestoneFees:
    def test_one_unpriced_milestone_of_a_fixed_fee_change_order_bills_its_value(self) -> None:
        co = change_order(new_milestones=(PlannedMilestone(name="Change order 1 acceptance"),))
        priced = price_new_milestones(co, fixed_fee_contract())
        assert priced.new_milestones[0].amount == usd("2500")
        made = plan([co])
        assert made.contract is not None and made.contract.billing_plan.lines[-1].amount == usd("2500")
        assert made.milestones[0].amount == usd("2500")

    def test_without_the_policy_the_billing_plan_must_add_up(self) -> None:
        co = change_order(new_milestones=(PlannedMilestone(name="Change order 1 acceptance"),))
        made = plan([co], price_single_milestone=False)
        assert not made.sends and "the billing plan would no longer add up" in messages(made)[0]

    def test_time_and_materials_milestones_stay_unpriced(self) -> None:
        co = change_order(new_milestones=(PlannedMilestone(name="Extra workshop"),))
        assert price_new_milestones(co, tm_contract()) == co
        made = plan([co], known=facts(tm_contract()))
        assert made.contract is not None and made.contract.total_value == usd("102500")
        assert made.milestones[0].amount is None


class TestConfiguration:
    def test_the_shipped_file_loads_and_a_misspelt_setting_is_refused_with_its_line(
        self, tmp_path: Path
    ) -> None:
        shipped = load_change_orders()
        assert shipped.systems.model_dump() == {"crm": "salesforce", "psa": "kantata", "erp": "netsuite"}
        assert shipped.single_milestone_bills_value and shipped.settle.gathering().quiet_s == 2
        wrong = tmp_path / "change_orders.yaml"
        wrong.write_text("systems: {crm: salesforce}\nsingle_milestone_bills: false\n")
        with pytest.raises(
            ConfigError, match=r"change_orders.yaml:2: 'single_milestone_bills' is not a setting"
        ):
            load_change_orders(wrong)
