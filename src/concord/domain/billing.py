"""Invoice events, per the contract's billing basis (domain.md §3.4).

- Milestone (fixed fee): one invoice per milestone when it is completed (or accepted, per policy), for
  the amount of its billing plan line.
- Time and materials: per billing period, approved billable time (hours times rate, rounded per entry) and
  approved billable expenses (converted, marked up), capped by the contract's not-to-exceed; what the cap
  keeps out is returned as overflow, not billed.
- Subscription or managed service: a fixed fee per elapsed period, from the plan's scheduled lines or the
  contract value split evenly over its periods.

Every invoice event's global id is derived from (contract, basis, milestone or period), so a re-run gives
the same ids and the target, which upserts by that id, never bills twice. Use the id as the idempotency
key and external id.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from concord.domain.delivered import CapOverflow, DeliveredItem, apply_cap, delivered_items
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, format_hours, iso, quoted
from concord.domain.fx import RateTable
from concord.domain.hours import Hours
from concord.domain.keys import Stamp, stable_id
from concord.domain.money import Money, split_evenly
from concord.domain.objects import (
    BillingBasis,
    BillingPlanLine,
    Contract,
    ExpenseItem,
    InvoiceEvent,
    InvoiceLine,
    InvoiceLineKind,
    Milestone,
    MilestoneStatus,
    TimeEntry,
)
from concord.domain.periods import Period, periods_between

__all__ = [
    "BillingResult",
    "MilestoneTrigger",
    "TimeLineDetail",
    "bill_milestones",
    "bill_subscription",
    "bill_time_and_materials",
    "billable_since",
    "invoice_id",
    "milestone_amount_conflict",
    "milestone_plan_line",
]


class MilestoneTrigger(StrEnum):
    """When a fixed-fee milestone is billed."""

    COMPLETION = "completion"
    """When delivery marks it complete (or the customer accepts it, whichever comes first)."""
    ACCEPTANCE = "acceptance"
    """Only once the customer has accepted it."""


class TimeLineDetail(StrEnum):
    """How time appears on a time-and-materials invoice."""

    PER_ENTRY = "per_entry"
    """One line per time entry: hours, rate and amount."""
    PER_RESOURCE_AND_RATE = "per_resource_and_rate"
    """One line per person and rate: total hours, amount the sum of the entries' rounded amounts."""


@dataclass(frozen=True, slots=True)
class BillingResult:
    """What a billing rule produced: invoice events, findings, and (T&M) what the cap kept out."""

    invoices: tuple[InvoiceEvent, ...]
    findings: tuple[Finding, ...] = ()
    overflow: CapOverflow | None = None
    """Time and materials: approved value over the not-to-exceed cap, not billed."""
    uncapped: Money | None = None
    """Time and materials: the value due before the cap (= invoiced + overflow)."""


def invoice_id(contract_id: str, basis: BillingBasis, *identity: object, on: date) -> str:
    """The deterministic global id of the invoice event for (contract, basis, milestone or period)."""
    return stable_id("invoice", contract_id, basis.value, *identity, on=on)


def _require_basis(contract: Contract, basis: BillingBasis) -> None:
    if contract.billing_plan.basis is not basis:
        raise ValueError(
            f"Contract {contract.number} is billed on a {contract.billing_plan.basis.label} basis, "
            f"not {basis.label}."
        )


def _invoice(
    contract: Contract,
    basis: BillingBasis,
    period: Period,
    lines: Sequence[InvoiceLine],
    stamp: Stamp,
    global_id: str,
    project_id: str | None,
) -> InvoiceEvent:
    return InvoiceEvent.model_validate(
        stamp.envelope()
        | {
            "global_id": global_id,
            "contract_id": contract.global_id,
            "project_id": project_id,
            "billing_basis": basis,
            "period_start": period.start,
            "period_end": period.end,
            "currency": contract.currency,
            "lines": tuple(lines),
            "amount": Money.sum((line.amount for line in lines), contract.currency),
        }
    )


def _contract_ref(contract: Contract) -> RecordRef:
    return RecordRef.of(contract, contract.number)


# --- milestones -----------------------------------------------------------------------------------------


def milestone_plan_line(contract: Contract, milestone_name: str) -> BillingPlanLine | None:
    """The billing plan line that bills the milestone of that name (names compare case-insensitively)."""
    wanted = milestone_name.casefold()
    return next(
        (
            line
            for line in contract.billing_plan.lines
            if line.milestone_name is not None and line.milestone_name.casefold() == wanted
        ),
        None,
    )


