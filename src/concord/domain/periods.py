"""Periods: the ERP's accounting periods (open or closed), billing periods, and ISO weeks.

Accounting periods come from the ERP (each has a name, dates and whether it is closed); time can only be
posted into an open one. Billing and recognition periods are generated from a contract's start date and a
frequency, each counted from the start so month ends never drift (Jan 31, Feb 28, Mar 31, not Mar 28).
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from concord.domain.objects.enums import BillingFrequency

if TYPE_CHECKING:
    from concord.domain import objects

__all__ = [
    "AccountingCalendar",
    "AccountingPeriod",
    "Period",
    "add_months",
    "calendar_of",
    "iso_week_start",
    "periods_between",
    "working_days",
]


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A run of days, first and last included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"A period cannot end on {self.end} before it starts on {self.start}.")

    def covers(self, day: date) -> bool:
        """Whether `day` is inside the period."""
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class AccountingPeriod:
    """An ERP accounting period; nothing can be posted into it once it is closed."""

    name: str
    """As the ERP names it, e.g. "Mar 2026"."""
    start: date
    end: date
    closed: bool = False

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"Accounting period {self.name!r} ends on {self.end}, before it starts on {self.start}."
            )

    def covers(self, day: date) -> bool:
        """Whether `day` is inside the period."""
        return self.start <= day <= self.end


class AccountingCalendar:
    """The ERP's accounting periods, in date order, checked not to overlap."""

    def __init__(self, periods: Iterable[AccountingPeriod]) -> None:
        ordered = sorted(periods, key=lambda p: p.start)
        for before, after in itertools.pairwise(ordered):
            if after.start <= before.end:
                raise ValueError(
                    f"Accounting periods {before.name!r} and {after.name!r} overlap; "
                    "each day must belong to one period."
                )
        self.periods: tuple[AccountingPeriod, ...] = tuple(ordered)

    def period_of(self, day: date) -> AccountingPeriod | None:
        """The period `day` falls in, or None when the calendar does not cover it."""
        return next((p for p in self.periods if p.covers(day)), None)

    def first_open_from(self, day: date) -> AccountingPeriod | None:
        """The first open period that covers `day` or starts after it; None when there is none."""
        return next((p for p in self.periods if p.end >= day and not p.closed), None)

    def posting_date_from(self, day: date) -> date | None:
        """`day` when its period is open, else the first day of the next open period (None if none)."""
        period = self.first_open_from(day)
        if period is None:
            return None
        return day if period.covers(day) else period.start


def calendar_of(periods: Iterable[objects.AccountingPeriod]) -> AccountingCalendar:
    """The calendar time is posted by, from the ERP's canonical periods: the base periods only.

    Quarters and years summarise base periods and adjustment periods share a month's dates; neither is
    posted into by time, and keeping them would make the calendar overlap.

    Raises:
        ValueError: when two base periods overlap.
    """
    return AccountingCalendar(p.as_calendar_period() for p in periods if not p.summary and not p.adjustment)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Jan 31 + 1 month = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


_MONTHS = {BillingFrequency.MONTHLY: 1, BillingFrequency.QUARTERLY: 3, BillingFrequency.ANNUALLY: 12}


def _period_start(first: date, frequency: BillingFrequency, index: int) -> date:
    if frequency is BillingFrequency.WEEKLY:
        return first + timedelta(weeks=index)
    return add_months(first, _MONTHS[frequency] * index)


def periods_between(first: date, last: date | None, frequency: BillingFrequency) -> Iterator[Period]:
    """The periods of `frequency` from `first`, each counted from `first`; the last is cut at `last`.

    An open end (`last` None) gives an endless iterator: stop it yourself.
    """
    index = 0
    while True:
        start = _period_start(first, frequency, index)
        if last is not None and start > last:
            return
        end = _period_start(first, frequency, index + 1) - timedelta(days=1)
        yield Period(start, end if last is None else min(end, last))
        index += 1


def iso_week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def working_days(start: date, end: date) -> int:
    """Number of Mondays to Fridays from `start` to `end`, both included (0 when end is before start)."""
    if end < start:
        return 0
    whole_weeks, rest = divmod((end - start).days + 1, 7)
    extra = sum(1 for offset in range(rest) if (start.weekday() + offset) % 7 < 5)
    return whole_weeks * 5 + extra
