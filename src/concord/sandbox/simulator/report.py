"""What a simulation did, per day and overall: counts of each kind of activity, hours logged, expense
amounts per currency, and the platform refusals met on the way."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

MAX_KEPT_ERRORS = 50


class Activity(StrEnum):
    """The kinds of activity counted (the report's keys)."""

    DEALS_CREATED = "deals_created"
    DEALS_ADVANCED = "deals_advanced"
    DEALS_WON = "deals_won"
    DEALS_LOST = "deals_lost"
    DEALS_REOPENED = "deals_reopened"
    DEALS_REWON = "deals_rewon"
    LINE_ITEMS_CREATED = "line_items_created"
    CHANGE_ORDERS_CREATED = "change_orders_created"
    CHANGE_ORDERS_APPROVED = "change_orders_approved"
    CHANGE_ORDERS_REJECTED = "change_orders_rejected"
    PROJECTS_STARTED = "projects_started"
    PROJECTS_COMPLETED = "projects_completed"
    PARTICIPATIONS_CREATED = "participations_created"
    ASSIGNMENTS_CREATED = "assignments_created"
    MILESTONES_COMPLETED = "milestones_completed"
    ENTRIES_LOGGED = "entries_logged"
    ENTRIES_LATE = "entries_logged_late"
    ENTRIES_DUPLICATED = "entries_duplicated"
    DAYS_FORGOTTEN = "days_forgotten"
    TIMESHEETS_SUBMITTED = "timesheets_submitted"
    DUPLICATE_SUBMISSIONS_REFUSED = "duplicate_submissions_refused"
    TIMESHEETS_APPROVED = "timesheets_approved"
    TIMESHEETS_APPROVED_LATE = "timesheets_approved_late"
    TIMESHEETS_REJECTED = "timesheets_rejected"
    TIMESHEETS_REOPENED = "timesheets_reopened"
    ENTRIES_APPROVED = "entries_approved"
    ENTRIES_REJECTED = "entries_rejected"
    ENTRIES_EDITED = "entries_edited"
    ENTRIES_EDITED_AFTER_APPROVAL = "entries_edited_after_approval"
    EXPENSES_FILED = "expenses_filed"
    EXPENSES_EDITED = "expenses_edited"
    EXPENSE_REPORTS_SUBMITTED = "expense_reports_submitted"
    EXPENSE_REPORTS_APPROVED = "expense_reports_approved"
    EXPENSE_REPORTS_APPROVED_LATE = "expense_reports_approved_late"
    EXPENSE_REPORTS_REJECTED = "expense_reports_rejected"
    EXPENSES_SUBMITTED = "expenses_submitted"
    EXPENSES_APPROVED = "expenses_approved"
    EXPENSES_REJECTED = "expenses_rejected"
    PERIODS_CLOSED = "periods_closed"
    API_ERRORS = "api_errors"


@dataclass
class DayReport:
    """One simulated day.

    Attributes:
        day: The date.
        counts: Activity → how many.
        hours: Hours logged (entries created), exact.
        expenses: Currency → amount of the expenses filed.
        errors: Platform refusals (first few kept).
    """

    day: date
    counts: Counter[str] = field(default_factory=Counter)
    hours: Decimal = Decimal(0)
    expenses: dict[str, Decimal] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, activity: Activity, count: int = 1) -> None:
        """Count ``count`` more of ``activity`` (zero is ignored)."""
        if count:
            self.counts[activity.value] += count

    def add_hours(self, hours: Decimal) -> None:
        """Add logged hours."""
        self.hours += hours

    def add_expense(self, currency: str, amount: Decimal) -> None:
        """Add a filed expense's amount."""
        self.expenses[currency] = self.expenses.get(currency, Decimal(0)) + amount

    def error(self, message: str) -> None:
        """Record a platform refusal (counted; the first few messages kept)."""
        self.add(Activity.API_ERRORS)
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append(message)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view (amounts as strings)."""
        return {
            "day": self.day.isoformat(),
            "counts": dict(sorted(self.counts.items())),
            "hours": str(self.hours),
            "expenses": {currency: str(amount) for currency, amount in sorted(self.expenses.items())},
            "errors": list(self.errors),
        }


@dataclass
class SimulationReport:
    """A whole simulation.

    Attributes:
        seed: The seed it ran with.
        start: The first simulated day.
        days: Every simulated day, in order.
        requests: HTTP requests sent per platform.
        elapsed_s: Real time taken.
    """

    seed: int
    start: date
    days: list[DayReport] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def totals(self) -> Counter[str]:
        """Activity → how many over all days."""
        total: Counter[str] = Counter()
        for day in self.days:
            total.update(day.counts)
        return total

    @property
    def hours(self) -> Decimal:
        """Hours logged over all days."""
        return sum((day.hours for day in self.days), Decimal(0))

    @property
    def expenses(self) -> dict[str, Decimal]:
        """Expense amounts filed per currency over all days."""
        total: dict[str, Decimal] = {}
        for day in self.days:
            for currency, amount in day.expenses.items():
                total[currency] = total.get(currency, Decimal(0)) + amount
        return dict(sorted(total.items()))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view of the whole report."""
        return {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "days": [day.to_json() for day in self.days],
            "totals": dict(sorted(self.totals.items())),
            "hours": str(self.hours),
            "expenses": {currency: str(amount) for currency, amount in self.expenses.items()},
            "requests": dict(self.requests),
            "elapsed_s": round(self.elapsed_s, 3),
        }

    def summary(self) -> str:
        """A few lines for people: period, the main counts, hours, expenses and speed."""
        totals = self.totals
        end = self.days[-1].day if self.days else self.start
        lines = [f"Simulated {len(self.days)} day(s), {self.start} to {end}, seed {self.seed}:"]
        for activity in Activity:
            if totals.get(activity.value):
                lines.append(f"  {activity.value.replace('_', ' '):<32} {totals[activity.value]:>9}")
        lines.append(f"  {'hours logged':<32} {self.hours:>9}")
        for currency, amount in self.expenses.items():
            lines.append(f"  {'expenses filed (' + currency + ')':<32} {amount:>9}")
        requests = sum(self.requests.values())
        lines.append(f"{requests} API requests in {self.elapsed_s:.1f} s.")
        return "\n".join(lines)