def billable_since(milestone: Milestone, trigger: MilestoneTrigger, fallback: date) -> date | None:
    """The day the milestone became billable under `trigger`, or None when it has not (yet).

    A milestone marked complete without a completion date counts from `fallback` (the day of the run).
    """
    if trigger is MilestoneTrigger.ACCEPTANCE:
        return milestone.accepted_on if milestone.status is MilestoneStatus.ACCEPTED else None
    if milestone.status is MilestoneStatus.OPEN:
        return None
    days = [day for day in (milestone.completed_on, milestone.accepted_on) if day is not None]
    return min(days) if days else fallback


def milestone_amount_conflict(
    contract: Contract, milestone: Milestone, *, verb: str = "invoiced", systems: Systems | None = None
) -> Finding | None:
    """A conflict finding when the PSA's milestone amount and the ERP's billing plan disagree, else None.

    Args:
        contract: the milestone's contract.
        milestone: the milestone.
        verb: what did not happen because of it ("invoiced", "recognised").
        systems: names of the systems, for the sentence.
    """
    systems = systems or Systems()
    plan_line = milestone_plan_line(contract, milestone.name)
    reason = None
    if plan_line is None and milestone.amount is not None and not milestone.amount.is_zero:
        reason = (
            f"it carries {milestone.amount} in {systems.psa_name} "
            f"but the billing plan in {systems.erp_name} has no line for it"
        )
    elif plan_line is not None and milestone.amount is not None and milestone.amount != plan_line.amount:
        reason = (
            f"the billing plan in {systems.erp_name} says {plan_line.amount} "
            f"but {systems.psa_name} says {milestone.amount}"
        )
    if reason is None:
        return None
    return Finding(
        FindingCategory.CONFLICT,
        "milestone.amount_conflict",
        f"Milestone {quoted(milestone.name)} of contract {contract.number} was not {verb}: {reason}.",
        RecordRef.of(milestone, quoted(milestone.name)),
        (_contract_ref(contract),),
    )


def bill_milestones(
    contract: Contract,
    milestones: Iterable[Milestone],
    *,
    stamp: Stamp,
    trigger: MilestoneTrigger = MilestoneTrigger.COMPLETION,
    already_invoiced: Collection[str] = (),
    systems: Systems | None = None,
) -> BillingResult:
    """One invoice event per milestone that became billable, for its billing plan amount.

    A milestone is billed for the amount of the billing plan line that names it (the ERP owns billing
    plans). A milestone whose PSA amount disagrees with the plan, or that carries an amount but is not
    in the plan, is not billed: it becomes a conflict finding. Milestones with neither (delivery
    checkpoints) are not billable and are skipped. A complete milestone without a completion date is
    billed on the day of the run.

    Args:
        contract: a fixed-fee contract billed by milestone.
        milestones: the milestones of the contract's project(s).
        stamp: correlation id and time of the run.
        trigger: bill on completion (default) or only on acceptance.
        already_invoiced: global ids of invoice events already created; they are not produced again.
        systems: names of the systems, for the findings.

    Raises:
        ValueError: when the contract is not billed by milestone.
    """
    _require_basis(contract, BillingBasis.MILESTONE)
    invoices, findings = [], []
    for milestone in sorted(milestones, key=lambda m: (m.due_date or date.max, m.name, m.global_id)):
        day = billable_since(milestone, trigger, stamp.at.date())
        if day is None:
            continue
        problem = milestone_amount_conflict(contract, milestone, verb="invoiced", systems=systems)
        if problem is not None:
            findings.append(problem)
            continue
        plan_line = milestone_plan_line(contract, milestone.name)
        if plan_line is None:
            continue  # a delivery checkpoint: nothing to bill
        global_id = invoice_id(contract.global_id, BillingBasis.MILESTONE, milestone.global_id, on=day)
        if global_id in already_invoiced:
            continue
        line = InvoiceLine(
            kind=InvoiceLineKind.MILESTONE,
            description=plan_line.description,
            amount=plan_line.amount,
            source_ids=(milestone.global_id,),
        )
        period = Period(day, day)
        invoices.append(
            _invoice(contract, BillingBasis.MILESTONE, period, [line], stamp, global_id, milestone.project_id)
        )
    return BillingResult(tuple(invoices), tuple(findings))


# --- time and materials ---------------------------------------------------------------------------------


def _per_entry_lines(items: Sequence[DeliveredItem]) -> list[InvoiceLine]:
    lines = []
    for item in items:
        hours = f", {format_hours(item.hours)} h" if item.hours is not None else ""
        part = " (part, up to the not-to-exceed cap)" if item.partial else ""
        part += " (rest, over the earlier not-to-exceed cap)" if item.rest else ""
        lines.append(
            InvoiceLine(
                kind=item.kind,
                description=f"{item.description}{hours}{part}",
                amount=item.amount,
                hours=item.hours,
                rate=item.rate,
                source_ids=(item.source_id,),
            )
        )
    return lines


