"""SOQL date literals (``TODAY``, ``LAST_N_DAYS:30`` ...) as half-open UTC ranges ``[start, end)``.

The emulated org's time zone is UTC. A comparison with a range literal means: ``=`` inside the
range, ``<`` before its start, ``<=`` before its end, ``>`` from its end on, ``>=`` from its start on.
Weeks start on Sunday, as in the default (en_US) locale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Range = tuple[date, date]


def _day(today: date, offset: int) -> Range:
    start = today + timedelta(days=offset)
    return start, start + timedelta(days=1)


def _week_start(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _month_start(day: date, months_ahead: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date, quarters_ahead: int = 0) -> date:
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return _month_start(first, 3 * quarters_ahead)


def _weeks(today: date, first: int, count: int) -> Range:
    start = _week_start(today) + timedelta(weeks=first)
    return start, start + timedelta(weeks=count)


def _months(today: date, first: int, count: int) -> Range:
    return _month_start(today, first), _month_start(today, first + count)


def _quarters(today: date, first: int) -> Range:
    return _quarter_start(today, first), _quarter_start(today, first + 1)


def _years(today: date, first: int, count: int) -> Range:
    return date(today.year + first, 1, 1), date(today.year + first + count, 1, 1)


_FIXED: dict[str, Callable[[date], Range]] = {
    "YESTERDAY": lambda d: _day(d, -1),
    "TODAY": lambda d: _day(d, 0),
    "TOMORROW": lambda d: _day(d, 1),
    "LAST_WEEK": lambda d: _weeks(d, -1, 1),
    "THIS_WEEK": lambda d: _weeks(d, 0, 1),
    "NEXT_WEEK": lambda d: _weeks(d, 1, 1),
    "LAST_MONTH": lambda d: _months(d, -1, 1),
    "THIS_MONTH": lambda d: _months(d, 0, 1),
    "NEXT_MONTH": lambda d: _months(d, 1, 1),
    "LAST_QUARTER": lambda d: _quarters(d, -1),
    "THIS_QUARTER": lambda d: _quarters(d, 0),
    "NEXT_QUARTER": lambda d: _quarters(d, 1),
    "LAST_YEAR": lambda d: _years(d, -1, 1),
    "THIS_YEAR": lambda d: _years(d, 0, 1),
    "NEXT_YEAR": lambda d: _years(d, 1, 1),
    "LAST_90_DAYS": lambda d: (d - timedelta(days=90), d + timedelta(days=1)),
    "NEXT_90_DAYS": lambda d: (d + timedelta(days=1), d + timedelta(days=91)),
}

_WITH_N: dict[str, Callable[[date, int], Range]] = {
    # LAST_N_DAYS:n covers today and the n days before it.
    "LAST_N_DAYS": lambda d, n: (d - timedelta(days=n), d + timedelta(days=1)),
    "NEXT_N_DAYS": lambda d, n: (d + timedelta(days=1), d + timedelta(days=n + 1)),
    "N_DAYS_AGO": lambda d, n: _day(d, -n),
    "LAST_N_WEEKS": lambda d, n: _weeks(d, -n, n),
    "NEXT_N_WEEKS": lambda d, n: _weeks(d, 1, n),
    "LAST_N_MONTHS": lambda d, n: _months(d, -n, n),
    "NEXT_N_MONTHS": lambda d, n: _months(d, 1, n),
    "LAST_N_YEARS": lambda d, n: _years(d, -n, n),
    "NEXT_N_YEARS": lambda d, n: _years(d, 1, n),
}


def is_fixed(name: str) -> bool:
    """Whether ``name`` is a date literal without ``:n``."""
    return name.upper() in _FIXED


def takes_n(name: str) -> bool:
    """Whether ``name`` is a date literal written ``NAME:n``."""
    return name.upper() in _WITH_N


def date_range(name: str, n: int, now: datetime) -> tuple[datetime, datetime]:
    """The UTC datetime range a date literal denotes at ``now``."""
    today = now.astimezone(UTC).date()
    upper = name.upper()
    start, end = _WITH_N[upper](today, n) if upper in _WITH_N else _FIXED[upper](today)
    return (
        datetime(start.year, start.month, start.day, tzinfo=UTC),
        datetime(end.year, end.month, end.day, tzinfo=UTC),
    )
