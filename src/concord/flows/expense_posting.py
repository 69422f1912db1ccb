"""What the expenses-to-ERP flow decides, as pure functions: which gathered expenses may be posted, the ERP
posting each makes in the posting currency, and the reversals and postings that bring what the ERP holds
to that.

Every approved expense is one posting (it carries a receipt of its own), in the currency of its project's
legal entity: converted at the rate in force on the day it was incurred, rounded half-up, and with the
billable amount (markup on the rounded amount, rounded again). A posting, once sent, is never edited:
``plan_expense_postings`` compares the desired postings with those sent before (kept in the flow instance)
through ``concord.domain.posting_lines.plan_postings``, so an expense edited or rejected after posting
becomes a reversal of its posting plus, while it is approved, a new posting.

A posted expense that has not changed since keeps its posting whatever happened around it (its period
closed, its project closed, the rates table corrected): the ledger's figures are facts, and only the
expense itself changing takes them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from concord.domain.expenses import ExpensePostingLine, expense_posting_line
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, iso
from concord.domain.fx import MissingExchangeRate, RateTable
from concord.domain.keys import Stamp, stable_key
from concord.domain.objects import (
    AccountingPeriod,
    ExpenseItem,
    ExpensePosting,
    ExpenseStatus,
    LegalEntity,
    Resource,
)
from concord.domain.periods import AccountingCalendar
from concord.domain.periods import AccountingPeriod as CalendarPeriod
from concord.domain.posting_lines import posting_dimensions
from concord.domain.time_posting import PostingCheck, PostingPolicy, check_expense, entry_label
from concord.flows.posted import SendPlan, SentPosting, clip, dimension_fields, plan_sending
from concord.flows.time_posting import ProjectFacts, project_missing, redate_needs_approval

__all__ = [
    "ExpenseFacts",
    "ExpenseVerdict",
    "PostedExpense",
    "judge_expenses",
    "live_postings",
    "payables_calendar",
    "plan_expense_postings",
]

_UNKNOWN_ASSIGNMENTS = frozenset({"expense.not_assigned", "expense.outside_assignment"})
"""Rules ``check_expense`` applies to assignments, which the PSA connector does not read (yet)."""


def payables_calendar(periods: Iterable[AccountingPeriod]) -> AccountingCalendar:
    """The calendar expense reports are posted by: a base period closed or locked for payables refuses
    them (the ERP takes other postings in a payables-locked period, not expense reports)."""
    return AccountingCalendar(
        CalendarPeriod(p.name, p.start_date, p.end_date, p.closed or p.payables_locked)
        for p in periods
        if not p.summary and not p.adjustment
    )


@dataclass(frozen=True, slots=True)
class ExpenseFacts:
    """What the flow read before it decides, and the exchange rates it converts with."""

    calendar: AccountingCalendar
    """The ERP's periods as expense reports see them (``payables_calendar``)."""
    projects: Mapping[str, ProjectFacts]
    resource: Resource | None
    legal_entities: Mapping[str, LegalEntity]
    """The ERP's legal entities by code; an expense is posted in its project's entity's currency."""
    rates: RateTable
    systems: Systems
    rates_table: str = "exchange_rates"
    """Where the rates come from, named in messages."""
    unreadable_entities: Mapping[str, str] | None = None
    """Legal entity code → why the ERP's record of it cannot be used."""


@dataclass(frozen=True, slots=True)
class ExpenseVerdict:
    """One approved expense: postable (with its posting line), already posted and unchanged, or held with
    the findings that say why."""

    item: ExpenseItem
    findings: tuple[Finding, ...]
    line: ExpensePostingLine | None = None
    check: PostingCheck | None = None
    posted: bool = False
    """Posted before and unchanged since: nothing to decide."""


@dataclass(frozen=True, slots=True)
class PostedExpense(SentPosting[ExpensePosting]):
    """A posting as ``plan_postings`` plans it: an ExpensePosting, the content key it was built from, and
    the content hash of the expense it posts (to know an unchanged expense)."""

    ID_SPACE: ClassVar[str] = "expense-posting"

    item_hash: str

    def negated(self) -> dict[str, object]:
        """Every amount with the opposite sign."""
        p = self.posting
        return {
            "amount": -p.amount,
            "posted_amount": -p.posted_amount,
            "billable_amount": None if p.billable_amount is None else -p.billable_amount,
        }

    def to_state(self) -> dict[str, object]:
        """As kept in the flow instance's state."""
        return {
            "content_key": self.content_key,
            "item_hash": self.item_hash,
            "posting": self.posting.model_dump(mode="json"),
        }

    @classmethod
    def from_state(cls, held: Mapping[str, object]) -> PostedExpense:
        """Back from the flow instance's state."""
        posting = ExpensePosting.model_validate(held["posting"])
        return cls(posting, str(held["content_key"]), str(held["item_hash"]))


