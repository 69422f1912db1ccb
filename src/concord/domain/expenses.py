"""Expenses in the ERP's and the customer's currency: conversion from a rates table, and billable markup.

An expense is converted at the rate in force on its date and rounded half-up to the target currency's
minor unit; the markup is then applied to that rounded amount and rounded again. Each step is one rounded
line, so what is posted and what is billed both reconcile to the cent. Expenses are posted one line per
item (they carry a receipt each); an edited or rejected expense is reversed and reposted with
`concord.domain.posting_lines.plan_postings`, like time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Self

from concord.domain.fx import RateTable
from concord.domain.keys import stable_key
from concord.domain.money import Money
from concord.domain.objects import ExpenseItem
from concord.domain.posting_lines import PostingDimensions

__all__ = ["ExpensePostingLine", "billable_expense_amount", "expense_posting_line"]


def billable_expense_amount(item: ExpenseItem, currency: str, rates: RateTable) -> Money:
    """What the customer is billed for an expense in `currency`: converted, rounded, marked up, rounded.

    Zero (in `currency`) when the item is not billable.

    Raises:
        MissingExchangeRate: when no rate converts the item's currency on its date.
    """
    if not item.billable:
        return Money.zero(currency)
    converted = rates.convert(item.amount, currency, item.expense_date)
    return (converted * (1 + item.markup)).round()


@dataclass(frozen=True, slots=True)
class ExpensePostingLine:
    """One expense to post to the ERP (or the reversal of one)."""

    key: str
    content_key: str
    item_id: str
    posting_date: date
    dimensions: PostingDimensions
    category: str
    amount: Money
    """As incurred, in the currency paid."""
    exchange_rate: Decimal
    """Units of the posting currency per unit of the currency paid, on the expense date."""
    posted_amount: Money
    """The amount converted into the posting currency, rounded; negative on a reversal."""
    billable_amount: Money | None
    """The posted amount plus markup, rounded; None when not billable."""
    receipt_reference: str | None = None
    reverses: str | None = None

    def reversal(self, on: date) -> Self:
        """The line that undoes this one, posted on `on`."""
        return replace(
            self,
            key=f"{self.key}-rev",
            content_key=f"{self.key}-rev",
            posting_date=on,
            amount=-self.amount,
            posted_amount=-self.posted_amount,
            billable_amount=None if self.billable_amount is None else -self.billable_amount,
            reverses=self.key,
        )

    def with_key(self, key: str) -> Self:
        """The same line under another key (a later generation)."""
        return replace(self, key=key)


def expense_posting_line(
    item: ExpenseItem, dimensions: PostingDimensions, *, posting_date: date, currency: str, rates: RateTable
) -> ExpensePostingLine:
    """The posting line of one approved expense, in the posting `currency` (usually the entity's).

    Args:
        item: the expense, checked with `check_expense`.
        dimensions: from `posting_dimensions(item, project, resource, legal_entity)`.
        posting_date: the expense date or its re-dated day (`PostingCheck.posting_date`).
        currency: the currency to post in.
        rates: the exchange rates; the rate of the expense date applies.

    Raises:
        MissingExchangeRate: when no rate converts the item's currency on its date.
    """
    rate = rates.rate(item.amount.currency, currency, item.expense_date)
    posted = rates.convert(item.amount, currency, item.expense_date)
    billable = (posted * (1 + item.markup)).round() if item.billable else None
    content_key = stable_key(
        "xp", item.global_id, posting_date, dimensions, item.category, item.amount, rate, currency, billable
    )
    return ExpensePostingLine(
        key=content_key,
        content_key=content_key,
        item_id=item.global_id,
        posting_date=posting_date,
        dimensions=dimensions,
        category=item.category,
        amount=item.amount,
        exchange_rate=rate,
        posted_amount=posted,
        billable_amount=billable,
        receipt_reference=item.receipt_reference,
    )
