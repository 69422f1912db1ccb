"""Revenue events, per the contract's recognition basis (domain.md §3.5), each with a balanced journal.

- As delivered (time and materials): the value of approved billable time and expenses up to the period's
  end not recognised before, capped by the not-to-exceed like billing.
- Milestone acceptance (fixed fee): a milestone's billing plan amount once the customer accepted it.
- Percentage of completion (fixed fee): cumulative revenue = contract value times progress, where
  progress is cost-to-cost (actual cost to date / estimated total cost) or hours-based (hours to date /
  estimated total hours): the caller says which; each period recognises the cumulative figure
  (rounded half-up) minus what was recognised before, so the total ends exactly at the contract value
  and a rising estimate reverses revenue (a negative event, journal sides swapped).
- Straight line (subscription): the contract value split evenly over its periods (at most one cent
  apart), recognised as each period ends.

Every event's journal is one debit and one credit of the same rounded amount, so it balances to the
cent. Event ids are derived from (contract, basis, milestone or period): a re-run converges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from concord.domain.billing import (
    MilestoneTrigger,
    billable_since,
    milestone_amount_conflict,
    milestone_plan_line,
)
from concord.domain.delivered import CapOverflow, apply_cap, delivered_items
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, iso
from concord.domain.fx import RateTable
from concord.domain.keys import Stamp, stable_id
from concord.domain.money import Money, split_evenly
from concord.domain.objects import (
    BillingFrequency,
    Contract,
    ExpenseItem,
    JournalLine,
    JournalSide,
    Milestone,
    RecognitionBasis,
    RevenueEvent,
    TimeEntry,
)
from concord.domain.periods import Period, periods_between

__all__ = [
    "DEFAULT_ACCOUNTS",
    "CompletionMethod",
    "CostProgress",
    "HoursProgress",
    "RecognitionResult",
    "RevenueAccounts",
    "journal_lines",
    "recognise_as_delivered",
    "recognise_milestones",
    "recognise_percent_complete",
    "recognise_straight_line",
    "revenue_id",
]


@dataclass(frozen=True, slots=True)
class RevenueAccounts:
    """The ledger accounts a recognition debits and credits (swapped for a reversal)."""

    debit: str
    credit: str


DEFAULT_ACCOUNTS: Final[Mapping[RecognitionBasis, RevenueAccounts]] = MappingProxyType(
    {
        RecognitionBasis.AS_DELIVERED: RevenueAccounts("1250 Unbilled receivables", "4000 Services revenue"),
        RecognitionBasis.MILESTONE_ACCEPTANCE: RevenueAccounts(
            "1250 Unbilled receivables", "4000 Services revenue"
        ),
        RecognitionBasis.PERCENT_COMPLETE: RevenueAccounts("1260 Contract assets", "4000 Services revenue"),
        RecognitionBasis.STRAIGHT_LINE: RevenueAccounts("2400 Deferred revenue", "4100 Subscription revenue"),
    }
)
"""Suggested accounts per basis; a firm configures its own chart of accounts."""


class CompletionMethod(StrEnum):
    """How percentage of completion is measured."""

    COST_TO_COST = "cost_to_cost"
    HOURS = "hours"


@dataclass(frozen=True, slots=True)
class CostProgress:
    """Cost-to-cost progress: actual cost to date divided by estimated total cost at completion."""

    actual_cost: Money
    estimated_total_cost: Money
    method: CompletionMethod = CompletionMethod.COST_TO_COST

    def measures(self) -> tuple[Decimal, Decimal]:
        """(done, total) as plain numbers."""
        if self.actual_cost.currency != self.estimated_total_cost.currency:
            raise ValueError("The actual and estimated costs must be in the same currency.")
        return self.actual_cost.amount, self.estimated_total_cost.amount


@dataclass(frozen=True, slots=True)
class HoursProgress:
    """Hours-based progress: hours worked to date divided by estimated total hours at completion."""

    actual_hours: Decimal
    estimated_total_hours: Decimal
    method: CompletionMethod = CompletionMethod.HOURS

    def measures(self) -> tuple[Decimal, Decimal]:
        """(done, total) as plain numbers."""
        return Decimal(self.actual_hours), Decimal(self.estimated_total_hours)


@dataclass(frozen=True, slots=True)
class RecognitionResult:
    """What a recognition rule produced."""

    events: tuple[RevenueEvent, ...]
    findings: tuple[Finding, ...] = ()
    overflow: CapOverflow | None = None
    """As delivered: value over the not-to-exceed cap, not recognised."""


def revenue_id(contract_id: str, basis: RecognitionBasis, *identity: object, on: date) -> str:
    """The deterministic global id of the revenue event for (contract, basis, milestone or period)."""
    return stable_id("revenue", contract_id, basis.value, *identity, on=on)


def journal_lines(amount: Money, accounts: RevenueAccounts) -> tuple[JournalLine, ...]:
    """One debit and one credit of `amount` (rounded); sides swapped when it is negative; none for zero."""
    rounded = amount.round()
    if rounded.is_zero:
        return ()
    debit, credit = (
        (accounts.debit, accounts.credit) if rounded.amount > 0 else (accounts.credit, accounts.debit)
    )
    size = abs(rounded)
    return (
        JournalLine(account=debit, side=JournalSide.DEBIT, amount=size),
        JournalLine(account=credit, side=JournalSide.CREDIT, amount=size),
    )


def _require_basis(contract: Contract, basis: RecognitionBasis) -> None:
    if contract.revenue_plan.basis is not basis:
        raise ValueError(
            f"Contract {contract.number} recognises revenue {contract.revenue_plan.basis.label}, "
            f"not {basis.label}."
        )


def _event(
    contract: Contract,
    basis: RecognitionBasis,
    period: Period,
    amount: Money,
    *,
    stamp: Stamp,
    global_id: str,
    accounts: RevenueAccounts | None,
    project_id: str | None,
) -> RevenueEvent:
    return RevenueEvent.model_validate(
        stamp.envelope()
        | {
            "global_id": global_id,
            "contract_id": contract.global_id,
            "project_id": project_id,
            "recognition_basis": basis,
            "amount": amount.round(),
            "period_start": period.start,
            "period_end": period.end,
            "journal_lines": journal_lines(amount, accounts or DEFAULT_ACCOUNTS[basis]),
        }
    )


def recognise_as_delivered(
    contract: Contract,
    period: Period,
    *,
    stamp: Stamp,
    entries: Iterable[TimeEntry] = (),
    expenses: Iterable[ExpenseItem] = (),
    recognised_to_date: Money | None = None,
    already_recognised: Collection[str] = (),
    partly_recognised: Mapping[str, Money] | None = None,
    rates: RateTable | None = None,
    accounts: RevenueAccounts | None = None,
    project_id: str | None = None,
    systems: Systems | None = None,
) -> RecognitionResult:
    """Time-and-materials revenue of one period: approved billable time and expenses, as delivered.

    Valued like billing (hours times bill rate rounded per entry; expenses converted and marked up), for work
    up to the period's end not recognised before, and capped by the not-to-exceed the same way.

    Args:
        contract: a contract recognising revenue as delivered.
        period: the period recognised.
        stamp: correlation id and time of the run.
        entries: the contract's time entries (only approved billable ones count).
        expenses: the contract's expenses (only approved billable ones count).
        recognised_to_date: revenue recognised on the contract before; needed when it has a cap.
        already_recognised: global ids of entries and expenses recognised before.
        partly_recognised: global id → amount recognised, for items taken in part at the cap before.
        rates: exchange rates for expenses not in the contract's currency.
        accounts: debit and credit accounts (default: `DEFAULT_ACCOUNTS`).
        project_id: the project, when the contract has one.
        systems: names of the systems, for the findings.

    Raises:
        ValueError: when the contract recognises on another basis, or it has a cap and
            `recognised_to_date` is missing.
    """
    basis = RecognitionBasis.AS_DELIVERED
    _require_basis(contract, basis)
    if contract.not_to_exceed is not None and recognised_to_date is None:
        raise ValueError(f"Contract {contract.number} has a not-to-exceed cap: pass recognised_to_date.")
    items, findings = delivered_items(
        contract,
        up_to=period.end,
        entries=entries,
        expenses=expenses,
        rates=rates,
        done=already_recognised,
        partly_done=partly_recognised,
        systems=systems,
        verb="recognised",
    )
    taken, overflow = apply_cap(items, contract.not_to_exceed, recognised_to_date)
    if overflow is not None:
        findings.append(
            Finding(
                FindingCategory.VALIDATION,
                "revenue.over_cap",
                f"Contract {contract.number} reached its not-to-exceed cap of {overflow.cap}: "
                f"{overflow.amount} of approved time and expenses up to {iso(period.end)} "
                "was not recognised as revenue.",
                RecordRef.of(contract, contract.number),
                facts=(("cap", str(overflow.cap)), ("overflow", str(overflow.amount))),
            )
        )
    amount = Money.sum((item.amount for item in taken), contract.currency)
    events: tuple[RevenueEvent, ...] = ()
    if not amount.is_zero:
        global_id = revenue_id(contract.global_id, basis, period.start, period.end, on=period.end)
        event = _event(
            contract,
            basis,
            period,
            amount,
            stamp=stamp,
            global_id=global_id,
            accounts=accounts,
            project_id=project_id,
        )
        events = (event,)
    return RecognitionResult(events, tuple(findings), overflow)


def recognise_milestones(
    contract: Contract,
    milestones: Iterable[Milestone],
    period: Period,
    *,
    stamp: Stamp,
    already_recognised: Collection[str] = (),
    accounts: RevenueAccounts | None = None,
    systems: Systems | None = None,
) -> RecognitionResult:
    """Fixed-fee revenue on acceptance: one event per milestone accepted by the period's end.

    The amount is the milestone's billing plan line; a milestone whose PSA amount disagrees is not
    recognised (a conflict finding). Milestones accepted earlier but not recognised yet are recognised
    in this period. Event ids are per milestone, so a milestone is recognised once.

    Raises:
        ValueError: when the contract recognises on another basis.
    """
    basis = RecognitionBasis.MILESTONE_ACCEPTANCE
    _require_basis(contract, basis)
    events, findings = [], []
    for milestone in sorted(milestones, key=lambda m: (m.accepted_on or date.max, m.name, m.global_id)):
        accepted = billable_since(milestone, MilestoneTrigger.ACCEPTANCE, period.end)
        if accepted is None or accepted > period.end:
            continue
        problem = milestone_amount_conflict(contract, milestone, verb="recognised", systems=systems)
        if problem is not None:
            findings.append(problem)
            continue
        plan_line = milestone_plan_line(contract, milestone.name)
        if plan_line is None:
            continue
        global_id = revenue_id(contract.global_id, basis, milestone.global_id, on=accepted)
        if global_id in already_recognised:
            continue
        event = _event(
            contract,
            basis,
            period,
            plan_line.amount,
            stamp=stamp,
            global_id=global_id,
            accounts=accounts,
            project_id=milestone.project_id,
        )
        events.append(event)
    return RecognitionResult(tuple(events), tuple(findings))


def recognise_percent_complete(
    contract: Contract,
    period: Period,
    progress: CostProgress | HoursProgress,
    *,
    stamp: Stamp,
    recognised_to_date: Money,
    accounts: RevenueAccounts | None = None,
    project_id: str | None = None,
) -> RecognitionResult:
    """Fixed-fee revenue by percentage of completion, cumulative catch-up.

    Cumulative revenue = contract value times min(1, done / total), rounded half-up; this period
    recognises that minus `recognised_to_date` (negative when the estimate grew: a reversal). Progress is
    cost-to-cost (`CostProgress`) or hours-based (`HoursProgress`).

    Raises:
        ValueError: when the contract recognises on another basis.
    """
    basis = RecognitionBasis.PERCENT_COMPLETE
    _require_basis(contract, basis)
    done, total = progress.measures()
    unit = (
        "estimated total cost"
        if progress.method is CompletionMethod.COST_TO_COST
        else "estimated total hours"
    )
    problem = None
    if total <= 0:
        problem = f"its {unit} is {total}; progress cannot be measured against it"
    elif done < 0:
        problem = f"the progress to date ({done}) is negative"
    if problem is not None:
        finding = Finding(
            FindingCategory.VALIDATION,
            "revenue.progress_unmeasurable",
            f"Contract {contract.number} had no revenue recognised for {period}: {problem}.",
            RecordRef.of(contract, contract.number),
        )
        return RecognitionResult((), (finding,))
    fraction = min(Decimal(1), done / total)
    cumulative = (contract.total_value * fraction).round()
    amount = cumulative - recognised_to_date.round()
    if amount.is_zero:
        return RecognitionResult(())
    global_id = revenue_id(contract.global_id, basis, period.start, period.end, on=period.end)
    event = _event(
        contract,
        basis,
        period,
        amount,
        stamp=stamp,
        global_id=global_id,
        accounts=accounts,
        project_id=project_id,
    )
    return RecognitionResult((event,))


def recognise_straight_line(
    contract: Contract,
    *,
    as_of: date,
    stamp: Stamp,
    frequency: BillingFrequency = BillingFrequency.MONTHLY,
    recognised_to_date: Money | None = None,
    already_recognised: Collection[str] = (),
    accounts: RevenueAccounts | None = None,
    project_id: str | None = None,
) -> RecognitionResult:
    """Subscription revenue, straight line: the contract value split evenly over its periods.

    One event per period that has ended by `as_of` and is not recognised yet. When `recognised_to_date`
    is given, the first new event also catches up the difference between what was recognised and what
    the schedule says by then (after a change order changed the value).

    Raises:
        ValueError: when the contract recognises on another basis.
    """
    basis = RecognitionBasis.STRAIGHT_LINE
    _require_basis(contract, basis)
    assert contract.end_date is not None  # Contract requires an end date for straight-line revenue
    periods = list(periods_between(contract.start_date, contract.end_date, frequency))
    shares = split_evenly(contract.total_value, len(periods))
    due = [
        (period, share, revenue_id(contract.global_id, basis, period.start, period.end, on=period.end))
        for period, share in zip(periods, shares, strict=True)
        if period.end <= as_of
    ]
    new = [
        (period, share, global_id) for period, share, global_id in due if global_id not in already_recognised
    ]
    if new and recognised_to_date is not None:
        target = Money.sum((share for _, share, _ in due), contract.currency)
        catch_up = target - recognised_to_date.round() - Money.sum((s for _, s, _ in new), contract.currency)
        first_period, first_share, first_id = new[0]
        new[0] = (first_period, first_share + catch_up, first_id)
    events = [
        _event(
            contract,
            basis,
            period,
            amount,
            stamp=stamp,
            global_id=global_id,
            accounts=accounts,
            project_id=project_id,
        )
        for period, amount, global_id in new
        if not amount.round().is_zero
    ]
    return RecognitionResult(tuple(events))
