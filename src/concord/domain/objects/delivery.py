"""How the work is delivered in the PSA: projects, their milestones, and who is assigned to them."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import model_validator

from concord.domain.hours import Hours
from concord.domain.money import CurrencyCode, Money, line_amount
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import MilestoneStatus, ProjectStatus
from concord.domain.objects.rules import (
    business_rule,
    check_non_negative,
    check_period,
    check_rounded,
    check_same_currency,
    check_week_hours,
)
from concord.domain.objects.types import Code, GlobalId, Name

__all__ = ["Assignment", "Milestone", "Project", "ProjectBudget"]


class ProjectBudget(ValueObject):
    """What a project may consume."""

    hours: Hours | None = None
    fees: Money | None = None
    """Budgeted fees, in the project's currency."""
    cost: Money | None = None
    """Budgeted cost; may be in the delivering entity's functional currency."""


class Project(CanonicalRecord):
    """A delivery project, usually provisioned from a contracted deal."""

    SCHEMA_NAME: ClassVar[str] = "Project"
    SCHEMA_VERSION: ClassVar[int] = 1

    name: Name
    contract_id: GlobalId | None = None
    customer_id: GlobalId
    legal_entity_code: Code
    status: ProjectStatus
    start_date: date
    end_date: date | None = None
    currency: CurrencyCode
    """The currency the project is billed in (its contract's)."""
    budget: ProjectBudget = ProjectBudget()
    delivery_template: Name | None = None
    service_line: Name | None = None
    project_manager_id: GlobalId | None = None
    """Global id of the project manager (a Resource)."""

    @model_validator(mode="after")
    def _rules(self) -> Project:
        check_period(self.start_date, self.end_date, f"Project {self.name!r}")
        check_same_currency([("budgeted fees", self.budget.fees)], self.currency, f"project {self.name!r}")
        check_non_negative(self.budget.fees, f"budgeted fees of project {self.name!r}")
        check_non_negative(self.budget.cost, f"budgeted cost of project {self.name!r}")
        return self

    def covers(self, day: date) -> bool:
        """Whether `day` falls inside the project's dates."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def accepts_time_on(self, day: date) -> bool:
        """Whether time worked on `day` may be posted: the project is active and the day is inside it."""
        return self.status is ProjectStatus.ACTIVE and self.covers(day)


class Milestone(CanonicalRecord):
    """A deliverable of a project; for a fixed fee, its completion or acceptance is billed."""

    SCHEMA_NAME: ClassVar[str] = "Milestone"
    SCHEMA_VERSION: ClassVar[int] = 1

    project_id: GlobalId
    name: Name
    amount: Money | None = None
    """The fee billed for the milestone, when it is billable."""
    due_date: date | None = None
    status: MilestoneStatus
    completed_on: date | None = None
    accepted_on: date | None = None

    @model_validator(mode="after")
    def _rules(self) -> Milestone:
        label = f"milestone {self.name!r}"
        check_rounded(self.amount, f"amount of {label}")
        check_non_negative(self.amount, f"amount of {label}")
        if self.status is MilestoneStatus.OPEN and (self.completed_on or self.accepted_on):
            raise business_rule(f"The {label} is open but has a completion or acceptance date.")
        if self.status is MilestoneStatus.ACCEPTED and self.accepted_on is None:
            raise business_rule(f"The {label} is accepted, so it needs the date it was accepted.")
        if self.completed_on and self.accepted_on and self.accepted_on < self.completed_on:
            raise business_rule(
                f"The {label} was accepted on {self.accepted_on.isoformat()}, "
                f"before it was completed on {self.completed_on.isoformat()}."
            )
        return self


class Assignment(CanonicalRecord):
    """A resource staffed on a project for a number of hours a week."""

    SCHEMA_NAME: ClassVar[str] = "Assignment"
    SCHEMA_VERSION: ClassVar[int] = 1

    project_id: GlobalId
    resource_id: GlobalId
    role: Name
    hours_per_week: Hours
    start_date: date
    end_date: date
    bill_rate: Money | None = None
    cost_rate: Money | None = None

    @model_validator(mode="after")
    def _rules(self) -> Assignment:
        check_period(self.start_date, self.end_date, "The assignment")
        check_week_hours(self.hours_per_week, "assignment's hours")
        check_non_negative(self.bill_rate, "assignment's bill rate")
        check_non_negative(self.cost_rate, "assignment's cost rate")
        return self

    def covers(self, day: date) -> bool:
        """Whether the assignment runs on `day`."""
        return self.start_date <= day <= self.end_date

    def weekly_cost(self) -> Money | None:
        """Forecast labour cost of a week: hours per week times cost rate, rounded (None without a rate)."""
        return None if self.cost_rate is None else line_amount(self.hours_per_week, self.cost_rate)
