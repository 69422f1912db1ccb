"""The figures of one resource in one ISO week as the utilization flow hands them on (domain.md §3.2):
the payload of its ``upsert ResourceWeek`` commands, validated again where they are written.

A resource's week has two sources that change at their own pace: its assignments plan hours (and their
forecast labour cost), its time entries show the hours worked. Each comes with the capacity it was
measured against, and a write carries one of them or both; the writer keeps the other as it was. The
utilizations are not carried: they follow from the hours and the capacity
(``concord.domain.utilization.utilization_ratio``), so a stored week can never disagree with itself.
"""

from __future__ import annotations

from datetime import date

from pydantic import model_validator

from concord.domain.hours import Hours
from concord.domain.money import Money
from concord.domain.objects.base import ValueObject
from concord.domain.objects.rules import business_rule
from concord.domain.objects.types import GlobalId, Name
from concord.domain.utilization import ResourceWeek

__all__ = ["PlannedFigures", "ResourceWeekFigures", "WorkedFigures"]


class PlannedFigures(ValueObject):
    """What the resource's assignments plan for the week."""

    assigned_hours: Hours
    forecast_cost: Money | None = None
    """Assigned hours times cost rate; None when nothing is assigned, or when the cost is not known in full
    (an assignment with no cost rate anywhere, or costs in several currencies): a partial figure would pass
    for the whole."""


class WorkedFigures(ValueObject):
    """What the resource's counted time entries (approved and submitted) show for the week."""

    worked_hours: Hours
    billable_hours: Hours

    @model_validator(mode="after")
    def _rules(self) -> WorkedFigures:
        if self.billable_hours > self.worked_hours:
            raise business_rule(
                f"Billable hours ({self.billable_hours}) cannot be more than the hours worked "
                f"({self.worked_hours})."
            )
        return self


class ResourceWeekFigures(ValueObject):
    """One resource's planned figures, worked figures, or both, for the ISO week starting ``week_start``."""

    resource_id: GlobalId
    resource_name: Name | None = None
    week_start: date
    """The Monday of the ISO week."""
    capacity_hours: Hours
    planned: PlannedFigures | None = None
    worked: WorkedFigures | None = None

    @model_validator(mode="after")
    def _rules(self) -> ResourceWeekFigures:
        if self.week_start.weekday() != 0:
            raise business_rule(f"A resource week starts on a Monday, not on {self.week_start:%A %Y-%m-%d}.")
        if self.planned is None and self.worked is None:
            raise business_rule("A resource week's figures hold planned figures, worked figures or both.")
        return self

    @classmethod
    def planned_of(cls, week: ResourceWeek, name: str | None) -> ResourceWeekFigures:
        """The planned half of a computed week (its cost only when known in full, in one currency)."""
        whole = not week.assignments_without_cost_rate and len(week.forecast_cost) == 1
        cost = week.forecast_cost[0] if whole else None
        return cls(
            resource_id=week.resource_id,
            resource_name=name,
            week_start=week.week_start,
            capacity_hours=week.capacity,
            planned=PlannedFigures(assigned_hours=week.assigned_hours, forecast_cost=cost),
        )

    @classmethod
    def worked_of(cls, week: ResourceWeek, name: str | None) -> ResourceWeekFigures:
        """The worked half of a computed week."""
        return cls(
            resource_id=week.resource_id,
            resource_name=name,
            week_start=week.week_start,
            capacity_hours=week.capacity,
            worked=WorkedFigures(worked_hours=week.worked_hours, billable_hours=week.billable_hours),
        )
