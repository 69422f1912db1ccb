"""The firm as the simulator knows it: read from the emulators at the start (and refreshed each day),
then kept up to date from the answers to its own writes.

Every record carries a natural ``key`` built from its content (e-mail address, project title and start,
deal name...). Decisions and orderings use these keys, never platform ids, so two loads of the same firm
(whose ids differ) are simulated alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ACTIVE_STATUS_KEYS = frozenset({200, 300, 310})
"""Kantata project statuses in which work happens (Not Started, In Progress, Almost Done)."""
NOT_STARTED = 200
IN_PROGRESS = 300
COMPLETED = 500


@dataclass
class Consultant:
    """A Kantata user who delivers projects."""

    user_id: str
    key: str
    name: str
    role_id: str | None


@dataclass
class Story:
    """A task or milestone of a project."""

    story_id: str
    key: str
    title: str
    story_type: str
    state: str
    due: date | None

    @property
    def open(self) -> bool:
        """Not completed yet."""
        return self.state != "completed"


@dataclass
class Project:
    """A Kantata workspace with its team, tasks and assignments."""

    workspace_id: str
    key: str
    title: str
    currency: str
    status_key: int
    start: date | None
    due: date | None
    base_unit: int = 100
    """Subunits per currency unit (100 for USD, 1 for JPY)."""
    team: dict[str, bool] = field(default_factory=dict)
    """user id → team lead."""
    stories: list[Story] = field(default_factory=list)
    assigned: set[tuple[str, str]] = field(default_factory=set)
    """(story id, user id) of current assignments."""

    def workable_on(self, day: date) -> bool:
        """Open for time on ``day``: an active status, started, not past its due date."""
        return (
            self.status_key in ACTIVE_STATUS_KEYS
            and (self.start is None or self.start <= day)
            and (self.due is None or day <= self.due)
        )

    def open_stories(self) -> list[Story]:
        """Tasks and milestones not completed, in key order."""
        return sorted((s for s in self.stories if s.open and s.story_type != "issue"), key=lambda s: s.key)


@dataclass
class Entry:
    """A time entry the simulator knows about."""

    entry_id: str
    key: str
    user_id: str
    workspace_id: str
    day: date
    minutes: int
    notes: str


@dataclass
class Timesheet:
    """A timesheet submission and what will happen to it."""

    submission_id: str
    key: str
    user_id: str
    workspace_id: str
    entries: list[Entry]
    submitted_on: date
    decide_on: date
    reject: bool
    status: str = "pending"
    resolved_on: date | None = None
    correct_on: date | None = None
    """Once approved: the day its consultant asks to reopen it for a correction, if ever."""


@dataclass
class Expense:
    """An expense the simulator knows about."""

    expense_id: str
    key: str
    user_id: str
    workspace_id: str
    day: date
    notes: str


@dataclass
class ExpenseReport:
    """An expense report submission (one consultant's expenses on one project) and what will happen to
    it."""

    submission_id: str
    key: str
    user_id: str
    workspace_id: str
    expenses: list[Expense]
    submitted_on: date
    decide_on: date
    reject: bool
    status: str = "pending"
    resolved_on: date | None = None


@dataclass
class Desk:
    """A consultant's own bookkeeping: entries and expenses not submitted yet and days not logged yet."""

    drafts: dict[str, list[Entry]] = field(default_factory=dict)
    """workspace id → entries logged but not submitted."""
    missed: list[date] = field(default_factory=list)
    to_fix: list[Timesheet] = field(default_factory=list)
    """Rejected timesheets waiting for a correction and a new submission."""
    expenses: dict[str, list[Expense]] = field(default_factory=dict)
    """workspace id → expenses filed but not submitted."""
    reports_to_fix: list[ExpenseReport] = field(default_factory=list)
    """Rejected expense reports waiting for a correction and a new submission."""


@dataclass
class Deal:
    """A Salesforce opportunity."""

    opp_id: str
    name: str
    stage: str
    amount: Decimal | None
    currency: str
    close_date: date | None
    account_id: str | None
    service_line: str | None
    region: str | None
    pricing_model: str | None
    delivery_template: str | None

    @property
    def closed(self) -> bool:
        """Closed Won or Closed Lost."""
        return self.stage in ("Closed Won", "Closed Lost")

    @property
    def won(self) -> bool:
        """Closed Won."""
        return self.stage == "Closed Won"


@dataclass
class LineTemplate:
    """A line item of an existing deal, reused to price new deals."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    role: str | None


@dataclass
class PendingChangeOrder:
    """A submitted change order and its coming decision."""

    record_id: str
    key: str
    decide_on: date
    reject: bool


@dataclass
class World:
    """Everything the simulator tracks between days."""

    consultants: dict[str, Consultant] = field(default_factory=dict)
    """user id → consultant."""
    projects: dict[str, Project] = field(default_factory=dict)
    """workspace id → project."""
    desks: dict[str, Desk] = field(default_factory=dict)
    """user id → desk."""
    pending: list[Timesheet] = field(default_factory=list)
    approved: list[Timesheet] = field(default_factory=list)
    pending_reports: list[ExpenseReport] = field(default_factory=list)
    """Expense reports submitted and not decided yet."""
    deals: dict[str, Deal] = field(default_factory=dict)
    """opportunity id → deal."""
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    """account id → (name, currency)."""
    lines: dict[str, list[LineTemplate]] = field(default_factory=dict)
    """opportunity id → its line items (a sample, for pricing new deals)."""
    change_orders: dict[str, int] = field(default_factory=dict)
    """opportunity id → change orders raised so far."""
    pending_change_orders: list[PendingChangeOrder] = field(default_factory=list)
    rewins: dict[str, date] = field(default_factory=dict)
    """opportunity id of a reopened deal → the day it is won again."""
    approver_id: str | None = None
    """Salesforce user who approves change orders (the integration's user)."""

    def desk(self, user_id: str) -> Desk:
        """The desk of a consultant (made on first use)."""
        return self.desks.setdefault(user_id, Desk())

    def consultant_key(self, user_id: str) -> str:
        """The natural key of a user (their id when unknown)."""
        consultant = self.consultants.get(user_id)
        return consultant.key if consultant else f"user-{user_id}"

    def project_key(self, workspace_id: str) -> str:
        """The natural key of a project (its id when unknown)."""
        project = self.projects.get(workspace_id)
        return project.key if project else f"workspace-{workspace_id}"

    def sorted_consultants(self) -> list[Consultant]:
        """Consultants in key order."""
        return sorted(self.consultants.values(), key=lambda c: c.key)

    def sorted_projects(self) -> list[Project]:
        """Projects in key order."""
        return sorted(self.projects.values(), key=lambda p: p.key)

    def memberships(self) -> dict[str, list[Project]]:
        """user id → the projects whose team they are on, in key order."""
        teams: dict[str, list[Project]] = {}
        for project in self.sorted_projects():
            for user_id in project.team:
                teams.setdefault(user_id, []).append(project)
        return teams