def _grouped_lines(items: Sequence[DeliveredItem], names: Mapping[str, str]) -> list[InvoiceLine]:
    grouped: dict[tuple[str, Money], list[DeliveredItem]] = {}
    rest = []
    for item in items:
        if item.kind is InvoiceLineKind.TIME and item.rate is not None and item.hours is not None:
            grouped.setdefault((item.resource_id, item.rate), []).append(item)
        else:
            rest.append(item)
    lines = []
    for (resource_id, rate), members in grouped.items():
        hours = Hours(sum((m.hours for m in members if m.hours is not None), Hours(0)))
        who = names.get(resource_id, f"resource {resource_id}")
        lines.append(
            InvoiceLine(
                kind=InvoiceLineKind.TIME,
                description=f"{who}, {format_hours(hours)} h at {rate.round()} an hour",
                amount=Money.sum((m.amount for m in members), rate.currency),
                hours=hours,
                source_ids=tuple(m.source_id for m in members),
            )
        )
    return lines + _per_entry_lines(rest)


def bill_time_and_materials(
    contract: Contract,
    period: Period,
    *,
    stamp: Stamp,
    entries: Iterable[TimeEntry] = (),
    expenses: Iterable[ExpenseItem] = (),
    billed_to_date: Money | None = None,
    already_billed: Collection[str] = (),
    partly_billed: Mapping[str, Money] | None = None,
    rates: RateTable | None = None,
    detail: TimeLineDetail = TimeLineDetail.PER_ENTRY,
    names: Mapping[str, str] | None = None,
    project_id: str | None = None,
    systems: Systems | None = None,
) -> BillingResult:
    """The invoice event of one billing period of a time-and-materials contract, capped.

    Bills approved billable time (hours times bill rate, rounded per entry) and approved billable expenses
    (converted into the contract's currency and marked up, each rounded) with a work or expense date up
    to the period's end and not billed before, earliest first. Late approvals of earlier work are billed
    in the period they are approved in. When the not-to-exceed cap would be passed, the entry that
    crosses it is billed in part and the rest is overflow: reported (`overflow` and a finding), not
    billed. The invoice amount never takes `billed_to_date` over the cap, and invoice + overflow =
    `uncapped`, to the cent.

    Args:
        contract: a time-and-materials contract.
        period: the billing period.
        stamp: correlation id and time of the run.
        entries: the contract's time entries (only approved billable ones are billed).
        expenses: the contract's expenses (only approved billable ones are billed).
        billed_to_date: what was invoiced on the contract before; needed when it has a cap.
        already_billed: global ids of entries and expenses on earlier invoices.
        partly_billed: global id → amount billed, for entries billed in part at the cap before
            (`CapOverflow.partial_source_id`); their rest is billed once the cap allows.
        rates: exchange rates for expenses not in the contract's currency.
        detail: one line per entry (default) or per person and rate.
        names: resource global id → name, for line descriptions.
        project_id: the project the invoice is for, when the contract has one.
        systems: names of the systems, for the findings.

    Raises:
        ValueError: when the contract is not billed on time and materials, or it has a cap and
            `billed_to_date` is missing.
    """
    _require_basis(contract, BillingBasis.TIME_AND_MATERIALS_PERIOD)
    if contract.not_to_exceed is not None and billed_to_date is None:
        raise ValueError(f"Contract {contract.number} has a not-to-exceed cap: pass billed_to_date.")
    items, findings = delivered_items(
        contract,
        up_to=period.end,
        entries=entries,
        expenses=expenses,
        rates=rates,
        done=already_billed,
        partly_done=partly_billed,
        names=names,
        systems=systems,
    )
    uncapped = Money.sum((item.amount for item in items), contract.currency)
    taken, overflow = apply_cap(items, contract.not_to_exceed, billed_to_date)
    if overflow is not None:
        findings.append(_overflow_finding(contract, period, overflow, items))
    if detail is TimeLineDetail.PER_ENTRY:
        lines = _per_entry_lines(taken)
    else:
        lines = _grouped_lines(taken, names or {})
    invoices: tuple[InvoiceEvent, ...] = ()
    if lines:
        basis = BillingBasis.TIME_AND_MATERIALS_PERIOD
        global_id = invoice_id(contract.global_id, basis, period.start, period.end, on=period.end)
        invoices = (_invoice(contract, basis, period, lines, stamp, global_id, project_id),)
    return BillingResult(invoices, tuple(findings), overflow, uncapped)