def live_postings(sent: Iterable[PostedExpense]) -> dict[str, PostedExpense]:
    """Expense global id → its posting the ERP holds now (posted and not reversed)."""
    history = list(sent)
    reversed_keys = {p.reverses for p in history if p.reverses is not None}
    return {p.posting.expense_id: p for p in history if p.reverses is None and p.key not in reversed_keys}


# -- judging -----------------------------------------------------------------------------------------------


def _describe(item: ExpenseItem, facts: ExpenseFacts) -> str:
    """As ``check_expense`` names an expense: "Expense EX-553 (employee E-1187, travel 80.00 EUR on ...)"."""
    label = entry_label(item, facts.systems)
    who = f"employee {facts.resource.employee_id}" if facts.resource else f"resource {item.resource_id}"
    return f"Expense {label} ({who}, {item.category.lower()} {item.amount} on {iso(item.expense_date)})"


def _held(item: ExpenseItem, rule: str, message: str, facts: ExpenseFacts) -> ExpenseVerdict:
    sentence = f"{_describe(item, facts)} was not posted: {message}."
    subject = RecordRef.of(item, entry_label(item, facts.systems))
    return ExpenseVerdict(item, (Finding(FindingCategory.CONFLICT, f"expense.{rule}", sentence, subject),))


def _entity_missing(item: ExpenseItem, code: str, facts: ExpenseFacts) -> ExpenseVerdict:
    erp = facts.systems.erp_name
    why = (facts.unreadable_entities or {}).get(code)
    if why:
        message = f"legal entity {code} of its project cannot be read in {erp}: {why}"
    else:
        message = f"legal entity {code} of its project does not exist in {erp}, so its currency is unknown"
    return _held(item, "legal_entity_missing_in_erp", message, facts)


def _with_markup(item: ExpenseItem, markup: Decimal) -> ExpenseItem:
    if item.billable and item.markup == 0 and markup:
        return item.replace(markup=markup)
    return item


def _rate_finding(
    item: ExpenseItem, currency: str, check: PostingCheck, facts: ExpenseFacts
) -> Finding | None:
    try:
        facts.rates.rate(item.amount.currency, currency, item.expense_date)
    except MissingExchangeRate as missing:
        message = (
            f"{_describe(item, facts)} was not posted: no exchange rate from {missing.source} to "
            f"{missing.target} is in force on {iso(missing.day)}; add one to the reference table "
            f"'{facts.rates_table}' (effective on or before that day)"
        )
        return Finding(FindingCategory.VALIDATION, "expense.no_exchange_rate", f"{message}.", check.subject)
    return None


def judge_expenses(
    items: Iterable[ExpenseItem],
    facts: ExpenseFacts,
    policy: PostingPolicy,
    *,
    sent: Iterable[PostedExpense] = (),
    markup: Decimal = Decimal(0),
    approved_redates: Iterable[str] = (),
) -> list[ExpenseVerdict]:
    """The verdict on each approved expense (expenses in other states are not posted and need no verdict).

    Args:
        items: the gathered expenses, newest version of each.
        facts: what the flow read.
        policy: the firm's posting policy.
        sent: the postings sent so far: an approved expense posted unchanged keeps its posting.
        markup: the markup for billable expenses whose record carries none.
        approved_redates: global ids of expenses a finance approver confirmed the re-date of.
    """
    confirmed = set(approved_redates)
    live = live_postings(sent)
    verdicts = []
    for item in items:
        if item.status is not ExpenseStatus.APPROVED:
            continue
        posted = live.get(item.global_id)
        if posted is not None and posted.item_hash == item.content_hash():
            verdicts.append(ExpenseVerdict(item, (), posted=True))
        else:
            verdicts.append(_judge(item, facts, policy, markup, item.global_id in confirmed))
    return verdicts


