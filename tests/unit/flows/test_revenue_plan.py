"""The revenue flows' decisions, pure: what each recognition basis sends to the ERP, that the same facts
send nothing twice, that a later change is a delta or a reversal, and that a closed period moves revenue
into the first open one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from concord.domain.billing import MilestoneTrigger
from concord.domain.hours import Hours
from concord.domain.objects import (
    JournalSide,
    Milestone,
    MilestoneStatus,
    ProjectBudget,
    RecognitionBasis,
    RevenuePlan,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import Period
from concord.domain.revenue import CompletionMethod, RevenueAccounts, revenue_id
from concord.flows.revenue_plan import (
    RecognitionPlan,
    SentRevenue,
    booking_period,
    current_period_end,
    month_of,
    plan_as_delivered,
    plan_milestones,
    plan_percent_complete,
    plan_straight_line,
)
from unit.domain.rule_facts import (
    STAMP,
    SYSTEMS,
    calendar,
    entry,
    fixed_fee_contract,
    milestone,
    project,
    subscription_contract,
    tm_contract,
)
from unit.domain.samples import PROJECT_ID, usd

ACCOUNTS = RevenueAccounts("unbilled_receivable", "services_revenue")
MARCH = month_of(date(2026, 3, 12))


def _delivered(
    entries: list[TimeEntry], sent: Sequence[SentRevenue] = (), closed: int = 0, **contract: Any
) -> RecognitionPlan:
    return plan_as_delivered(
        tm_contract(**contract),
        MARCH,
        entries,
        sent,
        project_id=PROJECT_ID,
        calendar=calendar(closed),
        accounts=ACCOUNTS,
        stamp=STAMP,
        systems=SYSTEMS,
    )


def _amounts(plan: RecognitionPlan) -> list[Decimal]:
    return [made.event.amount.amount for made in plan.to_send]


def test_calendar_helpers() -> None:
    assert month_of(date(2026, 2, 14)) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert month_of(date(2026, 12, 31)) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert booking_period(calendar(2), date(2026, 2, 27)) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert booking_period(calendar(0), date(2027, 1, 5)) is None
    assert current_period_end(calendar(2), date(2026, 2, 20)) == date(2026, 3, 31)
    assert current_period_end(calendar(0), date(2027, 1, 5)) == date(2027, 1, 5)


class TestAsDelivered:
    def test_a_month_of_approved_billable_time_is_hours_times_rate_to_the_cent(self) -> None:
        entries = [
            entry(work_date=date(2026, 3, 2), hours=Hours("7.5")),
            entry(work_date=date(2026, 3, 3), hours=Hours("1.33"), bill_rate=usd("152.1275")),
            entry(work_date=date(2026, 3, 4), billable=False),
            entry(work_date=date(2026, 3, 5), status=TimeEntryStatus.SUBMITTED, approved_at=None),
        ]
        plan = _delivered(entries)
        (made,) = plan.to_send
        # 7.5 x 150 = 1125.00; 1.33 x 152.1275 = 202.329575 -> 202.33; the rest is not due.
        assert made.event.amount == usd("1327.33")
        assert made.event.recognition_basis is RecognitionBasis.AS_DELIVERED
        assert (made.event.period_start, made.event.period_end) == (MARCH.start, MARCH.end)
        debit, credit = made.event.journal_lines
        assert (debit.account, debit.side, debit.amount) == (
            "unbilled_receivable",
            JournalSide.DEBIT,
            usd("1327.33"),
        )
        assert (credit.account, credit.side) == ("services_revenue", JournalSide.CREDIT)
        assert made.event.legal_entity_code == "US01" and made.event.project_id == PROJECT_ID
        assert made.key == f"{PROJECT_ID}|2026-03" and made.generation == 1

    def test_the_same_facts_again_send_nothing_and_the_id_is_stable(self) -> None:
        entries = [entry(work_date=date(2026, 3, 2))]
        first = _delivered(entries)
        assert _delivered(entries, first.to_send).to_send == ()
        assert _delivered(entries).to_send[0].event.global_id == first.to_send[0].event.global_id

    def test_a_later_approval_adds_the_difference_and_a_rejection_reverses_it(self) -> None:
        kept, later = entry(work_date=date(2026, 3, 2)), entry(work_date=date(2026, 3, 9))
        first = _delivered([kept])
        second = _delivered([kept, later], first.to_send)
        assert _amounts(second) == [Decimal("1125.00")] and second.to_send[0].generation == 2
        assert second.to_send[0].event.global_id != first.to_send[0].event.global_id
        sent = (*first.to_send, *second.to_send)
        rejected = later.replace(status=TimeEntryStatus.REJECTED, approved_at=None)
        third = _delivered([kept, rejected], sent)
        (reversal,) = third.to_send
        assert reversal.event.amount == usd("-1125.00") and reversal.generation == 3
        # A reversal swaps the sides: revenue is debited back.
        assert reversal.event.journal_lines[0].account == "services_revenue"
        assert reversal.event.journal_lines[0].side is JournalSide.DEBIT
        assert _delivered([kept, rejected], (*sent, reversal)).to_send == ()

    def test_a_closed_month_is_recognised_in_the_first_open_period(self) -> None:
        plan = _delivered([entry(work_date=date(2026, 3, 2))], closed=3)
        (made,) = plan.to_send
        # A catch-up: March's revenue, booked at the end of April.
        assert (made.event.period_start, made.event.period_end) == (date(2026, 3, 1), date(2026, 4, 30))

    def test_no_open_period_holds_the_revenue_with_a_finding(self) -> None:
        plan = _delivered([entry(work_date=date(2026, 3, 2))], closed=12)
        assert plan.to_send == ()
        (finding,) = plan.findings
        assert finding.rule == "revenue.no_open_period" and "no open accounting period" in finding.message

    def test_an_entry_without_a_bill_rate_is_a_finding_and_the_rest_is_recognised(self) -> None:
        plan = _delivered(
            [entry(work_date=date(2026, 3, 2)), entry(work_date=date(2026, 3, 3), bill_rate=None)]
        )
        assert _amounts(plan) == [Decimal("1125.00")]
        assert [f.subject.object_type for f in plan.findings] == ["TimeEntry"]

    def test_a_month_over_the_not_to_exceed_cap_is_recognised_up_to_the_cap(self) -> None:
        entries = [entry(work_date=date(2026, 3, day)) for day in (2, 3)]
        plan = _delivered(entries, not_to_exceed=usd("2000"))
        assert _amounts(plan) == [Decimal("2000.00")]
        assert [f.rule for f in plan.findings] == ["revenue.over_cap"]


class TestPercentComplete:
    def _plan(
        self,
        entries: list[TimeEntry],
        sent: Sequence[SentRevenue] = (),
        method: CompletionMethod = CompletionMethod.HOURS,
        **budget: Any,
    ) -> RecognitionPlan:
        contract = fixed_fee_contract(revenue_plan=RevenuePlan(basis=RecognitionBasis.PERCENT_COMPLETE))
        return plan_percent_complete(
            contract,
            MARCH,
            entries,
            sent,
            project=project(budget=ProjectBudget(**budget)),
            project_id=PROJECT_ID,
            method=method,
            calendar=calendar(),
            accounts=RevenueAccounts("contract_asset", "services_revenue"),
            stamp=STAMP,
            systems=SYSTEMS,
        )

    def test_the_months_hours_over_the_budgeted_hours_share_the_contract_value(self) -> None:
        entries = [entry(work_date=date(2026, 3, day), billable=False) for day in (2, 3)]
        plan = self._plan(entries, hours=Hours("1000"))
        # 15 h of 1000 h: 1.5 % of 100,000.00
        assert _amounts(plan) == [Decimal("1500.00")]
        assert plan.to_send[0].event.journal_lines[0].account == "contract_asset"
        assert self._plan(entries, plan.to_send, hours=Hours("1000")).to_send == ()

    def test_a_raised_estimate_reverses_part_of_what_was_recognised(self) -> None:
        entries = [entry(work_date=date(2026, 3, 2))]
        first = self._plan(entries, hours=Hours("100"))
        assert _amounts(first) == [Decimal("7500.00")]
        second = self._plan(entries, first.to_send, hours=Hours("150"))
        assert _amounts(second) == [Decimal("-2500.00")]

    def test_cost_to_cost_uses_the_cost_of_the_hours(self) -> None:
        entries = [entry(work_date=date(2026, 3, 2))]  # 7.5 h at 62.50 = 468.75
        plan = self._plan(entries, method=CompletionMethod.COST_TO_COST, cost=usd("46875"))
        assert _amounts(plan) == [Decimal("1000.00")]

    def test_without_a_budget_nothing_is_recognised_and_a_finding_says_why(self) -> None:
        plan = self._plan([entry(work_date=date(2026, 3, 2))])
        assert plan.to_send == () and [f.rule for f in plan.findings] == ["revenue.no_estimate"]


class TestMilestones:
    def _plan(
        self,
        milestones: list[Milestone],
        sent: Sequence[SentRevenue] = (),
        reached: dict[str, date] | None = None,
        trigger: MilestoneTrigger = MilestoneTrigger.COMPLETION,
        closed: int = 0,
    ) -> RecognitionPlan:
        return plan_milestones(
            fixed_fee_contract(),
            milestones,
            sent,
            reached_on=reached or {},
            today=date(2026, 6, 3),
            trigger=trigger,
            calendar=calendar(closed),
            accounts=ACCOUNTS,
            stamp=STAMP,
            systems=SYSTEMS,
        )

    def test_a_completed_milestone_is_recognised_once_for_its_plan_amount(self) -> None:
        done = milestone()
        open_one = milestone("Go-live", amount=usd("60000"), status=MilestoneStatus.OPEN, completed_on=None)
        plan = self._plan([done, open_one])
        (made,) = plan.to_send
        assert made.event.amount == usd("40000") and made.key == done.global_id
        assert (made.event.period_start, made.event.period_end) == (date(2026, 5, 28), date(2026, 5, 28))
        # Generation 1 has the domain's id for the milestone.
        expected = revenue_id(
            fixed_fee_contract().global_id,
            RecognitionBasis.MILESTONE_ACCEPTANCE,
            done.global_id,
            on=date(2026, 5, 28),
        )
        assert made.event.global_id == expected
        assert self._plan([done, open_one], plan.to_send, dict(plan.reached_on)).to_send == ()

    def test_a_milestone_completed_without_a_date_keeps_the_first_day_it_was_seen(self) -> None:
        undated = milestone(completed_on=None)
        first = self._plan([undated])
        assert first.reached_on == {undated.global_id: date(2026, 6, 3)}
        again = plan_milestones(
            fixed_fee_contract(),
            [undated],
            first.to_send,
            reached_on=first.reached_on,
            today=date(2026, 7, 9),
            trigger=MilestoneTrigger.COMPLETION,
            calendar=calendar(),
            accounts=ACCOUNTS,
            stamp=STAMP,
            systems=SYSTEMS,
        )
        assert again.to_send == () and again.reached_on == first.reached_on

    def test_a_reopened_milestone_is_reversed_in_the_current_period(self) -> None:
        done = milestone()
        first = self._plan([done])
        reopened = done.replace(status=MilestoneStatus.OPEN, completed_on=None)
        second = self._plan([reopened], first.to_send, dict(first.reached_on))
        (reversal,) = second.to_send
        assert reversal.event.amount == usd("-40000") and reversal.generation == 2
        assert reversal.event.period_end == date(2026, 6, 3)

    def test_on_acceptance_a_completed_milestone_waits(self) -> None:
        assert self._plan([milestone()], trigger=MilestoneTrigger.ACCEPTANCE).to_send == ()
        accepted = milestone(status=MilestoneStatus.ACCEPTED, accepted_on=date(2026, 6, 1))
        assert _amounts(self._plan([accepted], trigger=MilestoneTrigger.ACCEPTANCE)) == [Decimal("40000.00")]

    def test_an_amount_that_disagrees_with_the_plan_is_a_conflict_not_revenue(self) -> None:
        plan = self._plan([milestone(amount=usd("45000"))])
        assert plan.to_send == () and [f.rule for f in plan.findings] == ["milestone.amount_conflict"]

    def test_a_milestone_completed_in_a_closed_month_is_booked_in_the_first_open_period(self) -> None:
        (made,) = self._plan([milestone()], closed=5).to_send
        assert (made.event.period_start, made.event.period_end) == (date(2026, 5, 28), date(2026, 6, 30))


class TestStraightLine:
    def _plan(
        self,
        sent: Sequence[SentRevenue] = (),
        as_of: date = date(2026, 3, 31),
        closed: int = 0,
        **contract: Any,
    ) -> RecognitionPlan:
        return plan_straight_line(
            subscription_contract(**contract),
            sent,
            as_of=as_of,
            calendar=calendar(closed),
            accounts=RevenueAccounts("deferred_revenue", "subscription_revenue"),
            stamp=STAMP,
            systems=SYSTEMS,
        )

    def test_each_elapsed_period_is_an_even_share_once(self) -> None:
        plan = self._plan()
        assert _amounts(plan) == [Decimal("1000.00")] * 3
        assert [m.event.period_end for m in plan.to_send] == [
            date(2026, 1, 31),
            date(2026, 2, 28),
            date(2026, 3, 31),
        ]
        assert plan.to_send[0].event.journal_lines[0].account == "deferred_revenue"
        assert self._plan(plan.to_send).to_send == ()
        (april,) = self._plan(plan.to_send, as_of=date(2026, 4, 30)).to_send
        assert april.event.amount == usd("1000")

    def test_a_raised_value_is_caught_up_in_the_next_period(self) -> None:
        first = self._plan()
        (april,) = self._plan(first.to_send, as_of=date(2026, 4, 30), total_value=usd("24000")).to_send
        # Jan to Apr at 2000 = 8000, 3000 recognised: April takes 5000.
        assert april.event.amount == usd("5000")

    def test_periods_of_closed_months_go_into_the_first_open_period(self) -> None:
        plan = self._plan(closed=2)
        assert [(m.event.period_start, m.event.period_end) for m in plan.to_send] == [
            (date(2026, 1, 1), date(2026, 3, 31)),
            (date(2026, 2, 1), date(2026, 3, 31)),
            (date(2026, 3, 1), date(2026, 3, 31)),
        ]
        assert len({m.event.global_id for m in plan.to_send}) == 3

    def test_a_contract_of_another_pricing_model_is_refused(self) -> None:
        with pytest.raises(ValueError, match="not straight line"):
            plan_straight_line(
                tm_contract(),
                (),
                as_of=date(2026, 3, 31),
                calendar=calendar(),
                accounts=ACCOUNTS,
                stamp=STAMP,
                systems=SYSTEMS,
            )


def test_sent_revenue_survives_the_instance_state() -> None:
    (made,) = _delivered([entry(work_date=date(2026, 3, 2))]).to_send
    assert SentRevenue.from_state(made.to_state()) == made
