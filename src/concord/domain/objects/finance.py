"""What the ERP books: invoice events, revenue events, and commitments to subcontractors.

These are the figures that must reconcile to the cent: every line is rounded half-up to the currency's
minor unit, and every total is the sum of its rounded lines.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from concord.domain.money import CurrencyCode, Hours, Money, line_amount
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import BillingBasis, InvoiceLineKind, JournalSide, RecognitionBasis
from concord.domain.objects.rules import (
    business_rule,
    check_non_negative,
    check_period,
    check_rounded,
    check_same_currency,
)
from concord.domain.objects.types import ExternalId, GlobalId, Name, Text

__all__ = ["InvoiceEvent", "InvoiceLine", "JournalLine", "PurchaseCommitment", "RevenueEvent"]


class InvoiceLine(ValueObject):
    """One line of an invoice; negative for a credit or adjustment."""

    kind: InvoiceLineKind
    description: Name
    amount: Money
    """Rounded to the currency's minor unit; for time, hours times rate rounded half-up."""
    hours: Hours | None = None
    rate: Money | None = None
    source_ids: tuple[GlobalId, ...] = ()
    """Global ids of what the line bills: time entries, expense items, a milestone."""

    @model_validator(mode="after")
    def _rules(self) -> InvoiceLine:
        check_rounded(self.amount, f"amount of invoice line {self.description!r}")
        if self.rate is not None:
            check_same_currency(
                [("rate", self.rate)], self.amount.currency, f"invoice line {self.description!r}"
            )
        if self.hours is not None and self.rate is not None:
            expected = line_amount(self.hours, self.rate)
            if expected != self.amount:
                raise business_rule(
                    f"Invoice line {self.description!r}: {self.hours} h at {self.rate} an hour "
                    f"is {expected}, but the line says {self.amount}."
                )
        return self


class InvoiceEvent(CanonicalRecord):
    """An invoice to create in the ERP against a contract, for a milestone or a billing period."""

    SCHEMA_NAME: ClassVar[str] = "InvoiceEvent"
    SCHEMA_VERSION: ClassVar[int] = 1

    contract_id: GlobalId
    project_id: GlobalId | None = None
    billing_basis: BillingBasis
    period_start: date
    period_end: date
    currency: CurrencyCode
    lines: tuple[InvoiceLine, ...] = Field(min_length=1)
    amount: Money
    """The invoice total: the sum of its rounded lines."""

    @model_validator(mode="after")
    def _rules(self) -> InvoiceEvent:
        check_period(self.period_start, self.period_end, "The invoice period")
        amounts = [("invoice total", self.amount)]
        amounts += [(f"invoice line {line.description!r}", line.amount) for line in self.lines]
        check_same_currency(amounts, self.currency, "the invoice")
        total = Money.sum((line.amount for line in self.lines), self.currency)
        if total != self.amount:
            raise business_rule(f"The invoice total {self.amount} is not the sum of its lines, {total}.")
        return self


class JournalLine(ValueObject):
    """One side of a journal entry."""

    account: Name
    """The ledger account, e.g. "4000 Services revenue"."""
    side: JournalSide
    amount: Money
    """Positive and rounded; the side says whether it debits or credits."""

    @model_validator(mode="after")
    def _rules(self) -> JournalLine:
        check_rounded(self.amount, f"amount on account {self.account!r}")
        if self.amount.amount <= 0:
            raise business_rule(
                f"The {self.side.value} on account {self.account!r} must be positive, not {self.amount}."
            )
        return self


class RevenueEvent(CanonicalRecord):
    """Revenue to recognise for a contract in a period, with its journal impact."""

    SCHEMA_NAME: ClassVar[str] = "RevenueEvent"
    SCHEMA_VERSION: ClassVar[int] = 1

    contract_id: GlobalId
    project_id: GlobalId | None = None
    recognition_basis: RecognitionBasis
    amount: Money
    """Revenue recognised; negative when recognition is reversed."""
    period_start: date
    period_end: date
    journal_lines: tuple[JournalLine, ...] = ()

    @model_validator(mode="after")
    def _rules(self) -> RevenueEvent:
        check_period(self.period_start, self.period_end, "The revenue period")
        check_rounded(self.amount, "revenue amount")
        if not self.journal_lines:
            return self
        currency = self.amount.currency
        check_same_currency(
            [(f"journal line on {line.account!r}", line.amount) for line in self.journal_lines],
            currency,
            "the revenue event",
        )
        debits = Money.sum((ln.amount for ln in self.journal_lines if ln.side is JournalSide.DEBIT), currency)
        credits = Money.sum(
            (ln.amount for ln in self.journal_lines if ln.side is JournalSide.CREDIT), currency
        )
        if debits != credits:
            raise business_rule(f"The revenue journal does not balance: debits {debits}, credits {credits}.")
        if debits != abs(self.amount):
            raise business_rule(
                f"The revenue journal moves {debits} but the revenue recognised is {self.amount}."
            )
        return self


class PurchaseCommitment(CanonicalRecord):
    """Money committed to a subcontractor for work on a project in a period."""

    SCHEMA_NAME: ClassVar[str] = "PurchaseCommitment"
    SCHEMA_VERSION: ClassVar[int] = 1

    subcontractor: Name
    subcontractor_id: ExternalId | None = None
    """The vendor id of the subcontractor in the ERP."""
    project_id: GlobalId
    amount: Money
    period_start: date
    period_end: date
    description: Text | None = None

    @model_validator(mode="after")
    def _rules(self) -> PurchaseCommitment:
        check_period(self.period_start, self.period_end, f"The commitment to {self.subcontractor}")
        check_rounded(self.amount, f"commitment to {self.subcontractor}")
        check_non_negative(self.amount, f"commitment to {self.subcontractor}")
        return self
