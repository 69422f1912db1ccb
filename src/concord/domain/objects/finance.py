"""What the ERP books: invoice events, revenue events, commitments to subcontractors, and time posted to the
ledger; and the ERP's accounting periods those postings land in.

These are the figures that must reconcile to the cent: every line is rounded half-up to the currency's
minor unit, and every total is the sum of its rounded lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, model_validator

from concord.domain.hours import Hours, SignedHours
from concord.domain.money import CurrencyCode, Money, line_amount
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import BillingBasis, InvoiceLineKind, JournalSide, RecognitionBasis
from concord.domain.objects.rules import (
    business_rule,
    check_non_negative,
    check_period,
    check_rounded,
    check_same_currency,
)
from concord.domain.objects.types import Code, ExternalId, GlobalId, Name, Text

if TYPE_CHECKING:
    from concord.domain import periods

__all__ = [
    "AccountingPeriod",
    "InvoiceEvent",
    "InvoiceLine",
    "JournalLine",
    "PostedEntry",
    "PurchaseCommitment",
    "RevenueEvent",
    "TimePosting",
]


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
    legal_entity_code: Code | None = None
    """The legal entity that books the revenue (the contract's), when known: the ERP subsidiary."""
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


class PostedEntry(ValueObject):
    """One time entry inside a posting: the drill-back from an ERP line to the entry."""

    entry_id: GlobalId
    hours: SignedHours
    """Negative inside a reversal; never 0."""
    cost_amount: Money
    """Hours times cost rate, rounded; negative inside a reversal."""
    bill_amount: Money | None = None
    """Hours times bill rate, rounded, for billable time; negative inside a reversal."""

    @model_validator(mode="after")
    def _rules(self) -> PostedEntry:
        what = f"time entry {self.entry_id} in the posting"
        if self.hours == 0:
            raise business_rule(f"The {what} posts 0 h; an entry in a posting has hours.")
        for label, amount in (("cost", self.cost_amount), ("bill", self.bill_amount)):
            check_rounded(amount, f"{label} amount of the {what}")
            if amount is not None and not amount.is_zero and (amount.amount < 0) != (self.hours < 0):
                raise business_rule(
                    f"The {label} amount {amount} of the {what} has the opposite sign of its {self.hours} h."
                )
        return self


def _signed_sum(values: Iterable[Decimal]) -> Hours:
    return Hours(sum(values, Decimal(0)), reversal=True)


class TimePosting(CanonicalRecord):
    """Approved time posted to the ERP as one ledger posting (one entry, or a summary of many), or the
    reversal of one. Never edited once posted: a change is a reversal plus a new posting."""

    SCHEMA_NAME: ClassVar[str] = "TimePosting"
    SCHEMA_VERSION: ClassVar[int] = 1

    posting_key: ExternalId
    """Deterministic key of the line (content key + generation), e.g. "tp-3f9a...-2"."""
    reverses: ExternalId | None = None
    """On a reversal: the posting_key of the posting it reverses."""
    summary: Text
    """What the posting holds, readable, e.g. "Time of E-1187 on Atlas rollout, Mar 2026 (12 entries)"."""
    posting_date: date
    redated_from: date | None = None
    """The date the time was worked (or first due) when a closed period moved the posting."""
    legal_entity_code: Code
    project_id: GlobalId
    resource_id: GlobalId
    employee_id: ExternalId
    cost_center: Name | None = None
    service_line: Name | None = None
    billable: bool
    hours: SignedHours
    """The sum of the entries' hours: positive on a posting, negative on a reversal."""
    cost_amount: Money
    """The sum of the entries' rounded cost amounts."""
    bill_amount: Money | None = None
    """The sum of the entries' rounded bill amounts, when the time is billed."""
    entries: tuple[PostedEntry, ...] = Field(json_schema_extra={"minItems": 1})
    """The entries posted, at least one: the drill-back."""

    @model_validator(mode="after")
    def _rules(self) -> TimePosting:
        what = f"posting {self.posting_key}"
        if not self.entries:
            raise business_rule(f"The {what} holds no time entries; a posting holds at least one.")
        self._check_hours(what)
        check_rounded(self.cost_amount, f"cost amount of the {what}")
        check_rounded(self.bill_amount, f"bill amount of the {what}")
        currency = self.cost_amount.currency
        check_same_currency(
            [(f"cost amount of entry {e.entry_id}", e.cost_amount) for e in self.entries],
            currency,
            f"the {what}",
        )
        cost = Money.sum((e.cost_amount for e in self.entries), currency)
        if cost != self.cost_amount:
            raise business_rule(
                f"The cost amount {self.cost_amount} of the {what} is not the sum of its entries, {cost}."
            )
        self._check_bill(what)
        return self

    def _check_hours(self, what: str) -> None:
        total = _signed_sum(e.hours for e in self.entries)
        if total != self.hours:
            raise business_rule(f"The {what} posts {self.hours} h, but its entries add up to {total} h.")
        if self.reverses is not None and self.hours >= 0:
            raise business_rule(
                f"The {what} reverses {self.reverses} but posts {self.hours} h; "
                "a reversal posts negative hours."
            )
        if self.reverses is None and self.hours <= 0:
            raise business_rule(
                f"The {what} posts {self.hours} h; a posting posts positive hours "
                "(a reversal names the posting it reverses)."
            )
        against = [e for e in self.entries if (e.hours < 0) != (self.hours < 0)]
        if against:
            raise business_rule(
                f"Time entry {against[0].entry_id} posts {against[0].hours} h in the {what} of "
                f"{self.hours} h; every entry of a posting has the sign of its total."
            )

    def _check_bill(self, what: str) -> None:
        billed = [e.bill_amount for e in self.entries if e.bill_amount is not None]
        if self.bill_amount is None:
            if billed:
                raise business_rule(f"Entries of the {what} have bill amounts, but the posting has none.")
            return
        currency = self.bill_amount.currency
        check_same_currency(
            [(f"bill amount of entry {e.entry_id}", e.bill_amount) for e in self.entries],
            currency,
            f"the {what}",
        )
        total = Money.sum(billed, currency)
        if total != self.bill_amount:
            raise business_rule(
                f"The bill amount {self.bill_amount} of the {what} is not the sum of its entries, {total}."
            )


class AccountingPeriod(CanonicalRecord):
    """An ERP accounting period (a month, or a quarter or year summary); postings into a closed one are
    refused."""

    SCHEMA_NAME: ClassVar[str] = "AccountingPeriod"
    SCHEMA_VERSION: ClassVar[int] = 1

    name: Name
    """As the ERP names it, e.g. "Mar 2026"."""
    start_date: date
    end_date: date
    closed: bool
    """Closed, or locked for all postings."""
    payables_locked: bool = False
    """Locked for payables only (expense reports, vendor bills); other postings still go in."""
    summary: bool = False
    """A quarter or year that groups base periods; nothing is posted into it."""
    adjustment: bool = False
    """An adjustment period (year-end adjustments), beside the regular month it shares dates with."""

    @model_validator(mode="after")
    def _rules(self) -> AccountingPeriod:
        check_period(self.start_date, self.end_date, f"Accounting period {self.name!r}")
        return self

    def as_calendar_period(self) -> periods.AccountingPeriod:
        """The period as the posting rules see it (`concord.domain.periods.AccountingPeriod`)."""
        # Imported here: concord.domain.periods imports the objects package, which imports this module.
        from concord.domain.periods import AccountingPeriod as CalendarPeriod

        return CalendarPeriod(self.name, self.start_date, self.end_date, self.closed)
