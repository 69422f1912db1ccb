"""What the revenue flows decide, as pure functions: the revenue events that bring what the ERP holds from
Concord to what a contract's recognition basis says is due (``concord.domain.revenue`` values it).

A revenue journal, once sent, is never edited. Each thing recognised (a project's month, a milestone, a
subscription contract) is compared with the events sent for it before (kept in the flow instance): the
difference, if any, is sent as one new event of the next *generation*, positive or negative (a reversal,
its journal's sides swapped). Generation 1 of a milestone, and every straight-line period, has exactly the
id ``concord.domain.revenue`` gives it; later generations add the generation to the identity
(``revenue_id``), so a re-run with the same facts and state sends nothing, and a correction is a delta,
never a duplicate.

Every event is booked in an open ERP accounting period, its journal dated the event's last day: its own
period when that ends in an open one; else it is a catch-up (as accountants book late revenue) and runs
from its own start to the end of the first open period after it, so the journal says both what it
recognises and when. Without an open period, nothing is sent: a finding says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from concord.domain.billing import (
    MilestoneTrigger,
    billable_since,
    milestone_amount_conflict,
    milestone_plan_line,
)
from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, iso
from concord.domain.keys import Stamp
from concord.domain.money import Money, line_amount
from concord.domain.objects import (
    BillingFrequency,
    Contract,
    Milestone,
    Project,
    RecognitionBasis,
    RevenueEvent,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import AccountingCalendar, Period
from concord.domain.revenue import (
    CompletionMethod,
    CostProgress,
    HoursProgress,
    RecognitionResult,
    RevenueAccounts,
    journal_lines,
    recognise_as_delivered,
    recognise_percent_complete,
    recognise_straight_line,
    revenue_id,
)

__all__ = [
    "RecognitionPlan",
    "SentRevenue",
    "booking_period",
    "current_period_end",
    "month_of",
    "plan_as_delivered",
    "plan_milestones",
    "plan_percent_complete",
    "plan_straight_line",
]


@dataclass(frozen=True, slots=True)
class SentRevenue:
    """A revenue event sent to the ERP, with what it recognises (``key``) and its generation."""

    key: str
    """What the event recognises: a project's month (``<project>|2026-05``), a milestone's global id, or a
    subscription contract's global id."""
    generation: int
    event: RevenueEvent

    def to_state(self) -> dict[str, object]:
        """As kept in the flow instance's state."""
        return {"key": self.key, "generation": self.generation, "event": self.event.model_dump(mode="json")}

    @classmethod
    def from_state(cls, held: Mapping[str, object]) -> SentRevenue:
        """Back from the flow instance's state."""
        generation = held["generation"]
        assert isinstance(generation, int), (
            f"a sent revenue event's generation is a number, not {generation!r}"
        )
        return cls(str(held["key"]), generation, RevenueEvent.model_validate(held["event"]))


@dataclass(frozen=True, slots=True)
class RecognitionPlan:
    """What to send (in order), and what could not be recognised, in business words."""

    to_send: tuple[SentRevenue, ...] = ()
    findings: tuple[Finding, ...] = ()
    reached_on: Mapping[str, date] = field(default_factory=dict)
    """Milestones: global id → the day it was first seen reached (its revenue id is dated so)."""


