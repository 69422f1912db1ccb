"""The billing flows' decisions, pure: which periods and milestones are invoiced, once; late approvals on
the next invoice; the cap, its overflow and its rest; records changed after invoicing; subscriptions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from concord.domain.billing import MilestoneTrigger
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import BillingFrequency, MilestoneStatus, TimeEntryStatus
from concord.domain.periods import Period
from concord.flows.invoicing import (
    Billed,
    BillingRun,
    ProjectWork,
    Subscriptions,
    bill_project,
    bill_subscriptions,
    elapsed_periods,
)
from unit.domain.rule_facts import (
    STAMP,
    SYSTEMS,
    entry,
    expense,
    fixed_fee_contract,
    milestone,
    subscription_contract,
    tm_contract,
)
from unit.domain.samples import PROJECT_ID, usd

APRIL_2 = date(2026, 4, 2)


def _bill(contract, work: ProjectWork, billed: Billed = Billed(), today: date = APRIL_2, **kw) -> BillingRun:  # type: ignore[no-untyped-def]
    return bill_project(
        contract, work, billed, today=today, stamp=STAMP, project_id=PROJECT_ID, systems=SYSTEMS, **kw
    )


def _remembered(run: BillingRun) -> Billed:
    """The memory as the flow instance keeps it, through its JSON state."""
    return Billed.from_state(run.billed.to_state())


class TestTimeAndMaterials:
    def test_each_ended_period_is_invoiced_once_at_hours_times_rate(self) -> None:
        january = [entry(work_date=date(2026, 1, day), hours=Hours("7.25")) for day in (5, 6)]
        march = [entry(work_date=date(2026, 3, day)) for day in (2, 3, 4)]
        run = _bill(tm_contract(), ProjectWork(entries=[*january, *march]))
        # January, February (nothing due: no invoice) and March have ended by April 2.
        jan, mar = run.invoices
        assert (jan.period_start, jan.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
        assert jan.amount == usd("2175.00")  # 2 x 7.25 h x 150.00
        assert mar.amount == usd("3375.00")  # 3 x 7.5 h x 150.00
        assert [line.source_ids[0] for line in mar.lines] == [e.global_id for e in march]
        assert run.billed.through == date(2026, 3, 31) and run.findings == ()

        again = _bill(tm_contract(), ProjectWork(entries=[*january, *march]), _remembered(run))
        assert again.invoices == () and again.billed == run.billed

    def test_time_approved_after_its_period_was_invoiced_is_on_the_next_invoice(self) -> None:
        early = entry(work_date=date(2026, 3, 2))
        run = _bill(tm_contract(), ProjectWork(entries=[early]))
        late = entry(work_date=date(2026, 3, 31), hours=Hours("2"))
        april = entry(work_date=date(2026, 4, 20))
        on_2_may = _bill(
            tm_contract(), ProjectWork(entries=[early, late, april]), run.billed, date(2026, 5, 2)
        )
        (invoice,) = on_2_may.invoices
        assert (invoice.period_start, invoice.period_end) == (date(2026, 4, 1), date(2026, 4, 30))
        assert {line.source_ids[0] for line in invoice.lines} == {late.global_id, april.global_id}
        assert invoice.amount == usd("1425.00")  # (2 + 7.5) h x 150.00: the March invoice is not redone

    def test_a_period_still_running_is_not_invoiced(self) -> None:
        run = _bill(tm_contract(), ProjectWork(entries=[entry(work_date=date(2026, 4, 1))]))
        assert run.invoices == () and run.billed.through == date(2026, 3, 31)

    def test_the_cap_bills_up_to_it_reports_the_overflow_and_bills_the_rest_once_raised(self) -> None:
        capped = tm_contract(not_to_exceed=usd("2000"))
        march = [entry(work_date=date(2026, 3, day)) for day in (2, 3)]  # 2 x 1,125.00
        run = _bill(capped, ProjectWork(entries=march))
        (invoice,) = run.invoices
        assert invoice.amount == usd("2000.00")
        (finding,) = run.findings
        assert finding.rule == "billing.over_cap" and "USD 250.00 of approved time" in finding.message
        assert run.billed.partly == {march[1].global_id: usd("875.00")}

        # Still capped in April: nothing more, the overflow reported again.
        april = _bill(capped, ProjectWork(entries=march), run.billed, date(2026, 5, 2))
        assert april.invoices == () and [f.rule for f in april.findings] == ["billing.over_cap"]
        # A change order raises the cap: the rest of the entry is billed, and only the rest.
        raised = capped.replace(not_to_exceed=usd("5000"), version=2)
        may = _bill(raised, ProjectWork(entries=march), april.billed, date(2026, 6, 2))
        (rest,) = may.invoices
        assert rest.amount == usd("250.00") and rest.lines[0].source_ids == (march[1].global_id,)
        assert may.billed.billed_to_date("USD") == usd("2250.00") and may.billed.partly == {}

    def test_expenses_are_billed_converted_and_marked_up_with_the_time(self) -> None:
        run = _bill(tm_contract(), ProjectWork(entries=[entry()], expenses=[expense()]))
        (invoice,) = run.invoices
        assert invoice.amount == usd("1125.00") + usd("453.53")  # 412.30 + 10 % markup, rounded

    def test_an_entry_changed_after_it_was_invoiced_is_reported_not_billed_again(self) -> None:
        billed = entry(work_date=date(2026, 3, 2))
        run = _bill(tm_contract(), ProjectWork(entries=[billed]))
        edited = billed.replace(hours=Hours("8"))
        later = _bill(tm_contract(), ProjectWork(entries=[edited]), run.billed, date(2026, 5, 2))
        assert later.invoices == ()
        (finding,) = later.findings
        assert finding.rule == "billing.changed_after_invoicing"
        assert "invoiced as 7.5 h at USD 150.00: it is now 8 h at USD 150.00" in finding.message
        rejected = billed.replace(status=TimeEntryStatus.REJECTED, approved_at=None)
        (gone,) = _bill(tm_contract(), ProjectWork(entries=[rejected]), run.billed).findings
        assert "it is now rejected" in gone.message

    def test_an_entry_without_a_bill_rate_is_reported_once_and_the_rest_billed(self) -> None:
        work = ProjectWork(entries=[entry(work_date=date(2026, 2, 2), bill_rate=None), entry()])
        run = _bill(tm_contract(), work)
        (invoice,) = run.invoices
        assert invoice.amount == usd("1125.00")
        assert [f.rule for f in run.findings] == ["time.not_invoiced"]


class TestMilestones:
    def test_a_completed_milestone_is_invoiced_once_for_its_plan_line(self) -> None:
        done = milestone("Design signed off")
        run = _bill(fixed_fee_contract(), ProjectWork(milestones=[done]))
        (invoice,) = run.invoices
        assert invoice.amount == usd("40000") and run.billed.milestones == {done.global_id: invoice.global_id}
        assert _bill(fixed_fee_contract(), ProjectWork(milestones=[done]), _remembered(run)).invoices == ()

    def test_a_milestone_complete_without_a_date_keeps_the_day_it_was_first_seen(self) -> None:
        undated = milestone("Go-live", amount=usd("60000"), completed_on=None)
        first = _bill(fixed_fee_contract(), ProjectWork(milestones=[undated]))
        (invoice,) = first.invoices
        assert invoice.period_end == APRIL_2 and first.billed.pinned == {undated.global_id: APRIL_2}
        # A run on another day decides the same invoice (had the first been lost before it was remembered).
        lost = Billed(pinned=first.billed.pinned)
        (again,) = _bill(
            fixed_fee_contract(), ProjectWork(milestones=[undated]), lost, date(2026, 4, 9)
        ).invoices
        assert again.global_id == invoice.global_id

    def test_acceptance_policy_waits_for_the_customer(self) -> None:
        done = milestone("Design signed off")
        work = ProjectWork(milestones=[done])
        assert _bill(fixed_fee_contract(), work, trigger=MilestoneTrigger.ACCEPTANCE).invoices == ()
        accepted = done.replace(status=MilestoneStatus.ACCEPTED, accepted_on=date(2026, 6, 1))
        (invoice,) = _bill(
            fixed_fee_contract(), ProjectWork(milestones=[accepted]), trigger=MilestoneTrigger.ACCEPTANCE
        ).invoices
        assert invoice.period_end == date(2026, 6, 1)

    def test_time_on_a_fixed_fee_and_a_subscription_project_bills_nothing(self) -> None:
        assert _bill(fixed_fee_contract(), ProjectWork(entries=[entry()])).invoices == ()
        assert _bill(subscription_contract(), ProjectWork(entries=[entry()])).invoices == ()


class TestSubscriptions:
    def test_each_elapsed_period_is_invoiced_once_against_the_project(self) -> None:
        contract = subscription_contract()
        run = bill_subscriptions([(contract, PROJECT_ID)], Subscriptions(), today=APRIL_2, stamp=STAMP)
        assert [(i.period_start, i.amount) for i in run.invoices] == [
            (date(2026, month, 1), usd("1000.00")) for month in (1, 2, 3)
        ]
        assert {i.project_id for i in run.invoices} == {PROJECT_ID}
        kept = Subscriptions.from_state(run.billed.to_state())
        assert kept.billed_to_date(contract) == usd("3000.00")
        assert bill_subscriptions([(contract, PROJECT_ID)], kept, today=APRIL_2, stamp=STAMP).invoices == ()
        (april,) = bill_subscriptions(
            [(contract, PROJECT_ID)], kept, today=date(2026, 5, 1), stamp=STAMP
        ).invoices
        assert april.period_start == date(2026, 4, 1)

    def test_in_advance_a_period_is_invoiced_when_it_begins(self) -> None:
        run = bill_subscriptions(
            [(subscription_contract(), PROJECT_ID)],
            Subscriptions(),
            today=APRIL_2,
            stamp=STAMP,
            in_advance=True,
        )
        assert [i.period_start.month for i in run.invoices] == [1, 2, 3, 4]

    def test_a_contract_without_a_project_is_reported_and_others_are_invoiced(self) -> None:
        lost = subscription_contract(global_id=new_id(), number="SOW-9")
        run = bill_subscriptions(
            [(lost, None), (tm_contract(), PROJECT_ID), (subscription_contract(), PROJECT_ID)],
            Subscriptions(),
            today=date(2026, 2, 1),
            stamp=STAMP,
        )
        assert [i.contract_id for i in run.invoices] == [subscription_contract().global_id]
        (finding,) = run.findings
        assert finding.rule == "billing.contract_without_project" and "SOW-9" in finding.message


def test_elapsed_periods_are_counted_from_the_start_and_end_before_today() -> None:
    contract = tm_contract(start_date=date(2026, 1, 15))
    periods = elapsed_periods(contract, BillingFrequency.MONTHLY, None, date(2026, 3, 14))
    assert periods == [Period(date(2026, 1, 15), date(2026, 2, 14))]  # the second ends on the 14th
    assert elapsed_periods(contract, BillingFrequency.MONTHLY, date(2026, 2, 14), date(2026, 3, 16)) == [
        Period(date(2026, 2, 15), date(2026, 3, 14))
    ]


def test_the_memory_survives_the_instance_state_unchanged() -> None:
    billed = Billed(
        invoices={"A": usd("10.00")},
        sources={"E": "7.5 h at USD 150.00"},
        partly={"F": Money(Decimal("1.50"), "USD")},
        through=date(2026, 3, 31),
        milestones={"M": "A"},
        pinned={"M": date(2026, 4, 2) - timedelta(days=1)},
    )
    assert Billed.from_state(billed.to_state()) == billed
    assert Billed.from_state(None) == Billed()
