"""What the billing flows decide, as pure functions: the invoices a contract is due now, given what was
invoiced before, and the findings that keep a record from being invoiced.

The rules are the domain's (``concord.domain.billing``); this module adds what makes them safe to run again
and again: the memory of what was invoiced (``Billed``, kept in the flow instance), so that

- a time-and-materials billing period is invoiced once, when it has ended, and never recomputed: time
  approved later for it is not due in it any more; it is billed on the next period's invoice, as
  ``bill_time_and_materials`` bills earlier work approved late (domain.md §3.4: approved time accumulated
  per billing period). No supplementary invoice, no invoice edited after it was sent;
- what was billed counts against the not-to-exceed cap, and an entry billed in part at the cap has its
  rest billed once a change order raises the cap;
- a milestone is invoiced once, whatever its dates say later (a milestone complete without a completion
  date is dated the day it was first seen complete, and that day is kept);
- a subscription period is invoiced once.

Invoice ids are deterministic (``concord.domain.billing.invoice_id``), so even a decision taken twice
(a crash between deciding and remembering) upserts the same invoice in the ERP, never a second one.

An entry or expense that changed after it was invoiced (hours, rate, amount, or no longer approved and
billable) is not billed again: it becomes a finding, since a credit note or a supplementary invoice is a
finance decision.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from concord.domain.billing import (
    BillingResult,
    MilestoneTrigger,
    TimeLineDetail,
    bill_milestones,
    bill_subscription,
    bill_time_and_materials,
    billable_since,
    milestone_plan_line,
)
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, format_hours
from concord.domain.keys import Stamp
from concord.domain.messages import JSON
from concord.domain.money import Money
from concord.domain.objects import (
    BillingBasis,
    BillingFrequency,
    Contract,
    ExpenseItem,
    ExpenseStatus,
    InvoiceEvent,
    Milestone,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import Period, periods_between
from concord.domain.time_posting import entry_label

__all__ = [
    "Billed",
    "BillingRun",
    "ProjectWork",
    "Subscriptions",
    "bill_project",
    "bill_subscriptions",
    "elapsed_periods",
    "next_invoice_due",
]


def _money(held: Mapping[str, str]) -> Money:
    return Money(held["amount"], held["currency"])


@dataclass(frozen=True, slots=True)
class Billed:
    """What one project's billing has invoiced so far: the billing instance's memory between runs."""

    invoices: Mapping[str, Money] = field(default_factory=dict)
    """Invoice event global id → its amount."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Time entry or expense global id → what it was billed as (``_billed_as``), once billed in full."""
    partly: Mapping[str, Money] = field(default_factory=dict)
    """Entry or expense global id → the part billed at the not-to-exceed cap (its rest is still due)."""
    through: date | None = None
    """The last day of the last time-and-materials billing period invoiced (or found with nothing due)."""
    milestones: Mapping[str, str] = field(default_factory=dict)
    """Milestone global id → the invoice event that billed it."""
    pinned: Mapping[str, date] = field(default_factory=dict)
    """Milestone global id → the day it was first seen complete, when it carries no date of its own."""

    def billed_to_date(self, currency: str) -> Money:
        """What the project's invoices add up to (they are all of one contract, in its currency)."""
        return Money.sum(self.invoices.values(), currency)

    @classmethod
    def from_state(cls, state: JSON | None) -> Billed:
        """The memory as the flow instance keeps it (``to_state``); empty when there is none."""
        if not state:
            return cls()
        return cls(
            invoices={key: _money(value) for key, value in state.get("invoices", {}).items()},
            sources=dict(state.get("sources", {})),
            partly={key: _money(value) for key, value in state.get("partly", {}).items()},
            through=date.fromisoformat(state["through"]) if state.get("through") else None,
            milestones=dict(state.get("milestones", {})),
            pinned={key: date.fromisoformat(day) for key, day in state.get("pinned", {}).items()},
        )

    def to_state(self) -> JSON:
        """The memory as JSON, for the flow instance's state."""
        return {
            "invoices": {key: money.to_json() for key, money in self.invoices.items()},
            "sources": dict(self.sources),
            "partly": {key: money.to_json() for key, money in self.partly.items()},
            "through": self.through.isoformat() if self.through else None,
            "milestones": dict(self.milestones),
            "pinned": {key: day.isoformat() for key, day in self.pinned.items()},
        }


