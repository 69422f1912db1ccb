"""Invoice events: milestones, time and materials with the not-to-exceed cap, subscriptions; never twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.billing import (
    MilestoneTrigger,
    TimeLineDetail,
    bill_milestones,
    bill_subscription,
    bill_time_and_materials,
)
from concord.domain.findings import FindingCategory
from concord.domain.fx import ExchangeRate, RateTable
from concord.domain.hours import Hours
from concord.domain.money import Money
from concord.domain.objects import (
    BillingBasis,
    BillingFrequency,
    BillingPlan,
    BillingPlanLine,
    InvoiceLineKind,
    MilestoneStatus,
    TimeEntryStatus,
)
from concord.domain.periods import Period

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
from .samples import RESOURCE_ID, usd

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


class TestMilestones:
    def test_a_completed_milestone_is_billed_its_plan_amount_once(self) -> None:
        done = milestone("Design signed off")
        result = bill_milestones(
            fixed_fee_contract(),
            [done, milestone("Go-live", status=MilestoneStatus.OPEN, completed_on=None, amount=usd("60000"))],
            stamp=STAMP,
        )
        [invoice] = result.invoices
        assert invoice.billing_basis is BillingBasis.MILESTONE
        assert invoice.amount == usd("40000")
        assert (invoice.period_start, invoice.period_end) == (date(2026, 5, 28), date(2026, 5, 28))
        [line] = invoice.lines
        assert line.kind is InvoiceLineKind.MILESTONE and line.source_ids == (done.global_id,)
        assert invoice.project_id == done.project_id
        assert invoice.source_system == "concord" and invoice.correlation_id == STAMP.correlation_id
        again = bill_milestones(fixed_fee_contract(), [done], stamp=STAMP)
        assert again.invoices[0].global_id == invoice.global_id
        assert (
            bill_milestones(
                fixed_fee_contract(), [done], stamp=STAMP, already_invoiced={invoice.global_id}
            ).invoices
            == ()
        )

    def test_acceptance_policy_waits_for_the_customer(self) -> None:
        done = milestone()
        assert (
            bill_milestones(
                fixed_fee_contract(), [done], stamp=STAMP, trigger=MilestoneTrigger.ACCEPTANCE
            ).invoices
            == ()
        )
        accepted = milestone(status=MilestoneStatus.ACCEPTED, accepted_on=date(2026, 6, 2))
        [invoice] = bill_milestones(
            fixed_fee_contract(), [accepted], stamp=STAMP, trigger=MilestoneTrigger.ACCEPTANCE
        ).invoices
        assert invoice.period_end == date(2026, 6, 2)

    def test_complete_without_a_date_bills_on_the_day_of_the_run(self) -> None:
        [invoice] = bill_milestones(
            fixed_fee_contract(), [milestone(completed_on=None)], stamp=STAMP
        ).invoices
        assert invoice.period_start == STAMP.at.date()

    def test_a_disagreeing_amount_is_a_conflict_not_an_invoice(self) -> None:
        result = bill_milestones(
            fixed_fee_contract(), [milestone(amount=usd("35000"))], stamp=STAMP, systems=SYSTEMS
        )
        assert result.invoices == ()
        [finding] = result.findings
        assert finding.category is FindingCategory.CONFLICT
        assert finding.message == (
            "Milestone 'Design signed off' of contract SOW-1042 was not invoiced: "
            "the billing plan in NetSuite says USD 40,000.00 but Kantata says USD 35,000.00."
        )

    def test_a_priced_milestone_missing_from_the_plan_is_a_conflict(self) -> None:
        result = bill_milestones(fixed_fee_contract(), [milestone("Hypercare")], stamp=STAMP, systems=SYSTEMS)
        assert [f.message for f in result.findings] == [
            "Milestone 'Hypercare' of contract SOW-1042 was not invoiced: "
            "it carries USD 40,000.00 in Kantata but the billing plan in NetSuite has no line for it."
        ]

    def test_an_unpriced_checkpoint_is_not_billed(self) -> None:
        result = bill_milestones(fixed_fee_contract(), [milestone("Kick-off", amount=None)], stamp=STAMP)
        assert result.invoices == () and result.findings == ()

    def test_plan_names_match_case_insensitively_and_the_plan_amount_wins(self) -> None:
        [invoice] = bill_milestones(
            fixed_fee_contract(), [milestone("GO-LIVE", amount=None)], stamp=STAMP
        ).invoices
        assert invoice.amount == usd("60000")

    def test_only_milestone_contracts(self) -> None:
        with pytest.raises(ValueError, match="time and materials period basis, not milestone"):
            bill_milestones(tm_contract(), [], stamp=STAMP)


class TestTimeAndMaterials:
    def test_bills_approved_billable_time_and_expenses_up_to_the_period_end(self) -> None:
        a = entry(hours=Hours("3.33"), bill_rate=usd("95.095"))
        b = entry(work_date=date(2026, 2, 20))  # approved late: billed now
        not_yet = entry(work_date=date(2026, 4, 1))
        unapproved = entry(status=TimeEntryStatus.SUBMITTED, approver_id=None, approved_at=None)
        non_billable = entry(billable=False)
        item = expense()
        result = bill_time_and_materials(
            tm_contract(),
            MARCH,
            stamp=STAMP,
            entries=[a, b, not_yet, unapproved, non_billable],
            expenses=[item],
        )
        [invoice] = result.invoices
        assert [line.source_ids for line in invoice.lines] == [
            (b.global_id,),
            (a.global_id,),
            (item.global_id,),
        ]
        assert [line.amount for line in invoice.lines] == [usd("1125.00"), usd("316.67"), usd("453.53")]
        assert invoice.amount == usd("1895.20") == result.uncapped
        assert invoice.lines[1].hours == Hours("3.33") and invoice.lines[1].rate == usd("95.095")
        assert invoice.lines[2].kind is InvoiceLineKind.EXPENSE and "(+10 %)" in invoice.lines[2].description
        assert result.overflow is None and result.findings == ()

    def test_already_billed_items_are_skipped_and_ids_are_per_contract_and_period(self) -> None:
        a, b = entry(), entry()
        first = bill_time_and_materials(tm_contract(), MARCH, stamp=STAMP, entries=[a, b])
        second = bill_time_and_materials(
            tm_contract(), MARCH, stamp=STAMP, entries=[a, b], already_billed={a.global_id}
        )
        assert first.invoices[0].global_id == second.invoices[0].global_id
        assert second.invoices[0].amount == usd("1125.00")
        april = bill_time_and_materials(
            tm_contract(), Period(date(2026, 4, 1), date(2026, 4, 30)), stamp=STAMP, entries=[a]
        )
        assert april.invoices[0].global_id != first.invoices[0].global_id

    def test_nothing_due_makes_no_invoice(self) -> None:
        assert bill_time_and_materials(tm_contract(), MARCH, stamp=STAMP).invoices == ()

    def test_the_cap_bills_up_to_the_cap_and_reports_the_overflow(self) -> None:
        contract = tm_contract(not_to_exceed=usd("10000"))
        a = entry(work_date=date(2026, 3, 2))  # 1,125.00
        b = entry(work_date=date(2026, 3, 3))  # 1,125.00, crosses the cap
        c = entry(work_date=date(2026, 3, 4))  # 1,125.00, all over
        result = bill_time_and_materials(
            contract, MARCH, stamp=STAMP, entries=[c, b, a], billed_to_date=usd("8500"), systems=SYSTEMS
        )
        [invoice] = result.invoices
        assert invoice.amount == usd("1500.00")
        first, part = invoice.lines
        assert first.source_ids == (a.global_id,) and first.hours == Hours("7.5")
        assert part.source_ids == (b.global_id,) and part.amount == usd("375.00")
        assert (
            part.hours is None
            and part.rate is None
            and "part, up to the not-to-exceed cap" in part.description
        )
        overflow = result.overflow
        assert overflow is not None
        assert overflow.amount == usd("1875.00")
        assert overflow.source_ids == (b.global_id, c.global_id) and overflow.partial_source_id == b.global_id
        assert invoice.amount + overflow.amount == result.uncapped == usd("3375.00")
        [finding] = result.findings
        assert finding.rule == "billing.over_cap"
        assert finding.message == (
            "Contract SOW-1042 reached its not-to-exceed cap of USD 10,000.00: "
            "USD 1,875.00 of approved time and expenses up to 2026-03-31 was not invoiced "
            "(2 entries and expenses); a change order can raise the cap."
        )
        assert [r.object_type for r in finding.related] == ["Contract", "TimeEntry", "TimeEntry"]

    def test_the_rest_of_a_part_billed_entry_is_billed_once_the_cap_is_raised(self) -> None:
        a, b, c = (entry(work_date=date(2026, 3, day)) for day in (2, 3, 4))
        capped = bill_time_and_materials(
            tm_contract(not_to_exceed=usd("10000")),
            MARCH,
            stamp=STAMP,
            entries=[a, b, c],
            billed_to_date=usd("8500"),
        )
        overflow = capped.overflow
        assert overflow is not None and overflow.partial_source_id == b.global_id
        raised = tm_contract(not_to_exceed=usd("20000"))
        april = bill_time_and_materials(
            raised,
            Period(date(2026, 4, 1), date(2026, 4, 30)),
            stamp=STAMP,
            entries=[a, b, c],
            billed_to_date=usd("10000"),
            already_billed={a.global_id},
            partly_billed={b.global_id: usd("375.00")},
        )
        [invoice] = april.invoices
        assert [(line.source_ids[0], line.amount) for line in invoice.lines] == [
            (b.global_id, usd("750.00")),
            (c.global_id, usd("1125.00")),
        ]
        assert "(rest, over the earlier not-to-exceed cap)" in invoice.lines[0].description
        assert invoice.amount == overflow.amount

    def test_a_cap_already_reached_bills_nothing(self) -> None:
        contract = tm_contract(not_to_exceed=usd("10000"))
        result = bill_time_and_materials(
            contract, MARCH, stamp=STAMP, entries=[entry()], billed_to_date=usd("10000")
        )
        assert result.invoices == ()
        assert result.overflow is not None and result.overflow.amount == usd("1125.00")

    def test_a_cap_needs_what_was_billed_before(self) -> None:
        with pytest.raises(ValueError, match="billed_to_date"):
            bill_time_and_materials(tm_contract(not_to_exceed=usd("1")), MARCH, stamp=STAMP)

    def test_items_that_cannot_be_valued_are_findings(self) -> None:
        no_rate = entry(bill_rate=None)
        euro = entry(bill_rate=Money("140", "EUR"))
        chf = expense(amount=Money("50.00", "CHF"))
        result = bill_time_and_materials(
            tm_contract(), MARCH, stamp=STAMP, entries=[no_rate, euro], expenses=[chf], systems=SYSTEMS
        )
        assert result.invoices == ()
        assert sorted(f.message for f in result.findings) == [
            "Expense EX-553 on contract SOW-1042 was not invoiced: "
            "no exchange rate from CHF to USD is in force on 2026-03-12.",
            "Time entry TE-20931 on contract SOW-1042 was not invoiced: it is billable but has no bill rate.",
            "Time entry TE-20931 on contract SOW-1042 was not invoiced: its bill rate is in EUR but contract "
            "SOW-1042 is in USD.",
        ]

    def test_expenses_in_another_currency_are_converted(self) -> None:
        rates = RateTable([ExchangeRate("GBP", "USD", Decimal("1.30"), date(2026, 1, 1))])
        item = expense(amount=Money("100.00", "GBP"), markup=Decimal(0))
        [invoice] = bill_time_and_materials(
            tm_contract(), MARCH, stamp=STAMP, expenses=[item], rates=rates
        ).invoices
        assert invoice.amount == usd("130.00")

    def test_grouped_detail_sums_the_rounded_entries(self) -> None:
        entries = [entry(hours=Hours("0.5"), bill_rate=usd("100.005")) for _ in range(3)]
        per_entry = bill_time_and_materials(tm_contract(), MARCH, stamp=STAMP, entries=entries)
        grouped = bill_time_and_materials(
            tm_contract(),
            MARCH,
            stamp=STAMP,
            entries=entries,
            detail=TimeLineDetail.PER_RESOURCE_AND_RATE,
            names={RESOURCE_ID: "Ada Byron"},
        )
        [line] = grouped.invoices[0].lines
        assert line.hours == Hours("1.5") and line.rate is None
        assert line.description == "Ada Byron, 1.5 h at USD 100.01 an hour"
        # Three entries of 50.00 each (rounded per entry), not 1.5 h x 100.005 = 150.01: it reconciles.
        assert grouped.invoices[0].amount == per_entry.invoices[0].amount == usd("150.00")
        assert set(line.source_ids) == {e.global_id for e in entries}

    def test_only_time_and_materials_contracts(self) -> None:
        with pytest.raises(ValueError, match="not time and materials period"):
            bill_time_and_materials(fixed_fee_contract(), MARCH, stamp=STAMP)

    @settings(max_examples=60, deadline=None)
    @given(
        hours=st.lists(
            st.decimals(min_value=Decimal("0.25"), max_value=Decimal(12), places=2), min_size=1, max_size=20
        ),
        rate=st.decimals(min_value=Decimal(50), max_value=Decimal(400), places=3),
        cap=st.decimals(min_value=Decimal(0), max_value=Decimal(20000), places=2),
        billed=st.decimals(min_value=Decimal(0), max_value=Decimal(20000), places=2),
    )
    def test_invoice_never_passes_the_cap_and_invoice_plus_overflow_is_the_uncapped_amount(
        self, hours: list[Decimal], rate: Decimal, cap: Decimal, billed: Decimal
    ) -> None:
        entries = [
            entry(hours=Hours(h), bill_rate=usd(str(rate)), work_date=date(2026, 3, 1 + i % 28))
            for i, h in enumerate(hours)
        ]
        result = bill_time_and_materials(
            tm_contract(not_to_exceed=usd(str(cap))),
            MARCH,
            stamp=STAMP,
            entries=entries,
            billed_to_date=usd(str(billed)),
        )
        invoiced = result.invoices[0].amount if result.invoices else usd("0")
        overflow = result.overflow.amount if result.overflow else usd("0")
        assert invoiced + overflow == result.uncapped
        assert result.uncapped == Money.sum((e.bill_amount() for e in entries if e.bill_amount()), "USD")
        assert invoiced <= max(usd(str(cap)) - usd(str(billed)), usd("0"))
        assert invoiced.is_rounded and overflow.is_rounded


class TestSubscription:
    def test_one_invoice_per_elapsed_month(self) -> None:
        result = bill_subscription(subscription_contract(), as_of=date(2026, 3, 31), stamp=STAMP)
        assert [(i.period_start, i.period_end, i.amount) for i in result.invoices] == [
            (date(2026, 1, 1), date(2026, 1, 31), usd("1000")),
            (date(2026, 2, 1), date(2026, 2, 28), usd("1000")),
            (date(2026, 3, 1), date(2026, 3, 31), usd("1000")),
        ]
        assert all(i.billing_basis is BillingBasis.SUBSCRIPTION_PERIOD for i in result.invoices)

    def test_in_advance_bills_the_period_that_has_begun(self) -> None:
        result = bill_subscription(
            subscription_contract(), as_of=date(2026, 3, 1), stamp=STAMP, in_advance=True
        )
        assert len(result.invoices) == 3

    def test_a_rerun_converges_and_skips_what_was_invoiced(self) -> None:
        first = bill_subscription(subscription_contract(), as_of=date(2026, 2, 28), stamp=STAMP)
        later = bill_subscription(
            subscription_contract(),
            as_of=date(2026, 3, 31),
            stamp=STAMP,
            already_invoiced={i.global_id for i in first.invoices},
        )
        assert [i.period_start for i in later.invoices] == [date(2026, 3, 1)]
        again = bill_subscription(subscription_contract(), as_of=date(2026, 2, 28), stamp=STAMP)
        assert [i.global_id for i in again.invoices] == [i.global_id for i in first.invoices]

    def test_uneven_splits_differ_by_a_cent_and_add_up(self) -> None:
        contract = subscription_contract(total_value=usd("1000"))
        result = bill_subscription(contract, as_of=date(2026, 12, 31), stamp=STAMP)
        amounts = [i.amount for i in result.invoices]
        assert amounts[0] == usd("83.34") and amounts[-1] == usd("83.33")
        assert Money.sum(amounts, "USD") == usd("1000")

    def test_scheduled_fees_are_used_as_they_are(self) -> None:
        plan = BillingPlan(
            basis=BillingBasis.SUBSCRIPTION_PERIOD,
            frequency=BillingFrequency.QUARTERLY,
            lines=tuple(
                BillingPlanLine(description=f"Q{q}", amount=usd(a))
                for q, a in enumerate(["1000", "2000", "3000", "6000"], 1)
            ),
        )
        result = bill_subscription(
            subscription_contract(billing_plan=plan), as_of=date(2026, 6, 30), stamp=STAMP
        )
        assert [i.amount for i in result.invoices] == [usd("1000"), usd("2000")]

    def test_a_change_order_is_caught_up_on_the_next_invoice(self) -> None:
        # Three months billed at 1,000; the value doubled to 24,000: the schedule is now 2,000 a month.
        doubled = subscription_contract(total_value=usd("24000"))
        first = bill_subscription(subscription_contract(), as_of=date(2026, 3, 31), stamp=STAMP)
        result = bill_subscription(
            doubled,
            as_of=date(2026, 4, 30),
            stamp=STAMP,
            already_invoiced={i.global_id for i in first.invoices},
            billed_to_date=usd("3000"),
        )
        [april] = result.invoices
        assert april.amount == usd("5000")  # 2,000 for April + 3,000 catch-up: 8,000 by the end of April

    def test_a_reduction_past_what_was_billed_asks_finance_for_a_credit(self) -> None:
        first = bill_subscription(subscription_contract(), as_of=date(2026, 3, 31), stamp=STAMP)
        reduced = subscription_contract(total_value=usd("1200"))
        result = bill_subscription(
            reduced,
            as_of=date(2026, 4, 30),
            stamp=STAMP,
            already_invoiced={i.global_id for i in first.invoices},
            billed_to_date=usd("3000"),
        )
        assert result.invoices == ()
        [finding] = result.findings
        assert finding.message == (
            "Contract SOW-1042 was not invoiced for 2026-04-01 to 2026-04-30: "
            "more was billed before than the schedule allows by then (USD 2,600.00 too much); "
            "a credit note needs a finance decision."
        )

    def test_only_subscription_contracts(self) -> None:
        with pytest.raises(ValueError, match="not subscription period"):
            bill_subscription(tm_contract(), as_of=date(2026, 3, 31), stamp=STAMP)

    def test_a_plan_with_too_few_fees_is_reported(self) -> None:
        plan = BillingPlan(
            basis=BillingBasis.SUBSCRIPTION_PERIOD,
            frequency=BillingFrequency.MONTHLY,
            lines=(BillingPlanLine(description="Jan", amount=usd("12000")),),
        )
        result = bill_subscription(
            subscription_contract(billing_plan=plan), as_of=date(2026, 3, 31), stamp=STAMP
        )
        assert result.invoices == ()
        assert [f.message for f in result.findings] == [
            "Contract SOW-1042 was not invoiced: "
            "its billing plan schedules 1 fee but the contract runs 12 periods."
        ]