@dataclass(frozen=True, slots=True)
class _Recognition:
    """The facts every plan shares: the contract, the ERP's calendar, the accounts and the run's stamp."""

    contract: Contract
    basis: RecognitionBasis
    calendar: AccountingCalendar
    accounts: RevenueAccounts
    stamp: Stamp
    systems: Systems

    def event(self, period: Period, amount: Money, global_id: str, project_id: str | None) -> RevenueEvent:
        return RevenueEvent.model_validate(
            self.stamp.envelope()
            | {
                "global_id": global_id,
                "contract_id": self.contract.global_id,
                "project_id": project_id,
                "legal_entity_code": self.contract.legal_entity_code,
                "recognition_basis": self.basis,
                "amount": amount.round(),
                "period_start": period.start,
                "period_end": period.end,
                "journal_lines": journal_lines(amount, self.accounts),
            }
        )

    def booked(self, natural: Period, what: str) -> Period | Finding:
        """``natural`` when its last day is in an open ERP period, else from its start to the end of the
        first open period after it (a catch-up)."""
        booking = booking_period(self.calendar, natural.end)
        if booking is None:
            return Finding(
                FindingCategory.VALIDATION,
                "revenue.no_open_period",
                f"{what} was not recognised: {self.systems.erp_name} has no open accounting period on or "
                f"after {iso(natural.end)}; open one (or set up the next periods) and retry this exception.",
                RecordRef.of(self.contract, self.contract.number),
            )
        return natural if booking.covers(natural.end) else Period(natural.start, booking.end)

    def catch_up(
        self,
        key: str,
        identity: tuple[object, ...],
        on: date,
        natural: Period,
        desired: Money,
        sent: Sequence[SentRevenue],
        *,
        project_id: str | None,
        what: str,
    ) -> SentRevenue | Finding | None:
        """The event that brings what was sent for ``key`` to ``desired``; None when it is there already."""
        mine = [s for s in sent if s.key == key]
        done = Money.sum((s.event.amount for s in mine), self.contract.currency)
        delta = desired.round() - done
        if delta.is_zero:
            return None
        period = self.booked(natural, what)
        if isinstance(period, Finding):
            return period
        generation = max((s.generation for s in mine), default=0) + 1
        parts = identity if generation == 1 else (*identity, generation)
        global_id = revenue_id(self.contract.global_id, self.basis, *parts, on=on)
        return SentRevenue(key, generation, self.event(period, delta, global_id, project_id))

    def month_catch_up(
        self, result: RecognitionResult, project_id: str, month: Period, sent: Sequence[SentRevenue], how: str
    ) -> SentRevenue | Finding | None:
        """The event that brings a project's ``month`` to the revenue ``result`` recognises for it
        (``catch_up``); ``how`` says how it is recognised ("as delivered")."""
        desired = result.events[0].amount if result.events else Money.zero(self.contract.currency)
        return self.catch_up(
            _month_key(project_id, month),
            (project_id, month.start, month.end),
            month.end,
            month,
            desired,
            sent,
            project_id=project_id,
            what=f"Revenue of contract {self.contract.number} {how} in {month.start:%b %Y}",
        )


def booking_period(calendar: AccountingCalendar, day: date) -> Period | None:
    """The ERP period revenue of ``day`` is booked in: the open period covering it, else the first open one
    after it; None when the ERP has none."""
    found = calendar.first_open_from(day)
    return None if found is None else Period(found.start, found.end)


def current_period_end(calendar: AccountingCalendar, today: date) -> date:
    """The last day of the ERP period the books are kept in now: the open period covering ``today``, else
    the first open one after it (``today`` itself when the ERP has none)."""
    found = booking_period(calendar, today)
    return today if found is None else found.end


def month_of(day: date) -> Period:
    """The calendar month ``day`` falls in."""
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return Period(date(day.year, day.month, 1), date.fromordinal(following.toordinal() - 1))


def _month_key(project_id: str, month: Period) -> str:
    return f"{project_id}|{month.start:%Y-%m}"


def _outcome(made: SentRevenue | Finding | None, findings: Iterable[Finding] = ()) -> RecognitionPlan:
    found = tuple(findings)
    if isinstance(made, Finding):
        return RecognitionPlan((), (*found, made))
    return RecognitionPlan(() if made is None else (made,), found)


