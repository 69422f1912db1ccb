"""Revenue events per recognition basis, with journals that balance to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.hours import Hours
from concord.domain.money import Money
from concord.domain.objects import (
    BillingBasis,
    BillingPlan,
    Contract,
    JournalSide,
    MilestoneStatus,
    RecognitionBasis,
    RevenueEvent,
    RevenuePlan,
)
from concord.domain.periods import Period
from concord.domain.revenue import (
    DEFAULT_ACCOUNTS,
    CostProgress,
    HoursProgress,
    RevenueAccounts,
    journal_lines,
    recognise_as_delivered,
    recognise_milestones,
    recognise_percent_complete,
    recognise_straight_line,
)

from .rule_facts import (
    STAMP,
    SYSTEMS,
    entry,
    expense,
    fixed_fee_contract,
    milestone,
    subscription_contract,
    tm_contract,
)
from .samples import usd

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
ACCOUNTS = RevenueAccounts("1250 Unbilled receivables", "4000 Services revenue")


def poc_contract(value: str = "100000") -> Contract:
    return fixed_fee_contract(
        total_value=usd(value),
        billing_plan=BillingPlan(basis=BillingBasis.MILESTONE),
        revenue_plan=RevenuePlan(basis=RecognitionBasis.PERCENT_COMPLETE),
    )


def balanced(event: RevenueEvent) -> bool:
    debits = Money.sum((j.amount for j in event.journal_lines if j.side is JournalSide.DEBIT), "USD")
    credits = Money.sum((j.amount for j in event.journal_lines if j.side is JournalSide.CREDIT), "USD")
    return debits == credits == abs(event.amount)


class TestJournal:
    def test_revenue_debits_the_asset_and_credits_revenue(self) -> None:
        debit, credit = journal_lines(usd("1441.67"), ACCOUNTS)
        assert (debit.account, debit.side, debit.amount) == (
            "1250 Unbilled receivables",
            JournalSide.DEBIT,
            usd("1441.67"),
        )
        assert (credit.account, credit.side, credit.amount) == (
            "4000 Services revenue",
            JournalSide.CREDIT,
            usd("1441.67"),
        )

    def test_a_reversal_swaps_the_sides(self) -> None:
        debit, credit = journal_lines(usd("-10"), ACCOUNTS)
        assert (debit.account, credit.account) == ("4000 Services revenue", "1250 Unbilled receivables")
        assert debit.amount == credit.amount == usd("10")

    def test_nothing_to_journal_for_zero(self) -> None:
        assert journal_lines(usd("0.004"), ACCOUNTS) == ()

    @settings(deadline=None)
    @given(amount=st.decimals(min_value=Decimal(-(10**9)), max_value=Decimal(10**9), places=4))
    def test_journal_lines_balance_to_the_cent(self, amount: Decimal) -> None:
        lines = journal_lines(usd(str(amount)), ACCOUNTS)
        debits = Money.sum((j.amount for j in lines if j.side is JournalSide.DEBIT), "USD")
        credits = Money.sum((j.amount for j in lines if j.side is JournalSide.CREDIT), "USD")
        assert debits == credits == abs(usd(str(amount)).round())


class TestAsDelivered:
    def test_recognises_approved_billable_time_and_expenses_of_the_period(self) -> None:
        result = recognise_as_delivered(
            tm_contract(),
            MARCH,
            stamp=STAMP,
            entries=[entry(), entry(work_date=date(2026, 4, 1)), entry(billable=False)],
            expenses=[expense()],
        )
        [event] = result.events
        assert event.amount == usd("1578.53")  # 1,125.00 + 453.53
        assert event.recognition_basis is RecognitionBasis.AS_DELIVERED
        assert (event.period_start, event.period_end) == (MARCH.start, MARCH.end)
        assert balanced(event)
        assert [j.account for j in event.journal_lines] == [
            DEFAULT_ACCOUNTS[RecognitionBasis.AS_DELIVERED].debit,
            DEFAULT_ACCOUNTS[RecognitionBasis.AS_DELIVERED].credit,
        ]
        again = recognise_as_delivered(tm_contract(), MARCH, stamp=STAMP, entries=[entry()])
        assert again.events[0].global_id == event.global_id

    def test_capped_like_billing(self) -> None:
        result = recognise_as_delivered(
            tm_contract(not_to_exceed=usd("1000")),
            MARCH,
            stamp=STAMP,
            entries=[entry()],
            recognised_to_date=usd("400"),
        )
        assert result.events[0].amount == usd("600")
        assert result.overflow is not None and result.overflow.amount == usd("525.00")
        assert result.findings[0].rule == "revenue.over_cap"
        with pytest.raises(ValueError, match="recognised_to_date"):
            recognise_as_delivered(tm_contract(not_to_exceed=usd("1000")), MARCH, stamp=STAMP)

    def test_the_rest_of_a_capped_entry_is_recognised_after_the_cap_is_raised(self) -> None:
        e = entry()
        result = recognise_as_delivered(
            tm_contract(not_to_exceed=usd("5000")),
            MARCH,
            stamp=STAMP,
            entries=[e],
            recognised_to_date=usd("2000"),
            partly_recognised={e.global_id: usd("600")},
        )
        assert result.events[0].amount == usd("525.00")

    def test_nothing_delivered_nothing_recognised(self) -> None:
        assert recognise_as_delivered(tm_contract(), MARCH, stamp=STAMP).events == ()

    def test_only_as_delivered_contracts(self) -> None:
        with pytest.raises(ValueError, match="recognises revenue milestone acceptance, not as delivered"):
            recognise_as_delivered(fixed_fee_contract(), MARCH, stamp=STAMP)


class TestMilestoneAcceptance:
    def test_accepted_milestones_are_recognised_once(self) -> None:
        accepted = milestone(
            status=MilestoneStatus.ACCEPTED, completed_on=None, accepted_on=date(2026, 3, 20)
        )
        complete_only = milestone("Go-live", amount=usd("60000"))
        result = recognise_milestones(fixed_fee_contract(), [accepted, complete_only], MARCH, stamp=STAMP)
        [event] = result.events
        assert event.amount == usd("40000") and balanced(event)
        assert event.project_id == accepted.project_id
        done = {event.global_id}
        assert (
            recognise_milestones(
                fixed_fee_contract(), [accepted], MARCH, stamp=STAMP, already_recognised=done
            ).events
            == ()
        )

    def test_acceptance_after_the_period_waits(self) -> None:
        later = milestone(status=MilestoneStatus.ACCEPTED, completed_on=None, accepted_on=date(2026, 4, 2))
        assert recognise_milestones(fixed_fee_contract(), [later], MARCH, stamp=STAMP).events == ()

    def test_a_disagreeing_amount_is_a_conflict(self) -> None:
        wrong = milestone(
            status=MilestoneStatus.ACCEPTED, completed_on=None, accepted_on=date(2026, 3, 20), amount=usd("1")
        )
        result = recognise_milestones(fixed_fee_contract(), [wrong], MARCH, stamp=STAMP, systems=SYSTEMS)
        assert result.events == ()
        assert (
            "was not recognised: the billing plan in NetSuite says USD 40,000.00"
            in result.findings[0].message
        )


class TestPercentComplete:
    def test_cost_to_cost_recognises_the_cumulative_catch_up(self) -> None:
        progress = CostProgress(actual_cost=usd("10000"), estimated_total_cost=usd("30000"))
        result = recognise_percent_complete(
            poc_contract(), MARCH, progress, stamp=STAMP, recognised_to_date=usd("0")
        )
        [event] = result.events
        assert event.amount == usd("33333.33")  # 100,000 x 1/3, rounded half-up
        assert event.journal_lines[0].account == "1260 Contract assets" and balanced(event)
        april = Period(date(2026, 4, 1), date(2026, 4, 30))
        more = CostProgress(actual_cost=usd("20000"), estimated_total_cost=usd("30000"))
        [next_event] = recognise_percent_complete(
            poc_contract(), april, more, stamp=STAMP, recognised_to_date=event.amount
        ).events
        assert next_event.amount == usd("33333.34")  # 66,666.67 cumulative

    def test_hours_based_progress(self) -> None:
        progress = HoursProgress(actual_hours=Hours(150), estimated_total_hours=Hours(600))
        [event] = recognise_percent_complete(
            poc_contract(), MARCH, progress, stamp=STAMP, recognised_to_date=usd("0")
        ).events
        assert event.amount == usd("25000")

    def test_a_grown_estimate_reverses_revenue(self) -> None:
        progress = CostProgress(actual_cost=usd("10000"), estimated_total_cost=usd("50000"))
        [event] = recognise_percent_complete(
            poc_contract(), MARCH, progress, stamp=STAMP, recognised_to_date=usd("33333.33")
        ).events
        assert event.amount == usd("-13333.33")
        assert event.journal_lines[0].account == "4000 Services revenue"  # debit revenue
        assert balanced(event)

    def test_progress_never_passes_the_contract_value(self) -> None:
        over = CostProgress(actual_cost=usd("40000"), estimated_total_cost=usd("30000"))
        [event] = recognise_percent_complete(
            poc_contract(), MARCH, over, stamp=STAMP, recognised_to_date=usd("90000")
        ).events
        assert event.amount == usd("10000")
        done = recognise_percent_complete(
            poc_contract(), MARCH, over, stamp=STAMP, recognised_to_date=usd("100000")
        )
        assert done.events == () and done.findings == ()

    def test_an_unmeasurable_estimate_is_a_finding(self) -> None:
        zero = HoursProgress(actual_hours=Hours(10), estimated_total_hours=Hours(0))
        result = recognise_percent_complete(
            poc_contract(), MARCH, zero, stamp=STAMP, recognised_to_date=usd("0")
        )
        assert result.events == ()
        assert result.findings[0].message == (
            "Contract SOW-1042 had no revenue recognised for 2026-03-01 to 2026-03-31: "
            "its estimated total hours is 0.00; progress cannot be measured against it."
        )

    @settings(deadline=None)
    @given(
        fractions=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12),
        value=st.decimals(min_value=Decimal(1), max_value=Decimal(10**7), places=2),
    )
    def test_cumulative_events_sum_to_the_cumulative_revenue(
        self, fractions: list[int], value: Decimal
    ) -> None:
        contract = poc_contract(str(value))
        recognised = usd("0")
        for done in [*fractions, 1000]:
            progress = HoursProgress(actual_hours=Decimal(done), estimated_total_hours=Decimal(1000))
            result = recognise_percent_complete(
                contract, MARCH, progress, stamp=STAMP, recognised_to_date=recognised
            )
            for event in result.events:
                assert balanced(event)
                recognised = recognised + event.amount
        assert recognised == usd(str(value))


class TestStraightLine:
    def test_one_equal_share_per_ended_month(self) -> None:
        result = recognise_straight_line(
            subscription_contract(total_value=usd("1000")), as_of=date(2026, 3, 31), stamp=STAMP
        )
        assert [e.amount for e in result.events] == [usd("83.34"), usd("83.34"), usd("83.34")]
        assert all(
            balanced(e) and e.journal_lines[0].account == "2400 Deferred revenue" for e in result.events
        )

    def test_the_whole_year_adds_up_to_the_contract_value(self) -> None:
        result = recognise_straight_line(
            subscription_contract(total_value=usd("1000")), as_of=date(2027, 1, 1), stamp=STAMP
        )
        assert len(result.events) == 12
        assert Money.sum((e.amount for e in result.events), "USD") == usd("1000")

    def test_reruns_skip_what_was_recognised_and_catch_up_after_a_change(self) -> None:
        first = recognise_straight_line(subscription_contract(), as_of=date(2026, 3, 31), stamp=STAMP)
        result = recognise_straight_line(
            subscription_contract(total_value=usd("24000")),
            as_of=date(2026, 4, 30),
            stamp=STAMP,
            already_recognised={e.global_id for e in first.events},
            recognised_to_date=usd("3000"),
        )
        [april] = result.events
        assert april.amount == usd("5000")

    def test_only_straight_line_contracts(self) -> None:
        with pytest.raises(ValueError, match="not straight line"):
            recognise_straight_line(tm_contract(), as_of=date(2026, 3, 31), stamp=STAMP)
