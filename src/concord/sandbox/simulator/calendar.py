"""Business calendar of the simulated firm: weekdays are working days (no public holidays), weeks start
on Monday, month-end is the last working day of the month, and each day has fixed checkpoints at which
the firm's people act."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import Enum


class Checkpoint(Enum):
    """When in the working day each group acts (UTC wall-clock time)."""

    MORNING = time(8, 0)
    """Project managers staff projects, start and finish them, complete milestones."""
    APPROVALS = time(9, 30)
    """Managers approve or reject timesheets and expense reports; corrections after approval are
    reopened."""
    SALES = time(11, 0)
    """Sales moves deals, opens new ones, raises and approves change orders."""
    EVENING = time(17, 30)
    """Consultants log time and expenses and submit timesheets and expense reports."""
    MONTH_END = time(17, 45)
    """On the last working day of a month: the burst of late approvals."""
    CLOSE = time(18, 30)
    """Finance closes accounting periods."""

    def on(self, day: date) -> datetime:
        """This checkpoint on ``day``, as an aware UTC datetime."""
        return datetime.combine(day, self.value, tzinfo=UTC)


def is_workday(day: date) -> bool:
    """Monday to Friday."""
    return day.weekday() < 5


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def next_workday(day: date, count: int = 1) -> date:
    """The ``count``-th working day after ``day``."""
    current = day
    while count > 0:
        current += timedelta(days=1)
        if is_workday(current):
            count -= 1
    return current


def month_last_workday(day: date) -> date:
    """The last working day of ``day``'s month."""
    first_next = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    current = first_next - timedelta(days=1)
    while not is_workday(current):
        current -= timedelta(days=1)
    return current


def is_month_end(day: date) -> bool:
    """Whether ``day`` is the last working day of its month."""
    return day == month_last_workday(day)


def workday_of_month(day: date) -> int:
    """Which working day of its month ``day`` is (1 for the first); 0 on a weekend."""
    if not is_workday(day):
        return 0
    return sum(1 for n in range(1, day.day + 1) if is_workday(day.replace(day=n)))


def first_workday_of_week_in(day: date, start: date) -> bool:
    """Whether ``day`` is the first working day of its week within a simulation starting on ``start``."""
    if not is_workday(day):
        return False
    current = max(week_start(day), start)
    while not is_workday(current):
        current += timedelta(days=1)
    return current == day