def plan_as_delivered(
    contract: Contract,
    month: Period,
    entries: Sequence[TimeEntry],
    sent: Sequence[SentRevenue],
    *,
    project_id: str,
    calendar: AccountingCalendar,
    accounts: RevenueAccounts,
    stamp: Stamp,
    systems: Systems,
) -> RecognitionPlan:
    """Time and materials: the revenue of a project's month is the value of its approved billable time
    (hours times bill rate, rounded per entry); what differs from what was recognised for the month before
    is sent (an entry approved, edited or rejected later makes a positive or negative delta).

    The not-to-exceed cap is applied to the month's value: the month knows only its own time, so a cap
    crossed over several months is not seen here (see the flow's docstring).
    """
    basis = RecognitionBasis.AS_DELIVERED
    facts = _Recognition(contract, basis, calendar, accounts, stamp, systems)
    capped = contract.not_to_exceed is not None
    result = recognise_as_delivered(
        contract,
        month,
        stamp=stamp,
        entries=entries,
        recognised_to_date=Money.zero(contract.currency) if capped else None,
        accounts=accounts,
        project_id=project_id,
        systems=systems,
    )
    made = facts.month_catch_up(result, project_id, month, sent, "as delivered")
    return _outcome(made, result.findings)


def _progress(
    contract: Contract,
    method: CompletionMethod,
    approved: Sequence[TimeEntry],
    project: Project | None,
    month: Period,
) -> CostProgress | HoursProgress | Finding:
    """The month's progress measure against the project's budget, or why it cannot be measured."""
    budget = project.budget if project is not None else None
    subject = RecordRef.of(contract, contract.number)
    refused = f"Contract {contract.number} had no revenue recognised for {month.start:%b %Y}"
    if method is CompletionMethod.HOURS:
        if budget is None or budget.hours is None:
            message = (
                f"{refused}: its project has no budgeted hours to measure the progress of its hours against."
            )
            return Finding(FindingCategory.VALIDATION, "revenue.no_estimate", message, subject)
        return HoursProgress(sum((e.hours for e in approved), Decimal(0)), budget.hours)
    if budget is None or budget.cost is None:
        message = f"{refused}: its project has no budgeted cost to measure the progress of its cost against."
        return Finding(FindingCategory.VALIDATION, "revenue.no_estimate", message, subject)
    currency = budget.cost.currency
    unpriced = [e for e in approved if e.cost_rate is None or e.cost_rate.currency != currency]
    if unpriced:
        message = (
            f"{refused}: {len(unpriced)} approved time entries have no cost rate in {currency}, the "
            "currency of its project's budgeted cost, so the cost to date cannot be measured."
        )
        return Finding(FindingCategory.VALIDATION, "revenue.unpriced_cost", message, subject)
    cost = Money.sum((line_amount(e.hours, e.cost_rate) for e in approved if e.cost_rate), currency)
    return CostProgress(cost, budget.cost)


def plan_percent_complete(
    contract: Contract,
    month: Period,
    entries: Sequence[TimeEntry],
    sent: Sequence[SentRevenue],
    *,
    project: Project | None,
    project_id: str,
    method: CompletionMethod,
    calendar: AccountingCalendar,
    accounts: RevenueAccounts,
    stamp: Stamp,
    systems: Systems,
) -> RecognitionPlan:
    """Fixed fee by percentage of completion: the month's share of the contract value is the value times
    the month's progress (its approved hours, or their cost, over the project's budgeted hours or cost),
    rounded half-up; what differs from what was recognised for the month before is sent.

    The month sees its own progress only: the months' shares add up to the cumulative figure while the
    work stays within the budget; the budget is the estimate at completion, to be kept current.
    """
    basis = RecognitionBasis.PERCENT_COMPLETE
    facts = _Recognition(contract, basis, calendar, accounts, stamp, systems)
    approved = [e for e in entries if e.status is TimeEntryStatus.APPROVED and e.work_date <= month.end]
    progress = _progress(contract, method, approved, project, month)
    if isinstance(progress, Finding):
        return RecognitionPlan((), (progress,))
    result = recognise_percent_complete(
        contract,
        month,
        progress,
        stamp=stamp,
        recognised_to_date=Money.zero(contract.currency),
        accounts=accounts,
        project_id=project_id,
    )
    if result.findings:
        return RecognitionPlan((), result.findings)
    made = facts.month_catch_up(result, project_id, month, sent, "by percentage of completion")
    return _outcome(made)