@dataclass(frozen=True, slots=True)
class BillingRun:
    """What one run decided: the invoice events to create, the findings, and the memory after them."""

    invoices: tuple[InvoiceEvent, ...]
    findings: tuple[Finding, ...]
    billed: Billed


@dataclass(frozen=True, slots=True)
class ProjectWork:
    """A project's records the billing flow gathered from the PSA (newest version of each)."""

    entries: Sequence[TimeEntry] = ()
    expenses: Sequence[ExpenseItem] = ()
    milestones: Sequence[Milestone] = ()


def elapsed_periods(
    contract: Contract, frequency: BillingFrequency, after: date | None, today: date
) -> list[Period]:
    """The contract's billing periods (counted from its start) that ended before ``today`` and after
    ``after``, in order."""
    periods = periods_between(contract.start_date, contract.end_date, frequency)
    ended = itertools.takewhile(lambda period: period.end < today, periods)
    return [period for period in ended if after is None or period.end > after]


def next_invoice_due(contract: Contract, work: ProjectWork, billed: Billed, today: date) -> date | None:
    """The day a time-and-materials project is next due an invoice with nothing else changing: the day
    after the billing period that is running on ``today`` ends, when approved billable time or expenses
    wait to be billed (dated up to that end). None when nothing waits, when the contract has no period
    left, or when it is not billed on time and materials."""
    frequency = contract.billing_plan.frequency
    if contract.billing_plan.basis is not BillingBasis.TIME_AND_MATERIALS_PERIOD or frequency is None:
        return None
    running = next(
        (p for p in periods_between(contract.start_date, contract.end_date, frequency) if p.end >= today),
        None,
    )
    if running is None:
        return None
    records = itertools.chain(
        ((t.work_date, t.status is TimeEntryStatus.APPROVED, t.billable, t.global_id) for t in work.entries),
        (
            (i.expense_date, i.status is ExpenseStatus.APPROVED, i.billable, i.global_id)
            for i in work.expenses
        ),
    )
    waiting = [
        day
        for day, approved, billable, global_id in records
        if approved and billable and global_id not in billed.sources and day <= running.end
    ]
    return running.end + timedelta(days=1) if waiting else None


def bill_project(
    contract: Contract,
    work: ProjectWork,
    billed: Billed,
    *,
    today: date,
    stamp: Stamp,
    project_id: str,
    trigger: MilestoneTrigger = MilestoneTrigger.COMPLETION,
    detail: TimeLineDetail = TimeLineDetail.PER_ENTRY,
    names: Mapping[str, str] | None = None,
    systems: Systems | None = None,
) -> BillingRun:
    """The invoices one project of ``contract`` is due as of ``today``, after those in ``billed``.

    Time and materials: each billing period that ended since the last one invoiced; fixed fee: each
    milestone billable under ``trigger`` not invoiced yet. A subscription's project bills nothing here: its
    fees follow the calendar (``bill_subscriptions``), not the project's records.
    """
    systems = systems or Systems()
    basis = contract.billing_plan.basis
    if basis is BillingBasis.TIME_AND_MATERIALS_PERIOD:
        run = _time_and_materials(
            contract, work, billed, today, stamp, detail, names or {}, project_id, systems
        )
    elif basis is BillingBasis.MILESTONE:
        run = _milestones(contract, work.milestones, billed, today, stamp, trigger, systems)
    else:
        return BillingRun((), (), billed)
    changed = _changed_after_invoicing(contract, work, run.billed, systems)
    return replace(run, findings=run.findings + tuple(changed))


# -- time and materials ------------------------------------------------------------------------------------


