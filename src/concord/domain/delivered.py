"""The value of approved billable time and expenses on a time-and-materials contract, and its cap.

Billing (invoice events) and revenue (recognised as delivered) both start from the same question: which
approved billable entries and expenses are due up to a day, and what are they worth in the contract's
currency? Then both apply the contract's not-to-exceed cap the same way: items are taken in date order
until the cap is reached; the item that crosses it is taken in part; the rest is overflow, reported and
not billed (or recognised). Taken + overflow = the uncapped value, to the cent.

An item that cannot be valued (no bill rate, a rate in another currency, no exchange rate) becomes a
finding, never a silent drop. Entries not yet approved or not billable are simply not due.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from concord.domain.expenses import billable_expense_amount
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, iso
from concord.domain.fx import MissingExchangeRate, RateTable
from concord.domain.hours import Hours
from concord.domain.money import Money, canonical_decimal, line_amount
from concord.domain.objects import (
    Contract,
    ExpenseItem,
    ExpenseStatus,
    InvoiceLineKind,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.time_posting import entry_label

__all__ = ["CapOverflow", "DeliveredItem", "apply_cap", "delivered_items"]


@dataclass(frozen=True, slots=True)
class DeliveredItem:
    """One approved billable time entry or expense, valued in the contract's currency."""

    source_id: str
    kind: InvoiceLineKind
    day: date
    resource_id: str
    description: str
    amount: Money
    hours: Hours | None = None
    rate: Money | None = None
    partial: bool = False
    """Taken only in part, up to the not-to-exceed cap."""
    rest: bool = False
    """The rest of an item taken in part before (after the cap was raised)."""


@dataclass(frozen=True, slots=True)
class CapOverflow:
    """What the not-to-exceed cap kept from being billed or recognised."""

    cap: Money
    amount: Money
    """The value over the cap."""
    source_ids: tuple[str, ...]
    """Entries and expenses not taken, wholly or (the first one, see `partial_source_id`) in part."""
    partial_source_id: str | None = None
    """The item taken in part, if any: its rest is in `amount`."""


def _time_item(entry: TimeEntry, contract: Contract, names: Mapping[str, str]) -> DeliveredItem | str:
    if entry.bill_rate is None:
        return "it is billable but has no bill rate"
    if entry.bill_rate.currency != contract.currency:
        currency = entry.bill_rate.currency
        return f"its bill rate is in {currency} but contract {contract.number} is in {contract.currency}"
    who = names.get(entry.resource_id, f"resource {entry.resource_id}")
    return DeliveredItem(
        source_id=entry.global_id,
        kind=InvoiceLineKind.TIME,
        day=entry.work_date,
        resource_id=entry.resource_id,
        description=f"{who}, {iso(entry.work_date)}",
        amount=line_amount(entry.hours, entry.bill_rate),
        hours=entry.hours,
        rate=entry.bill_rate,
    )


def _expense_item(item: ExpenseItem, contract: Contract, rates: RateTable) -> DeliveredItem | str:
    try:
        amount = billable_expense_amount(item, contract.currency, rates)
    except MissingExchangeRate as exc:
        return f"no exchange rate from {exc.source} to {exc.target} is in force on {iso(exc.day)}"
    markup = f" (+{canonical_decimal(item.markup * 100)} %)" if item.markup else ""
    return DeliveredItem(
        source_id=item.global_id,
        kind=InvoiceLineKind.EXPENSE,
        day=item.expense_date,
        resource_id=item.resource_id,
        description=f"{item.category}, {iso(item.expense_date)}{markup}",
        amount=amount,
    )


