"""Business rules shared by the canonical objects, each failing with a sentence a controller can read.

Validators raise `business_rule(...)`; pydantic turns it into a validation error whose message is
exactly that sentence (no "Value error," prefix). `business_messages` flattens a validation error into
such sentences for the exception queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Final

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from concord.domain.hours import Hours
from concord.domain.money import Money

__all__ = [
    "MAX_ENTRY_HOURS",
    "MAX_WEEK_HOURS",
    "business_messages",
    "business_rule",
    "check_entry_hours",
    "check_non_negative",
    "check_period",
    "check_rounded",
    "check_same_currency",
    "check_week_hours",
]

MAX_ENTRY_HOURS: Final = Decimal(24)
MAX_WEEK_HOURS: Final = Decimal(168)


def business_rule(message: str) -> PydanticCustomError:
    """An error for a broken business rule; raise it from a validator."""
    return PydanticCustomError("business_rule", "{reason}", {"reason": message})


def check_period(start: date, end: date | None, what: str) -> None:
    """Refuse a period that ends before it starts. An open end (None) is fine.

    Args:
        start: first day.
        end: last day, or None when open-ended.
        what: the subject of the sentence, e.g. "The project" or "Rate card STD-2026".
    """
    if end is not None and end < start:
        raise business_rule(f"{what} ends on {end.isoformat()}, before it starts on {start.isoformat()}.")


def check_same_currency(amounts: Iterable[tuple[str, Money | None]], currency: str, owner: str) -> None:
    """Refuse any amount not in `currency`.

    Args:
        amounts: (description, amount) pairs; None amounts are skipped.
        currency: the currency they must all be in.
        owner: what sets the currency, e.g. "the contract".
    """
    for description, amount in amounts:
        if amount is not None and amount.currency != currency:
            raise business_rule(
                f"The {description} is in {amount.currency} but {owner} is in {currency}; "
                f"all its amounts must be in {currency}."
            )


def check_non_negative(amount: Money | None, description: str) -> None:
    """Refuse a negative amount (a rate, a cap, a budget)."""
    if amount is not None and amount.amount < 0:
        raise business_rule(f"The {description} cannot be negative ({amount}).")


def check_rounded(amount: Money | None, description: str) -> None:
    """Refuse an amount with more decimals than its currency's minor unit (a figure that is sent)."""
    if amount is not None and not amount.is_rounded:
        raise business_rule(
            f"The {description} {amount.amount} {amount.currency} has more decimals than {amount.currency} "
            f"allows ({amount.minor_unit}); round each line half-up first."
        )


def check_entry_hours(hours: Hours, work_date: date | None = None) -> Hours:
    """A time entry records more than 0 and at most 24 hours.

    Args:
        hours: the entry's hours.
        work_date: the day worked, to name it in the message.

    Returns:
        The hours, unchanged, when they are valid.
    """
    if not Decimal(0) < hours <= MAX_ENTRY_HOURS:
        on_day = f" on {work_date.isoformat()}" if work_date else ""
        raise business_rule(
            f"A time entry must record more than 0 and at most 24 hours; this one records {hours} h{on_day}."
        )
    return hours


def check_week_hours(hours: Hours, description: str) -> None:
    """Weekly hours (capacity, an assignment) are more than 0 and at most the 168 hours of a week."""
    if not Decimal(0) < hours <= MAX_WEEK_HOURS:
        raise business_rule(
            f"The {description} must be more than 0 and at most 168 hours a week, not {hours}."
        )


def business_messages(error: ValidationError) -> list[str]:
    """One sentence per problem in a validation error: "<Object>: <field>: <message>".

    Meant for exception records and API responses, where a finance or delivery person reads them.
    """
    sentences = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        prefix = f"{error.title}: {where}: " if where else f"{error.title}: "
        sentences.append(prefix + item["msg"])
    return sentences
