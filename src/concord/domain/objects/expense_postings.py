"""An approved expense as the ERP books it: one posting per expense, in the posting currency, or the
reversal of one.

The expense keeps the amount as it was paid and says at which rate it was converted into the currency it
is posted in (the legal entity's), rounded half-up at the line; the billable amount adds the markup to that
rounded amount and is rounded again, so what is posted and what is billed both reconcile to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import model_validator

from concord.domain.money import Money
from concord.domain.objects.base import CanonicalRecord
from concord.domain.objects.rules import business_rule, check_rounded, check_same_currency
from concord.domain.objects.types import Code, DecimalString, ExternalId, GlobalId, Name, Text

__all__ = ["ExpensePosting"]


class ExpensePosting(CanonicalRecord):
    """One approved expense posted to the ERP, or the reversal of such a posting. Never edited once
    posted: a change is a reversal plus a new posting."""

    SCHEMA_NAME: ClassVar[str] = "ExpensePosting"
    SCHEMA_VERSION: ClassVar[int] = 1

    posting_key: ExternalId
    """Deterministic key of the posting (content key + generation), e.g. "xp-3f9a...-2"."""
    reverses: ExternalId | None = None
    """On a reversal: the posting_key of the posting it reverses."""
    summary: Text
    """What the posting holds, readable, e.g. "Lodging expense of employee E-1187 on ... on 2026-03-03"."""
    posting_date: date
    redated_from: date | None = None
    """The expense date when a closed period moved the posting."""
    expense_id: GlobalId
    """Global id of the expense item posted: the drill-back."""
    expense_date: date
    """When the expense was incurred; its exchange rate is the one in force that day."""
    category: Name
    description: Text | None = None
    receipt_reference: ExternalId | None = None
    legal_entity_code: Code
    project_id: GlobalId
    resource_id: GlobalId
    employee_id: ExternalId
    cost_center: Name | None = None
    service_line: Name | None = None
    billable: bool
    amount: Money
    """As incurred, in the currency paid; negative on a reversal."""
    exchange_rate: DecimalString
    """Units of the posting currency one unit of the currency paid is worth on the expense date."""
    posted_amount: Money
    """The amount converted into the posting currency, rounded half-up; negative on a reversal."""
    billable_amount: Money | None = None
    """The posted amount plus markup, rounded half-up, for a billable expense; negative on a reversal."""

    @model_validator(mode="after")
    def _rules(self) -> ExpensePosting:
        what = f"expense posting {self.posting_key}"
        check_rounded(self.amount, f"amount of the {what}")
        check_rounded(self.posted_amount, f"posted amount of the {what}")
        check_rounded(self.billable_amount, f"billable amount of the {what}")
        check_same_currency(
            [("billable amount", self.billable_amount)], self.posted_amount.currency, f"the posted {what}"
        )
        if self.exchange_rate <= 0:
            raise business_rule(
                f"The exchange rate of the {what} must be positive, not {self.exchange_rate}."
            )
        if self.amount.currency == self.posted_amount.currency and self.exchange_rate != Decimal(1):
            raise business_rule(
                f"The {what} is paid and posted in {self.amount.currency}, so its exchange rate is 1, "
                f"not {self.exchange_rate}."
            )
        self._check_signs(what)
        if self.billable != (self.billable_amount is not None):
            raise business_rule(
                f"The {what} is {'' if self.billable else 'not '}billable, so it "
                f"{'needs' if self.billable else 'has no'} billable amount."
            )
        return self

    def _check_signs(self, what: str) -> None:
        # A tiny amount may convert to zero; the amount paid itself never is zero.
        amounts = [("amount", self.amount), ("posted amount", self.posted_amount)]
        if self.billable_amount is not None:
            amounts.append(("billable amount", self.billable_amount))
        reversal = self.reverses is not None
        for label, amount in amounts:
            wrong_sign = amount.amount > 0 if reversal else amount.amount < 0
            if wrong_sign or (label == "amount" and amount.is_zero):
                sign, why = (
                    ("negative", "a reversal")
                    if reversal
                    else ("positive", "a posting (a reversal names the posting it reverses)")
                )
                raise business_rule(f"The {label} {amount} of the {what} must be {sign}: it is {why}.")