def _judge(
    item: ExpenseItem, facts: ExpenseFacts, policy: PostingPolicy, markup: Decimal, confirmed: bool
) -> ExpenseVerdict:
    erp = facts.systems.erp_name
    known = facts.projects.get(item.project_id)
    if known is None or known.project is None:
        missing = project_missing(
            item.project_id, known, facts.systems, kind="expense", what="expenses", be="are"
        )
        return ExpenseVerdict(item, (missing,))
    if facts.resource is None:
        return _held(
            item, "employee_missing_in_erp", f"the employee who incurred it does not exist in {erp}", facts
        )
    entity = facts.legal_entities.get(known.project.legal_entity_code)
    if entity is None:
        return _entity_missing(item, known.project.legal_entity_code, facts)
    check = check_expense(item, known.for_checks(facts.calendar, facts.resource, facts.systems), policy)
    findings = [f for f in check.findings if f.rule not in _UNKNOWN_ASSIGNMENTS]
    rate = _rate_finding(item, entity.functional_currency, check, facts)
    if rate is not None:
        findings.append(rate)
    if check.posting_date is not None and check.needs_finance_approval and not confirmed and not findings:
        findings.append(redate_needs_approval(check, "expense"))
    if findings or check.posting_date is None:
        return ExpenseVerdict(item, tuple(findings), check=check)
    priced = _with_markup(item, markup)
    dimensions = posting_dimensions(priced, known.project, facts.resource, entity)
    line = expense_posting_line(
        priced,
        dimensions,
        posting_date=check.posting_date,
        currency=entity.functional_currency,
        rates=facts.rates,
    )
    return ExpenseVerdict(item, (), line, check)


# -- planning ----------------------------------------------------------------------------------------------


def _summary(line: ExpensePostingLine, item: ExpenseItem, project: str) -> str:
    billable = "billable" if line.dimensions.billable else "non-billable"
    converted = "" if line.amount.currency == line.posted_amount.currency else f", {line.posted_amount}"
    return clip(
        f"{item.category} expense of employee {line.dimensions.employee_id} on {project}: {line.amount}"
        f"{converted} on {iso(item.expense_date)} ({billable})"
    )


def _posting(verdict: ExpenseVerdict, project: str, stamp: Stamp) -> PostedExpense:
    line, item, check = verdict.line, verdict.item, verdict.check
    assert line is not None, "only a postable verdict is posted"
    # The content key of the domain's line, plus the expense date (which a re-date hides from it).
    content_key = stable_key("xp", line.content_key, item.expense_date)
    dims = line.dimensions
    posting = ExpensePosting(
        **stamp.envelope(),
        global_id=PostedExpense.posting_id(content_key, line.posting_date),
        posting_key=content_key,
        summary=_summary(line, item, project),
        posting_date=line.posting_date,
        redated_from=check.redated_from if check else None,
        expense_id=item.global_id,
        expense_date=item.expense_date,
        category=item.category,
        description=item.description,
        receipt_reference=item.receipt_reference,
        **dimension_fields(dims),
        amount=line.amount,
        exchange_rate=line.exchange_rate,
        posted_amount=line.posted_amount,
        billable_amount=line.billable_amount,
    )
    return PostedExpense(posting, content_key, item.content_hash())


ExpensePostingPlan = SendPlan[PostedExpense]
"""What to send: reversals first, then new postings; and every posting sent so far, afterwards."""


def plan_expense_postings(
    verdicts: Sequence[ExpenseVerdict],
    sent_before: Sequence[PostedExpense],
    facts: ExpenseFacts,
    stamp: Stamp,
) -> ExpensePostingPlan:
    """The reversals and postings that make the ERP hold exactly one posting per approved expense that is
    postable now or posted unchanged before; an expense no longer approved, or changed, has its posting
    reversed.

    Raises:
        ValueError: when a reversal is needed and no open ERP period can take it.
    """
    live = live_postings(sent_before)
    names = {pid: known.name for pid, known in facts.projects.items()}
    desired = [live[v.item.global_id] for v in verdicts if v.posted]
    desired += [
        _posting(v, names.get(v.item.project_id, "the project"), stamp)
        for v in verdicts
        if v.line is not None
    ]
    return plan_sending(desired, sent_before, facts.calendar)
