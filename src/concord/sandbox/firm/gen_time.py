"""Time logged on the legacy projects: every staffed consultant's working days over the last full weeks
(submitted on weekly timesheets, mostly approved) and the current week so far (drafts)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from concord.domain.objects.enums import ProjectStatus, TimeEntryStatus
from concord.sandbox.firm.model import Employee, Project, RateCard, Submission, TimeEntry

PENDING_SHARE = 0.15
"""Share of last week's timesheets still waiting for approval."""
_DAY_MINUTES = (420, 450, 480, 480, 480, 510)
_NOTES = (
    "Client workshop",
    "Requirements analysis",
    "Configuration",
    "Data migration testing",
    "Status report",
    "Solution design",
    "Stakeholder interviews",
    "User acceptance testing",
    "Training preparation",
    "Steering committee",
    "Documentation",
    "Defect fixing",
)


@dataclass(frozen=True)
class TimeWindow:
    """The days with logged time: weekdays of the full weeks before ``as_of``'s week, and of its week
    before ``as_of``."""

    full_weeks: tuple[tuple[date, ...], ...]
    current: tuple[date, ...]

    @classmethod
    def before(cls, as_of: date, weeks: int) -> TimeWindow:
        """The window for ``weeks`` full weeks before the week of ``as_of``."""
        monday = as_of - timedelta(days=as_of.weekday())
        full = tuple(
            tuple(monday - timedelta(days=7 * back - day) for day in range(5)) for back in range(weeks, 0, -1)
        )
        current = tuple(monday + timedelta(days=day) for day in range(min(as_of.weekday(), 5)))
        return cls(full, current)

    @property
    def full_days(self) -> tuple[date, ...]:
        """Every weekday of the full weeks, in order."""
        return tuple(day for week in self.full_weeks for day in week)

    def middle_day(self) -> date:
        """The weekday in the middle of the full weeks, moved off the 1st of a month (a change there would
        line up with the billing period and not be a mid-month change)."""
        days = self.full_days
        middle = days[len(days) // 2]
        return middle + timedelta(days=1) if middle.day == 1 and middle.weekday() < 4 else middle


class TimeBook:
    """Builds time entries and the timesheets they are submitted on; dirty cases are planted on it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.entries: list[TimeEntry] = []
        self._index: dict[str, int] = {}
        self._groups: dict[str, list[str]] = {}
        self._meta: dict[str, tuple[str, str, str, bool]] = {}
        self._group_of: dict[tuple[str, str, date], str] = {}

    def get(self, key: str) -> TimeEntry:
        """The entry with this key."""
        return self.entries[self._index[key]]

    def new_submission(self, project: Project, employee: str, monday: date, approved: bool) -> str:
        """Open a timesheet of ``employee`` on ``project`` for the week of ``monday``; returns its key."""
        key = f"TS-{len(self._meta) + 1:06d}"
        self._groups[key] = []
        self._meta[key] = (project.key, employee, f"Week of {monday.isoformat()}", approved)
        return key

    def add(
        self,
        project: Project,
        employee: str,
        day: date,
        minutes: int,
        rate_card: RateCard,
        role_key: str,
        *,
        status: TimeEntryStatus,
        submission: str | None,
        notes: str | None = None,
    ) -> TimeEntry:
        """Log ``minutes`` on ``day``, at the bill rate of the rate card version in force that day."""
        entry = TimeEntry(
            key=f"T-{len(self.entries) + 1:07d}",
            project_key=project.key,
            employee=employee,
            work_date=day,
            minutes=minutes,
            billable=project.pricing_model.bills_time,
            rate=rate_card.version_on(day).rate_for(role_key),
            notes=notes or self.rng.choice(_NOTES),
            status=status,
            submission=submission,
        )
        self.append(entry)
        return entry

    def append(self, entry: TimeEntry) -> None:
        """Add a ready entry (and put it on its timesheet)."""
        self._index[entry.key] = len(self.entries)
        self.entries.append(entry)
        if entry.submission is not None:
            self._groups[entry.submission].append(entry.key)

    def weekly_submission(self, project: Project, employee: str, day: date, last_week: bool) -> str:
        """The timesheet of this consultant, project and week (opened on first use)."""
        monday = day - timedelta(days=day.weekday())
        group = (project.key, employee, monday)
        if group not in self._group_of:
            approved = not (last_week and self.rng.random() < PENDING_SHARE)
            self._group_of[group] = self.new_submission(project, employee, monday, approved)
        return self._group_of[group]

    def is_approved(self, submission: str) -> bool:
        """Whether the timesheet is approved."""
        return self._meta[submission][3]

    def move_to_own_submission(self, key: str) -> str:
        """Take an entry off its timesheet onto a new one of its own (same week, same approval)."""
        entry = self.get(key)
        assert entry.submission is not None
        project_key, employee, title, approved = self._meta[entry.submission]
        self._groups[entry.submission].remove(key)
        new_key = f"TS-{len(self._meta) + 1:06d}"
        self._groups[new_key] = [key]
        self._meta[new_key] = (project_key, employee, title, approved)
        self.entries[self._index[key]] = replace(entry, submission=new_key)
        return new_key

    def submissions(self) -> tuple[Submission, ...]:
        """The timesheets that have entries, in key order."""
        return tuple(
            Submission(key, meta[0], meta[1], meta[2], tuple(self._groups[key]), meta[3])
            for key, meta in self._meta.items()
            if self._groups[key]
        )


def _split(minutes: int, parts: int) -> list[int]:
    share = minutes // parts // 15 * 15
    return [minutes - share * (parts - 1)] + [share] * (parts - 1)


def log_time(
    book: TimeBook,
    projects: tuple[Project, ...],
    employees: tuple[Employee, ...],
    cards: tuple[RateCard, ...],
    window: TimeWindow,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Every staffed consultant's day split over the projects running that day (projects in ``skip``
    excluded); part-timers (32 h) do not work Fridays."""
    card_of = {card.key: card for card in cards}
    by_employee: dict[str, list[Project]] = defaultdict(list)
    for project in projects:
        if project.key not in skip and project.status is not ProjectStatus.PENDING:
            for number in project.team:
                by_employee[number].append(project)
    last_week = set(window.full_weeks[-1]) if window.full_weeks else set()
    full = set(window.full_days)
    days = (*window.full_days, *window.current)
    for employee in employees:
        mine = by_employee.get(employee.number)
        if not mine:
            continue
        for day in days:
            if employee.capacity_hours < 40 and day.weekday() == 4:
                continue
            running = [p for p in mine if p.start <= day <= p.due]
            if not running:
                continue
            for project, minutes in zip(
                running, _split(book.rng.choice(_DAY_MINUTES), len(running)), strict=True
            ):
                if day in full:
                    submission = book.weekly_submission(project, employee.number, day, day in last_week)
                    approved = book.is_approved(submission)
                    status = TimeEntryStatus.APPROVED if approved else TimeEntryStatus.SUBMITTED
                else:
                    submission, status = None, TimeEntryStatus.DRAFT
                card = card_of[project.rate_card_key]
                book.add(
                    project,
                    employee.number,
                    day,
                    minutes,
                    card,
                    employee.role_key,
                    status=status,
                    submission=submission,
                )