def delivered_items(
    contract: Contract,
    *,
    up_to: date,
    entries: Iterable[TimeEntry] = (),
    expenses: Iterable[ExpenseItem] = (),
    rates: RateTable | None = None,
    done: Collection[str] = (),
    partly_done: Mapping[str, Money] | None = None,
    names: Mapping[str, str] | None = None,
    systems: Systems | None = None,
    verb: str = "invoiced",
) -> tuple[list[DeliveredItem], list[Finding]]:
    """The approved billable time and expenses due on `contract` up to `up_to`, in date order.

    Args:
        contract: the time-and-materials contract; items are valued in its currency.
        up_to: the last day of the period; later work is not due yet.
        entries: the contract's time entries (any status; only approved billable ones count).
        expenses: the contract's expense items (any status; only approved billable ones count).
        rates: exchange rates for expenses in other currencies.
        done: global ids of entries and expenses already billed (or recognised): skipped. Earlier
            work approved late is due now, so nothing is lost at month end.
        partly_done: global id → amount already taken, for items taken in part at the cap before; only
            the rest is due (an amount without hours or rate). Ids in `done` win.
        names: resource global id → name, for the descriptions.
        systems: names of the systems, for the finding labels.
        verb: "invoiced" or "recognised", for the findings' sentences.

    Returns:
        The items, and a finding for each item that could not be valued.
    """
    names, systems, rates = names or {}, systems or Systems(), rates or RateTable()

    def _due(approved: bool, billable: bool, day: date, global_id: str) -> bool:
        return approved and billable and day <= up_to and global_id not in done

    items: list[DeliveredItem] = []
    findings: list[Finding] = []
    for entry in entries:
        if _due(entry.status is TimeEntryStatus.APPROVED, entry.billable, entry.work_date, entry.global_id):
            _collect(_time_item(entry, contract, names), entry, contract, systems, verb, items, findings)
    for expense in expenses:
        approved = expense.status is ExpenseStatus.APPROVED
        if _due(approved, expense.billable, expense.expense_date, expense.global_id):
            valued = _expense_item(expense, contract, rates)
            _collect(valued, expense, contract, systems, verb, items, findings)
    items = [_rest(item, partly_done or {}) for item in items]
    items = [item for item in items if item.amount.amount > 0]
    items.sort(key=lambda item: (item.day, item.kind is not InvoiceLineKind.TIME, item.source_id))
    return items, findings


def _rest(item: DeliveredItem, partly_done: Mapping[str, Money]) -> DeliveredItem:
    taken = partly_done.get(item.source_id)
    if taken is None:
        return item
    return replace(item, amount=item.amount - taken.round(), hours=None, rate=None, rest=True)


def _collect(
    valued: DeliveredItem | str,
    record: TimeEntry | ExpenseItem,
    contract: Contract,
    systems: Systems,
    verb: str,
    items: list[DeliveredItem],
    findings: list[Finding],
) -> None:
    if isinstance(valued, DeliveredItem):
        items.append(valued)
        return
    label = entry_label(record, systems)
    what = "Time entry" if isinstance(record, TimeEntry) else "Expense"
    findings.append(
        Finding(
            FindingCategory.VALIDATION,
            f"{'time' if isinstance(record, TimeEntry) else 'expense'}.not_{verb}",
            f"{what} {label} on contract {contract.number} was not {verb}: {valued}.",
            RecordRef.of(record, label),
            (RecordRef.of(contract, contract.number),),
        )
    )


def apply_cap(
    items: Sequence[DeliveredItem], cap: Money | None, used: Money | None = None
) -> tuple[list[DeliveredItem], CapOverflow | None]:
    """Take items in order until the cap is reached; report the rest as overflow.

    The item that crosses the cap is taken in part (an amount only, without hours or rate); everything
    after it is overflow. Taken + overflow = the sum of the items, to the cent, and taken + `used` never
    exceeds the cap.

    Args:
        items: in the order they should be taken (earliest work first).
        cap: the contract's not-to-exceed cap; None when it has none.
        used: what was already billed (or recognised) against the cap.
    """
    if cap is None or not items:
        return list(items), None
    currency = cap.currency
    left = max(cap.round() - (used or Money.zero(currency)).round(), Money.zero(currency))
    taken: list[DeliveredItem] = []
    for index, item in enumerate(items):
        if item.amount <= left:
            taken.append(item)
            left = left - item.amount
            continue
        rest = items[index:]
        partial = None
        if left.amount > 0:
            taken.append(replace(item, amount=left, hours=None, rate=None, partial=True))
            partial = item.source_id
        overflow = Money.sum((i.amount for i in rest), currency) - left
        return taken, CapOverflow(cap, overflow, tuple(i.source_id for i in rest), partial)
    return taken, None
