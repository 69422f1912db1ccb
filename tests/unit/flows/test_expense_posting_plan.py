"""The expenses-to-ERP flow's decisions, pure: which expenses post, in which currency and at which rate,
with which billable amount, and what an edit, a rejection or a closed period sends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from concord.domain.fx import ExchangeRate, RateTable
from concord.domain.money import Money
from concord.domain.objects import AccountingPeriod, ExpenseItem, ExpenseStatus, ProjectStatus
from concord.domain.periods import AccountingCalendar
from concord.domain.time_posting import ClosedPeriodPolicy, ErpProjectState, PostingPolicy
from concord.flows.expense_posting import (
    ExpenseFacts,
    ExpensePostingPlan,
    ExpenseVerdict,
    PostedExpense,
    judge_expenses,
    payables_calendar,
    plan_expense_postings,
)
from concord.flows.time_posting import ProjectFacts
from unit.domain.rule_facts import (
    STAMP,
    SYSTEMS,
    calendar,
    expense,
    legal_entity,
    project,
    resource,
)
from unit.domain.samples import RESOURCE_ID, envelope

POLICY = PostingPolicy(closed_period=ClosedPeriodPolicy.REDATE, redate_needs_finance_approval=False)
HOLD = PostingPolicy(closed_period=ClosedPeriodPolicy.HOLD)
RATES = RateTable(
    [
        ExchangeRate("EUR", "USD", Decimal("1.0837"), date(2026, 1, 1)),
        ExchangeRate("EUR", "USD", Decimal("1.1000"), date(2026, 3, 20)),
    ]
)


def _facts(
    cal: AccountingCalendar | None = None,
    *,
    in_erp: bool = True,
    status: ProjectStatus = ProjectStatus.ACTIVE,
) -> ExpenseFacts:
    shown = project(status=status)
    known = ProjectFacts(shown if in_erp else None, ErpProjectState(status), "project 'Globex ERP rollout'")
    entity = legal_entity()
    return ExpenseFacts(
        cal or calendar(), {shown.global_id: known}, resource(), {entity.code: entity}, RATES, SYSTEMS
    )


def _send(
    items: list[ExpenseItem],
    sent: tuple[PostedExpense, ...] = (),
    *,
    policy: PostingPolicy = POLICY,
    facts: ExpenseFacts | None = None,
    markup: Decimal = Decimal(0),
) -> tuple[list[ExpenseVerdict], ExpensePostingPlan]:
    facts = facts or _facts()
    verdicts = judge_expenses(items, facts, policy, sent=sent, markup=markup)
    return verdicts, plan_expense_postings(verdicts, sent, facts, STAMP)


def _eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_a_foreign_expense_is_converted_at_the_rate_of_its_day_then_marked_up_and_rounded_each_time() -> None:
    hotel = expense(category="Lodging", amount=_eur("189.50"), expense_date=date(2026, 3, 12))
    _, plan = _send([hotel])
    (sent,) = plan.to_send
    posting = sent.posting
    assert posting.amount == _eur("189.50") and posting.exchange_rate == Decimal("1.0837")
    # 189.50 x 1.0837 = 205.36115 -> 205.36 USD; + 10 % = 225.896 -> 225.90 USD.
    assert posting.posted_amount == Money("205.36", "USD")
    assert posting.billable_amount == Money("225.90", "USD")
    assert posting.expense_id == hotel.global_id and posting.posting_date == date(2026, 3, 12)
    assert (posting.legal_entity_code, posting.employee_id, posting.cost_center) == (
        "US01",
        "E-1187",
        "CC-100",
    )
    assert (
        "Lodging expense of employee E-1187" in posting.summary
        and "EUR 189.50, USD 205.36" in posting.summary
    )


def test_an_expense_in_the_posting_currency_posts_as_paid_and_a_non_billable_one_has_no_billable_amount() -> (
    None
):
    taxi = expense(amount=Money("42.10", "USD"), billable=False, markup=Decimal(0))
    _, plan = _send([taxi])
    posting = plan.to_send[0].posting
    assert posting.exchange_rate == 1 and posting.posted_amount == Money("42.10", "USD")
    assert posting.billable_amount is None and not posting.billable


def test_the_configured_markup_applies_only_where_the_expense_carries_none() -> None:
    bare = expense(amount=Money("100.00", "USD"), markup=Decimal(0))
    own = expense(amount=Money("100.00", "USD"), markup=Decimal("0.05"))
    _, plan = _send([bare, own], markup=Decimal("0.15"))
    billed = {p.posting.expense_id: p.posting.billable_amount for p in plan.to_send}
    assert billed == {bare.global_id: Money("115.00", "USD"), own.global_id: Money("105.00", "USD")}


def test_a_missing_rate_holds_the_expense_with_a_finding_that_names_the_rate_to_add() -> None:
    pounds = expense(amount=Money("80.00", "GBP"))
    (verdict,), plan = _send([pounds])
    assert plan.to_send == ()
    (finding,) = verdict.findings
    assert finding.rule == "expense.no_exchange_rate"
    assert finding.message == (
        "Expense EX-553 (employee E-1187, travel GBP 80.00 on 2026-03-12) was not posted: no exchange rate "
        "from GBP to USD is in force on 2026-03-12; add one to the reference table 'exchange_rates' "
        "(effective on or before that day)."
    )


def test_the_same_expenses_again_send_nothing() -> None:
    items = [expense(amount=_eur("10.00")), expense(amount=Money("12.00", "USD"))]
    _, first = _send(items)
    assert len(first.to_send) == 2
    verdicts, again = _send(items, first.sent)
    assert again.to_send == () and again.sent == first.sent
    assert all(v.posted and not v.findings for v in verdicts)


def test_an_expense_edited_after_posting_is_reversed_and_reposted() -> None:
    original = expense(amount=_eur("189.50"))
    _, first = _send([original])
    edited = original.replace(amount=_eur("210.00"))
    _, second = _send([edited], first.sent)
    reversal, repost = second.to_send
    posted = first.to_send[0].posting
    assert reversal.posting.reverses == posted.posting_key
    assert reversal.posting.posted_amount == -posted.posted_amount
    assert reversal.posting.billable_amount == -Money("225.90", "USD")
    assert reversal.posting.amount == _eur("-189.50") and reversal.posting.expense_id == original.global_id
    assert repost.posting.reverses is None and repost.posting.posted_amount == Money("227.58", "USD")
    # Reposting the edit again changes nothing.
    _, third = _send([edited], second.sent)
    assert third.to_send == ()


def test_a_rejection_after_posting_reverses_the_posting_alone() -> None:
    item = expense(amount=Money("50.00", "USD"))
    _, first = _send([item])
    rejected = item.replace(status=ExpenseStatus.REJECTED)
    verdicts, second = _send([rejected], first.sent)
    (reversal,) = second.to_send
    assert verdicts == [] and reversal.posting.reverses == first.to_send[0].key
    assert reversal.posting.posted_amount == Money("-50.00", "USD")


def test_a_closed_period_redates_at_the_rate_of_the_expense_day_or_holds() -> None:
    late = expense(amount=_eur("100.00"), expense_date=date(2026, 2, 27))
    _, plan = _send([late], facts=_facts(calendar(closed_through=3)))
    posting = plan.to_send[0].posting
    assert (posting.posting_date, posting.redated_from) == (date(2026, 4, 1), date(2026, 2, 27))
    assert posting.exchange_rate == Decimal("1.0837") and posting.expense_date == date(2026, 2, 27)

    (verdict,), held = _send([late], policy=HOLD, facts=_facts(calendar(closed_through=3)))
    assert held.to_send == () and verdict.findings[0].rule == "expense.period_closed"
    assert "accounting period Feb 2026 is closed in NetSuite" in verdict.findings[0].message


def test_a_period_locked_for_payables_refuses_expense_reports_like_a_closed_one() -> None:
    periods = [
        AccountingPeriod(
            **envelope("netsuite"),
            name=name,
            start_date=start,
            end_date=end,
            closed=False,
            payables_locked=locked,
        )
        for name, start, end, locked in (
            ("Mar 2026", date(2026, 3, 1), date(2026, 3, 31), True),
            ("Apr 2026", date(2026, 4, 1), date(2026, 4, 30), False),
        )
    ]
    (verdict,), plan = _send([expense()], policy=HOLD, facts=_facts(payables_calendar(periods)))
    assert plan.to_send == () and "Mar 2026 is closed in NetSuite" in verdict.findings[0].message


def test_a_posted_expense_that_did_not_change_keeps_its_posting_when_its_period_or_project_closes() -> None:
    item = expense(amount=Money("75.00", "USD"))
    _, first = _send([item])
    closed = _facts(calendar(closed_through=12), status=ProjectStatus.CLOSED)
    (verdict,), again = _send([item], first.sent, facts=closed)
    assert verdict.posted and verdict.findings == () and again.to_send == ()


def test_self_approval_and_an_inactive_project_are_told_in_one_finding_each() -> None:
    mine = expense(approver_id=RESOURCE_ID)
    (verdict,), plan = _send([mine], facts=_facts(status=ProjectStatus.ON_HOLD))
    assert plan.to_send == ()
    rules = sorted(f.rule for f in verdict.findings)
    assert rules == [
        "expense.project_not_active_in_erp",
        "expense.project_not_active_in_psa",
        "expense.self_approved",
    ]
    assert all(f.message.startswith("Expense EX-553 (employee E-1187, travel") for f in verdict.findings)


def test_an_expense_on_a_project_the_erp_does_not_hold_is_held_with_one_conflict_about_the_project() -> None:
    (verdict,), plan = _send([expense()], facts=_facts(in_erp=False))
    (finding,) = verdict.findings
    assert plan.to_send == () and finding.category.value == "conflict"
    assert finding.subject.object_type == "Project"
    assert "Approved expenses on project 'Globex ERP rollout' are not posted" in finding.message


def test_an_expense_whose_legal_entity_is_unknown_cannot_be_posted() -> None:
    facts = _facts()
    no_entity = ExpenseFacts(facts.calendar, facts.projects, facts.resource, {}, RATES, SYSTEMS)
    (verdict,), _ = _send([expense()], facts=no_entity)
    assert verdict.findings[0].rule == "expense.legal_entity_missing_in_erp"
    assert "legal entity US01 of its project does not exist in NetSuite" in verdict.findings[0].message