def _time_and_materials(
    contract: Contract,
    work: ProjectWork,
    billed: Billed,
    today: date,
    stamp: Stamp,
    detail: TimeLineDetail,
    names: Mapping[str, str],
    project_id: str,
    systems: Systems,
) -> BillingRun:
    frequency = contract.billing_plan.frequency
    assert frequency is not None  # a time-and-materials plan always has one
    invoices: list[InvoiceEvent] = []
    findings: list[Finding] = []
    for period in elapsed_periods(contract, frequency, billed.through, today):
        result = bill_time_and_materials(
            contract,
            period,
            stamp=stamp,
            entries=work.entries,
            expenses=work.expenses,
            billed_to_date=billed.billed_to_date(contract.currency),
            already_billed=set(billed.sources),
            partly_billed=billed.partly,
            detail=detail,
            names=names,
            project_id=project_id,
            systems=systems,
        )
        invoices += result.invoices
        findings += result.findings
        billed = _after_period(billed, period, result, work)
    return BillingRun(tuple(invoices), _unique(_latest_over_cap(findings)), billed)


def _latest_over_cap(findings: Sequence[Finding]) -> list[Finding]:
    """The findings with only the last period's overflow over the cap: it includes the earlier ones."""
    over = [f for f in findings if f.rule == "billing.over_cap"]
    return [f for f in findings if f.rule != "billing.over_cap" or f is over[-1]]


def _after_period(billed: Billed, period: Period, result: BillingResult, work: ProjectWork) -> Billed:
    records: dict[str, TimeEntry | ExpenseItem] = {e.global_id: e for e in work.entries}
    records.update((e.global_id, e) for e in work.expenses)
    partial = result.overflow.partial_source_id if result.overflow else None
    invoices, sources, partly = dict(billed.invoices), dict(billed.sources), dict(billed.partly)
    for invoice in result.invoices:
        invoices[invoice.global_id] = invoice.amount
        for line in invoice.lines:
            for source_id in line.source_ids:
                if source_id == partial:
                    partly[source_id] = partly.get(source_id, Money.zero(line.amount.currency)) + line.amount
                else:
                    partly.pop(source_id, None)
                    sources[source_id] = _billed_as(records[source_id])
    return replace(billed, invoices=invoices, sources=sources, partly=partly, through=period.end)


def _billed_as(record: TimeEntry | ExpenseItem) -> str:
    """What an entry or expense was billed as, to tell when it changes after it was invoiced."""
    if isinstance(record, TimeEntry):
        return f"{format_hours(record.hours)} h at {record.bill_rate}"
    markup = f" (+{record.markup * 100:f} %)" if record.markup else ""
    return f"{record.amount}{markup}"


def _changed_after_invoicing(
    contract: Contract, work: ProjectWork, billed: Billed, systems: Systems
) -> list[Finding]:
    findings = []
    records: Iterable[TimeEntry | ExpenseItem] = itertools.chain(work.entries, work.expenses)
    for record in records:
        was = billed.sources.get(record.global_id)
        if was is None:
            continue
        now = _still_billable_as(record)
        if now == was:
            continue
        what = "Time entry" if isinstance(record, TimeEntry) else "Expense"
        label = entry_label(record, systems)
        change = f"it is now {now}" if now else f"it is now {record.status.label}"
        findings.append(
            Finding(
                FindingCategory.CONFLICT,
                "billing.changed_after_invoicing",
                f"{what} {label} on contract {contract.number} changed after it was invoiced as {was}: "
                f"{change}. Concord does not invoice it again; a credit note or a supplementary invoice "
                "needs a finance decision.",
                RecordRef.of(record, label),
                (RecordRef.of(contract, contract.number),),
            )
        )
    return findings


def _still_billable_as(record: TimeEntry | ExpenseItem) -> str | None:
    approved = record.status in (TimeEntryStatus.APPROVED, ExpenseStatus.APPROVED)
    if not approved or not record.billable:
        return None
    return _billed_as(record)


# -- milestones --------------------------------------------------------------------------------------------