def plan_milestones(
    contract: Contract,
    milestones: Iterable[Milestone],
    sent: Sequence[SentRevenue],
    *,
    reached_on: Mapping[str, date],
    today: date,
    trigger: MilestoneTrigger,
    calendar: AccountingCalendar,
    accounts: RevenueAccounts,
    stamp: Stamp,
    systems: Systems,
) -> RecognitionPlan:
    """Fixed fee by milestone: a milestone reached (completed, or accepted, per ``trigger``) is recognised
    for its billing plan amount, once; one reopened after recognition is reversed, one whose plan amount
    changed (a change order) gets the difference.

    A milestone whose PSA amount disagrees with the plan is not recognised (a conflict finding); one with
    neither amount nor plan line is a delivery checkpoint, not revenue. A milestone reached without a
    date counts from ``today``; ``reached_on`` keeps the first day each was seen reached, which dates its
    revenue id for good.
    """
    basis = RecognitionBasis.MILESTONE_ACCEPTANCE
    facts = _Recognition(contract, basis, calendar, accounts, stamp, systems)
    reached = dict(reached_on)
    to_send: list[SentRevenue] = []
    findings: list[Finding] = []
    for milestone in sorted(milestones, key=lambda m: (m.due_date or date.max, m.name, m.global_id)):
        day = billable_since(milestone, trigger, today)
        if day is not None:
            reached.setdefault(milestone.global_id, day)
        first = reached.get(milestone.global_id)
        if first is None:
            continue  # never reached: nothing recognised, nothing to take back
        conflict = milestone_amount_conflict(contract, milestone, verb="recognised", systems=systems)
        if conflict is not None:
            findings.append(conflict)
            continue
        plan_line = milestone_plan_line(contract, milestone.name)
        due = plan_line.amount if plan_line is not None and day is not None else Money.zero(contract.currency)
        natural = Period(day, day) if day is not None else Period(today, today)
        made = facts.catch_up(
            milestone.global_id,
            (milestone.global_id,),
            first,
            natural,
            due,
            sent,
            project_id=milestone.project_id,
            what=f"Revenue of milestone '{milestone.name}' of contract {contract.number}",
        )
        if isinstance(made, Finding):
            findings.append(made)
        elif made is not None:
            to_send.append(made)
    return RecognitionPlan(tuple(to_send), tuple(findings), reached)


def plan_straight_line(
    contract: Contract,
    sent: Sequence[SentRevenue],
    *,
    as_of: date,
    calendar: AccountingCalendar,
    accounts: RevenueAccounts,
    stamp: Stamp,
    systems: Systems,
) -> RecognitionPlan:
    """Subscription: the contract value split evenly over its periods (of its billing frequency), each
    period recognised once, when it ends by ``as_of``; after a change of value, the first new period also
    catches up the difference (``recognise_straight_line``)."""
    basis = RecognitionBasis.STRAIGHT_LINE
    facts = _Recognition(contract, basis, calendar, accounts, stamp, systems)
    key = contract.global_id
    mine = [s for s in sent if s.key == key]
    result = recognise_straight_line(
        contract,
        as_of=as_of,
        stamp=stamp,
        frequency=contract.billing_plan.frequency or BillingFrequency.MONTHLY,
        recognised_to_date=Money.sum((s.event.amount for s in mine), contract.currency),
        already_recognised={s.event.global_id for s in mine},
        accounts=accounts,
    )
    to_send: list[SentRevenue] = []
    for due in result.events:
        natural = Period(due.period_start, due.period_end)
        period = facts.booked(natural, f"Subscription revenue of contract {contract.number} for {natural}")
        if isinstance(period, Finding):
            return RecognitionPlan(tuple(to_send), (period,))
        to_send.append(SentRevenue(key, 1, facts.event(period, due.amount, due.global_id, None)))
    return RecognitionPlan(tuple(to_send))
