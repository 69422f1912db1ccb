"""Legacy projects: the Kantata projects provisioned by hand for past won deals, staffed from the
consultants of the deal's legal entity."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from concord.domain.objects.enums import PricingModel, ProjectStatus
from concord.sandbox.firm.gen_people import level_of
from concord.sandbox.firm.model import Employee, LegalEntity, Opportunity, Project, Task

MAX_PROJECTS_PER_CONSULTANT = 2
_DURATION_DAYS = {
    PricingModel.TIME_AND_MATERIALS: (60, 150),
    PricingModel.FIXED_FEE: (45, 120),
    PricingModel.SUBSCRIPTION: (364, 364),
}
_MILESTONES = ("Discovery sign-off", "Design approval", "Go-live acceptance")
_TASKS = ("Delivery", "Project management")


def status_on(start: date, due: date, day: date) -> ProjectStatus:
    """A hand-run project's status on ``day``: pending before it starts, closed after its due date."""
    if start > day:
        return ProjectStatus.PENDING
    return ProjectStatus.CLOSED if due < day else ProjectStatus.ACTIVE


class _Cycle:
    """Employees in a fixed shuffled order, handed out round-robin."""

    def __init__(self, members: list[Employee]) -> None:
        self.members = members
        self._next = 0

    def take(self) -> Employee:
        employee = self.members[self._next]
        self._next = (self._next + 1) % len(self.members)
        return employee


class Staffing:
    """Picks project teams round-robin from the consultants of the project's entity (then from anyone),
    so work spreads evenly and nobody is on more than ``MAX_PROJECTS_PER_CONSULTANT`` projects."""

    def __init__(self, employees: tuple[Employee, ...], rng: random.Random) -> None:
        self._load: dict[str, int] = defaultdict(int)
        pools: dict[str, list[Employee]] = defaultdict(list)
        for employee in employees:
            pools[employee.entity_code].append(employee)
        self._pools = {
            code: _Cycle(rng.sample(members, len(members))) for code, members in sorted(pools.items())
        }
        self._everyone = _Cycle(rng.sample(list(employees), len(employees)))

    def team(self, entity: str | None, size: int) -> list[Employee]:
        """``size`` consultants; fewer when everyone is busy, but never none."""
        chosen: list[Employee] = []
        for cycle in (self._pools.get(entity or ""), self._everyone):
            if cycle is None:
                continue
            for _ in range(len(cycle.members)):
                if len(chosen) >= size:
                    break
                employee = cycle.take()
                if self._load[employee.number] < MAX_PROJECTS_PER_CONSULTANT and employee not in chosen:
                    chosen.append(employee)
                    self._load[employee.number] += 1
        return chosen or [self._everyone.take()]


def _tasks(model: PricingModel, start: date, due: date, as_of: date, counter: list[int]) -> tuple[Task, ...]:
    span = (due - start).days
    made = []
    titles: tuple[str, ...] = _MILESTONES if model is PricingModel.FIXED_FEE else _TASKS
    kind = "milestone" if model is PricingModel.FIXED_FEE else "task"
    if model is PricingModel.SUBSCRIPTION:
        titles = ("Monthly service",)
    for index, title in enumerate(titles):
        counter[0] += 1
        task_due = start + timedelta(days=span * (index + 1) // len(titles)) if kind == "milestone" else due
        made.append(Task(f"S-{counter[0]:06d}", title, kind, start, task_due, task_due < as_of))
    return tuple(made)


def projects(
    won: tuple[Opportunity, ...],
    entities: tuple[LegalEntity, ...],
    employees: tuple[Employee, ...],
    as_of: date,
    rng: random.Random,
) -> tuple[Project, ...]:
    """One project per won deal, titled like the deal, priced at its amount, with a team and tasks."""
    entity_of = {entity.region: entity.code for entity in entities}
    staffing = Staffing(employees, rng)
    counter = [0]
    made = []
    for index, deal in enumerate(won):
        low, high = _DURATION_DAYS[deal.pricing_model]
        start = deal.expected_start
        due = start + timedelta(days=rng.randint(low, high))
        size = rng.randint(2, 3) if deal.pricing_model is PricingModel.SUBSCRIPTION else rng.randint(2, 5)
        team = staffing.team(entity_of.get(deal.region), size)
        lead = max(team, key=lambda e: (level_of(e), e.number))
        made.append(
            Project(
                key=f"P-{index + 1:04d}",
                opportunity_key=deal.key,
                title=deal.name,
                currency=deal.currency,
                rate_card_key=f"RC-{deal.currency}",
                pricing_model=deal.pricing_model,
                price=deal.amount,
                start=start,
                due=due,
                status=status_on(start, due, as_of),
                team=tuple(sorted(e.number for e in team)),
                lead=lead.number,
                tasks=_tasks(deal.pricing_model, start, due, as_of, counter),
            )
        )
    return tuple(made)