def _milestones(
    contract: Contract,
    milestones: Sequence[Milestone],
    billed: Billed,
    today: date,
    stamp: Stamp,
    trigger: MilestoneTrigger,
    systems: Systems,
) -> BillingRun:
    pinned = dict(billed.pinned)
    ready = []
    for milestone in milestones:
        if milestone.global_id in billed.milestones:
            continue
        if billable_since(milestone, trigger, today) is None:
            continue
        undated = milestone.completed_on is None and milestone.accepted_on is None
        if undated and milestone_plan_line(contract, milestone.name) is not None:
            # Dated by the day it was first seen complete, for good: the invoice id depends on the day.
            day = pinned.setdefault(milestone.global_id, today)
            milestone = milestone.replace(completed_on=day)
        ready.append(milestone)
    result = bill_milestones(
        contract, ready, stamp=stamp, trigger=trigger, already_invoiced=set(billed.invoices), systems=systems
    )
    invoices, done = dict(billed.invoices), dict(billed.milestones)
    for invoice in result.invoices:
        invoices[invoice.global_id] = invoice.amount
        done.update((source_id, invoice.global_id) for line in invoice.lines for source_id in line.source_ids)
    return BillingRun(
        result.invoices,
        result.findings,
        replace(billed, invoices=invoices, milestones=done, pinned=pinned),
    )


# -- subscriptions -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subscriptions:
    """What the subscription billing has invoiced so far: invoice event global id → (contract, amount)."""

    invoices: Mapping[str, tuple[str, Money]] = field(default_factory=dict)

    def billed_to_date(self, contract: Contract) -> Money:
        """What the contract's subscription invoices add up to."""
        amounts = (amount for owner, amount in self.invoices.values() if owner == contract.global_id)
        return Money.sum(amounts, contract.currency)

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> Subscriptions:
        """The memory as the flow instance keeps it (``to_state``)."""
        held = (state or {}).items()
        return cls({key: (str(value["contract"]), _money(value["amount"])) for key, value in held})

    def to_state(self) -> JSON:
        """The memory as JSON."""
        return {
            key: {"contract": contract, "amount": amount.to_json()}
            for key, (contract, amount) in self.invoices.items()
        }


@dataclass(frozen=True, slots=True)
class SubscriptionRun:
    """The subscription invoices due, the findings, and the memory after them."""

    invoices: tuple[InvoiceEvent, ...]
    findings: tuple[Finding, ...]
    billed: Subscriptions


def bill_subscriptions(
    contracts: Iterable[tuple[Contract, str | None]],
    billed: Subscriptions,
    *,
    today: date,
    stamp: Stamp,
    in_advance: bool = False,
    systems: Systems | None = None,
) -> SubscriptionRun:
    """Every subscription period due by ``today`` and not invoiced yet, for each (contract, its project).

    A contract whose project the ERP does not hold is not invoiced (the invoice is raised against the
    project): a finding says so.
    """
    systems = systems or Systems()
    invoices: list[InvoiceEvent] = []
    findings: list[Finding] = []
    held = dict(billed.invoices)
    for contract, project_id in contracts:
        if contract.billing_plan.basis is not BillingBasis.SUBSCRIPTION_PERIOD:
            continue
        if project_id is None:
            findings.append(_no_project(contract, systems))
            continue
        result = bill_subscription(
            contract,
            as_of=today,
            stamp=stamp,
            in_advance=in_advance,
            already_invoiced=set(held),
            billed_to_date=Subscriptions(held).billed_to_date(contract),
            project_id=project_id,
        )
        invoices += result.invoices
        findings += result.findings
        held.update((invoice.global_id, (contract.global_id, invoice.amount)) for invoice in result.invoices)
    return SubscriptionRun(tuple(invoices), _unique(findings), Subscriptions(held))


def _no_project(contract: Contract, systems: Systems) -> Finding:
    return Finding(
        FindingCategory.CONFLICT,
        "billing.contract_without_project",
        f"Contract {contract.number} was not invoiced: {systems.erp_name} holds no project for it, and an "
        f"invoice is raised against the contract's project. Link the project to the contract in "
        f"{systems.erp_name}; the contract is invoiced at the next billing run.",
        RecordRef.of(contract, contract.number),
    )


def _unique(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Each finding once (a record that cannot be valued is found again in every period billed)."""
    return tuple(dict.fromkeys(findings))
