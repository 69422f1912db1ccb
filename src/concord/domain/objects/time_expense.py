"""What delivery consumes, captured in the PSA: time entries and expense items."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import model_validator

from concord.domain.hours import Hours
from concord.domain.money import Money, line_amount
from concord.domain.objects.base import CanonicalRecord
from concord.domain.objects.enums import ExpenseStatus, TimeEntryStatus
from concord.domain.objects.rules import (
    business_rule,
    check_entry_hours,
    check_non_negative,
    check_rounded,
)
from concord.domain.objects.types import DecimalString, ExternalId, GlobalId, Name, Text, UtcDatetime

__all__ = ["ExpenseItem", "TimeEntry"]

_MAX_MARKUP = Decimal(1)


class TimeEntry(CanonicalRecord):
    """Hours one resource worked on one project on one day."""

    SCHEMA_NAME: ClassVar[str] = "TimeEntry"
    SCHEMA_VERSION: ClassVar[int] = 1

    project_id: GlobalId
    resource_id: GlobalId
    work_date: date
    hours: Hours
    """More than 0 and at most 24."""
    billable: bool
    status: TimeEntryStatus
    task: Name | None = None
    """The PSA task the time was booked to."""
    milestone_id: GlobalId | None = None
    bill_rate: Money | None = None
    cost_rate: Money | None = None
    notes: Text | None = None
    approver_id: GlobalId | None = None
    """Global id of the resource who approved (or rejected) the entry."""
    approved_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _rules(self) -> TimeEntry:
        check_entry_hours(self.hours, self.work_date)
        check_non_negative(self.bill_rate, "bill rate of the time entry")
        check_non_negative(self.cost_rate, "cost rate of the time entry")
        day = self.work_date.isoformat()
        if self.status is TimeEntryStatus.APPROVED and self.approver_id is None:
            raise business_rule(
                f"The time entry of {self.hours} h on {day} is approved but names no approver."
            )
        if self.status is not TimeEntryStatus.APPROVED and self.approved_at is not None:
            raise business_rule(
                f"The time entry of {self.hours} h on {day} is {self.status.label} but has an approval time."
            )
        return self

    def bill_amount(self) -> Money | None:
        """Hours times bill rate, rounded at the line; None when not billable or without a bill rate."""
        if not self.billable or self.bill_rate is None:
            return None
        return line_amount(self.hours, self.bill_rate)

    def cost_amount(self) -> Money | None:
        """Hours times cost rate, rounded at the line; None without a cost rate."""
        return None if self.cost_rate is None else line_amount(self.hours, self.cost_rate)


class ExpenseItem(CanonicalRecord):
    """An expense a resource incurred for a project."""

    SCHEMA_NAME: ClassVar[str] = "ExpenseItem"
    SCHEMA_VERSION: ClassVar[int] = 1

    project_id: GlobalId
    resource_id: GlobalId
    expense_date: date
    category: Name
    """E.g. "Travel", "Lodging"."""
    amount: Money
    billable: bool
    markup: DecimalString = Decimal(0)
    """Fraction added when the expense is billed: 0.10 is 10 %."""
    receipt_reference: ExternalId | None = None
    description: Text | None = None
    status: ExpenseStatus
    approver_id: GlobalId | None = None

    @model_validator(mode="after")
    def _rules(self) -> ExpenseItem:
        what = f"{self.category.lower()} expense of {self.expense_date.isoformat()}"
        if self.amount.amount <= 0:
            raise business_rule(f"The {what} must have a positive amount, not {self.amount}.")
        check_rounded(self.amount, f"amount of the {what}")
        if not Decimal(0) <= self.markup <= _MAX_MARKUP:
            raise business_rule(
                f"The markup of the {what} must be between 0 and 1 (0.10 is 10 %), not {self.markup}."
            )
        if self.status is ExpenseStatus.APPROVED and self.approver_id is None:
            raise business_rule(f"The {what} is approved but names no approver.")
        return self

    def billable_amount(self) -> Money:
        """What the customer is billed: amount plus markup, rounded at the line; zero if not billable."""
        if not self.billable:
            return Money.zero(self.amount.currency)
        return (self.amount * (1 + self.markup)).round()