def _overflow_finding(
    contract: Contract, period: Period, overflow: CapOverflow, items: Sequence[DeliveredItem]
) -> Finding:
    kinds = {item.source_id: item.kind for item in items}
    related = [_contract_ref(contract)]
    for source_id in overflow.source_ids:
        kind = "TimeEntry" if kinds.get(source_id) is InvoiceLineKind.TIME else "ExpenseItem"
        related.append(RecordRef.to(kind, source_id))
    return Finding(
        FindingCategory.VALIDATION,
        "billing.over_cap",
        f"Contract {contract.number} reached its not-to-exceed cap of {overflow.cap}: "
        f"{overflow.amount} of approved time and expenses up to {iso(period.end)} was not invoiced "
        f"({len(overflow.source_ids)} entries and expenses); a change order can raise the cap.",
        _contract_ref(contract),
        tuple(related),
        (("cap", str(overflow.cap)), ("overflow", str(overflow.amount))),
    )


# --- subscription ---------------------------------------------------------------------------------------


def _subscription_fees(contract: Contract, periods: Sequence[Period]) -> list[Money] | str:
    """The fee of each period of the whole contract, or why it cannot be known."""
    lines = contract.billing_plan.lines
    if lines:
        if len(lines) != len(periods):
            return (
                f"its billing plan schedules {len(lines)} fee{'s' if len(lines) != 1 else ''} "
                f"but the contract runs {len(periods)} periods"
            )
        return [line.amount for line in lines]
    if contract.end_date is None:
        return "it has no end date and no scheduled fees, so the fee per period is unknown"
    return split_evenly(contract.total_value, len(periods))


def bill_subscription(
    contract: Contract,
    *,
    as_of: date,
    stamp: Stamp,
    in_advance: bool = False,
    already_invoiced: Collection[str] = (),
    billed_to_date: Money | None = None,
    project_id: str | None = None,
) -> BillingResult:
    """The invoice events of a subscription or managed service for every elapsed period not yet invoiced.

    Periods run from the contract's start at the plan's frequency (the last one cut at the end date). The
    fee of a period is the plan's scheduled line for it, else the contract value split evenly over all
    periods (differing by at most one cent, earlier periods taking the leftover cents). When
    `billed_to_date` is given, the first new invoice also catches up any difference between what was
    billed and what the schedule says by then (after a change order changed the value).

    Args:
        contract: a contract billed per subscription period.
        as_of: the day of the run; a period is due once it has ended (or begun, `in_advance`).
        stamp: correlation id and time of the run.
        in_advance: bill each period when it begins instead of when it ends.
        already_invoiced: global ids of invoice events already created.
        billed_to_date: what was invoiced on the contract before (optional; see above).
        project_id: the project the invoices are for, when the contract has one.

    Raises:
        ValueError: when the contract is not billed per subscription period.
    """
    _require_basis(contract, BillingBasis.SUBSCRIPTION_PERIOD)
    frequency = contract.billing_plan.frequency
    assert frequency is not None  # a BillingPlan on this basis always has one
    periods = periods_between(contract.start_date, contract.end_date, frequency)
    if contract.end_date is None:
        all_periods = list(itertools.takewhile(lambda p: p.start <= as_of, periods))
    else:
        all_periods = list(periods)
    fees = _subscription_fees(contract, all_periods)
    if isinstance(fees, str):
        finding = Finding(
            FindingCategory.VALIDATION,
            "billing.subscription_fee_unknown",
            f"Contract {contract.number} was not invoiced: {fees}.",
            _contract_ref(contract),
        )
        return BillingResult((), (finding,))
    basis = BillingBasis.SUBSCRIPTION_PERIOD
    due = [
        (period, fee, invoice_id(contract.global_id, basis, period.start, period.end, on=period.end))
        for period, fee in zip(all_periods, fees, strict=True)
        if (period.start if in_advance else period.end) <= as_of
    ]
    new = [(period, fee, global_id) for period, fee, global_id in due if global_id not in already_invoiced]
    if new and billed_to_date is not None:
        target = Money.sum((fee for _, fee, _ in due), contract.currency)
        catch_up = target - billed_to_date - Money.sum((fee for _, fee, _ in new), contract.currency)
        first_period, first_fee, first_id = new[0]
        new[0] = (first_period, first_fee + catch_up.round(), first_id)
    invoices, findings = [], []
    for period, amount, global_id in new:
        if amount.amount < 0:
            findings.append(_credit_finding(contract, period, amount))
            continue
        if amount.is_zero:
            continue
        line = InvoiceLine(
            kind=InvoiceLineKind.SUBSCRIPTION_FEE,
            description=f"{contract.name}, {period}",
            amount=amount,
        )
        invoices.append(_invoice(contract, basis, period, [line], stamp, global_id, project_id))
    return BillingResult(tuple(invoices), tuple(findings))


def _credit_finding(contract: Contract, period: Period, amount: Money) -> Finding:
    return Finding(
        FindingCategory.VALIDATION,
        "billing.subscription_credit",
        f"Contract {contract.number} was not invoiced for {period}: more was billed before than the "
        f"schedule allows by then ({-amount} too much); a credit note needs a finance decision.",
        _contract_ref(contract),
    )
