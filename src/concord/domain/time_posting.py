"""May this approved time entry (or expense) be posted to the ERP, and on which date? (domain.md §3.3)

`check_time_entry` and `check_expense` test a record against the facts a flow gathered: the project as the
PSA and the ERP see it, the ERP's accounting periods, the resource's assignments, the contract, and the
posting policy. Every broken rule becomes a `Finding` whose message follows domain.md §4:

    Time entry TE-20931 (employee E-1187, 7.5 h on 2026-03-12) was not posted: project P-1042 is closed
    in NetSuite since 2026-03-01.

All rules are checked (not just the first that fails), so one exception tells the whole story.

A work date in a closed ERP period is either held (a finding) or re-dated into the first open period,
as the firm's policy says; a re-date is not a finding but is flagged for a finance approver to confirm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, format_hours, iso, quoted
from concord.domain.money import Money, line_amount
from concord.domain.objects import (
    Assignment,
    Contract,
    ExpenseItem,
    ExpenseStatus,
    Project,
    ProjectStatus,
    Resource,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import AccountingCalendar

__all__ = [
    "ApproverRule",
    "ClosedPeriodPolicy",
    "ErpProjectState",
    "PostingCheck",
    "PostingFacts",
    "PostingPolicy",
    "check_expense",
    "check_time_entry",
    "entry_label",
    "fill_missing_rates",
    "project_label",
]

_VALIDATION = FindingCategory.VALIDATION
_CONFLICT = FindingCategory.CONFLICT


class ClosedPeriodPolicy(StrEnum):
    """What to do with a record whose date falls in a closed ERP period."""

    HOLD = "hold"
    """Do not post; raise an exception so finance can reopen the period or decide."""
    REDATE = "redate"
    """Post on the first day of the first open period after it."""


class ApproverRule(StrEnum):
    """Who may approve time and expenses, besides never the person who incurred them."""

    ANYONE = "anyone"
    PROJECT_MANAGER = "project_manager"
    LINE_MANAGER = "line_manager"
    PROJECT_OR_LINE_MANAGER = "project_or_line_manager"


@dataclass(frozen=True, slots=True)
class PostingPolicy:
    """The firm's posting rules (configuration)."""

    closed_period: ClosedPeriodPolicy = ClosedPeriodPolicy.HOLD
    redate_needs_finance_approval: bool = True
    """Whether a finance approver must confirm a re-dated posting before it is sent."""
    approver: ApproverRule = ApproverRule.ANYONE
    self_approval_allowed: bool = False
    enforce_not_to_exceed: bool = True
    """Hold billable time that would take the contract over its not-to-exceed cap."""
    billable_needs_contract: bool = True
    """Hold billable time of a project whose contract is not among the facts. Off where the flow cannot
    know the contract (the billing flow then checks billable time against it)."""


@dataclass(frozen=True, slots=True)
class ErpProjectState:
    """The project's status as the ERP holds it, and since when, if the ERP says."""

    status: ProjectStatus
    since: date | None = None


@dataclass(frozen=True, slots=True)
class PostingFacts:
    """What a flow knows about the world when it checks one record for posting."""

    project: Project
    """The project as the PSA holds it (the PSA owns project status and dates)."""
    erp_project: ErpProjectState | None
    """The project in the ERP; None when the ERP does not have it (yet)."""
    calendar: AccountingCalendar
    resource: Resource | None = None
    """The person who worked; names them by employee id and gives their line manager."""
    assignments: Sequence[Assignment] | None = ()
    """The resource's assignments (any project; only this project's count); None when the flow does not
    know them (a PSA that lets only a project's members book time on it has checked already)."""
    contract: Contract | None = None
    """The contract the project delivers; None for an internal project."""
    billable_posted_to_date: Money | None = None
    """Billable time already posted on the contract; needed when the contract has a not-to-exceed cap."""
    systems: Systems = field(default_factory=Systems)


@dataclass(frozen=True, slots=True)
class PostingCheck:
    """The verdict on one record: what is wrong, and on which day it would be posted."""

    subject: RecordRef
    findings: tuple[Finding, ...]
    posting_date: date | None
    """The work (or expense) date, or the re-dated day; None when no open period can take it."""
    redated_from: date | None = None
    """The original date when the record was re-dated out of a closed period."""
    needs_finance_approval: bool = False
    note: str | None = None
    """A sentence for the finance approver when the record was re-dated."""

    @property
    def postable(self) -> bool:
        """Whether nothing stops the posting (a re-date may still need a finance approver)."""
        return not self.findings and self.posting_date is not None


def entry_label(record: TimeEntry | ExpenseItem, systems: Systems) -> str:
    """How a time entry or expense is named in messages: its PSA id, else its source id, else global id."""
    return (
        record.system_ids.get(systems.psa) or record.system_ids.get(record.source_system) or record.global_id
    )


def project_label(project: Project, systems: Systems) -> str:
    """How a project is named in messages: "project P-1042" (PSA id, else ERP id) or by its name."""
    number = project.system_ids.get(systems.psa) or project.system_ids.get(systems.erp)
    return f"project {number}" if number else f"project {quoted(project.name)}"


def _employee(resource_id: str, resource: Resource | None) -> str:
    return f"employee {resource.employee_id}" if resource else f"resource {resource_id}"


def fill_missing_rates(
    entry: TimeEntry, assignment: Assignment | None, resource: Resource | None
) -> TimeEntry:
    """The entry with missing rates taken from its assignment, and a missing cost rate from the resource.

    Rates on the entry itself always win: the PSA priced the time when it was captured.
    """
    bill = entry.bill_rate or (assignment.bill_rate if assignment else None)
    cost = (
        entry.cost_rate
        or (assignment.cost_rate if assignment else None)
        or (resource.cost_rate if resource else None)
    )
    if bill == entry.bill_rate and cost == entry.cost_rate:
        return entry
    return entry.replace(bill_rate=bill, cost_rate=cost)


@dataclass(slots=True)
class _Check:
    """Collects findings about one record; every message starts with the record's description."""

    kind: str
    """Prefix of the rule names: "time" or "expense"."""
    subject: RecordRef
    description: str
    facts: PostingFacts
    day: date
    findings: list[Finding] = field(default_factory=list)

    def fail(
        self,
        rule: str,
        reason: str,
        category: FindingCategory = _VALIDATION,
        related: tuple[RecordRef, ...] = (),
    ) -> None:
        message = f"{self.description} was not posted: {reason}."
        self.findings.append(Finding(category, f"{self.kind}.{rule}", message, self.subject, related))

    @property
    def project_ref(self) -> RecordRef:
        return RecordRef.of(self.facts.project, project_label(self.facts.project, self.facts.systems))

    @property
    def project(self) -> str:
        return project_label(self.facts.project, self.facts.systems)


def _check_approval(
    check: _Check,
    approved: bool,
    state: str,
    approver_id: str | None,
    resource_id: str,
    policy: PostingPolicy,
) -> None:
    if not approved:
        check.fail("not_approved", f"it is {state}, not approved")
        return
    if approver_id == resource_id and not policy.self_approval_allowed:
        check.fail(
            "self_approved", "it was approved by the person who recorded it; someone else must approve it"
        )
        return
    manager = check.facts.project.project_manager_id
    line_manager = check.facts.resource.manager_id if check.facts.resource else None
    allowed = {
        ApproverRule.ANYONE: None,
        ApproverRule.PROJECT_MANAGER: {manager},
        ApproverRule.LINE_MANAGER: {line_manager},
        ApproverRule.PROJECT_OR_LINE_MANAGER: {manager, line_manager},
    }[policy.approver]
    if allowed is not None and approver_id not in allowed - {None}:
        who = {
            ApproverRule.PROJECT_MANAGER: f"the project manager of {check.project}",
            ApproverRule.LINE_MANAGER: "the line manager of the person who recorded it",
            ApproverRule.PROJECT_OR_LINE_MANAGER: (
                f"the project manager of {check.project} or the line manager of the person who recorded it"
            ),
        }[policy.approver]
        check.fail("wrong_approver", f"it was not approved by {who}, as the approval policy requires")


def _check_project(check: _Check) -> None:
    facts, systems = check.facts, check.facts.systems
    project, erp = facts.project, facts.erp_project
    if project.status is not ProjectStatus.ACTIVE:
        check.fail(
            "project_not_active_in_psa",
            f"{check.project} is {project.status.label} in {systems.psa_name}",
            _VALIDATION,
            (check.project_ref,),
        )
    psa_active = project.status is ProjectStatus.ACTIVE
    if erp is None:
        check.fail(
            "project_missing_in_erp",
            f"{check.project} does not exist in {systems.erp_name} yet",
            _CONFLICT if psa_active else _VALIDATION,
            (check.project_ref,),
        )
    elif erp.status is not ProjectStatus.ACTIVE:
        since = f" since {iso(erp.since)}" if erp.since else ""
        check.fail(
            "project_not_active_in_erp",
            f"{check.project} is {erp.status.label} in {systems.erp_name}{since}",
            _CONFLICT if psa_active else _VALIDATION,
            (check.project_ref,),
        )
    if not project.covers(check.day):
        dates = (
            f"{iso(project.start_date)} to {iso(project.end_date)}"
            if project.end_date
            else f"from {iso(project.start_date)}"
        )
        check.fail(
            "outside_project_dates",
            f"{iso(check.day)} is outside the dates of {check.project} ({dates})",
            _VALIDATION,
            (check.project_ref,),
        )


def _check_assignment(check: _Check, resource_id: str, employee: str) -> None:
    mine = [
        a
        for a in check.facts.assignments or ()
        if a.project_id == check.facts.project.global_id and a.resource_id == resource_id
    ]
    if any(a.covers(check.day) for a in mine):
        return
    if not mine:
        check.fail(
            "not_assigned",
            f"{employee} is not assigned to {check.project}",
            _VALIDATION,
            (check.project_ref,),
        )
        return
    spans = ", ".join(
        f"{iso(a.start_date)} to {iso(a.end_date)}" for a in sorted(mine, key=lambda a: a.start_date)
    )
    check.fail(
        "outside_assignment",
        f"{employee} is assigned to {check.project} only from {spans}",
        _VALIDATION,
        (check.project_ref, *(RecordRef.of(a) for a in mine)),
    )


def _posting_date(check: _Check, policy: PostingPolicy) -> PostingCheck:
    """The verdict, with the posting date the closed-period policy gives."""
    calendar, erp_name = check.facts.calendar, check.facts.systems.erp_name
    period = calendar.period_of(check.day)
    posting_date: date | None = check.day
    redated_from, note = None, None
    if period is None:
        check.fail("no_accounting_period", f"no accounting period in {erp_name} covers {iso(check.day)}")
        posting_date = None
    elif period.closed and policy.closed_period is ClosedPeriodPolicy.HOLD:
        check.fail("period_closed", f"accounting period {period.name} is closed in {erp_name}")
        posting_date = None
    elif period.closed:
        posting_date = calendar.posting_date_from(check.day)
        if posting_date is None:
            check.fail(
                "no_open_period",
                f"accounting period {period.name} is closed in {erp_name} and no later period is open",
            )
        else:
            redated_from = check.day
            target = calendar.period_of(posting_date)
            approval = (
                "; a finance approver must confirm the re-date"
                if policy.redate_needs_finance_approval
                else ""
            )
            note = (
                f"{check.description} falls in accounting period {period.name}, "
                f"which is closed in {erp_name}; "
                f"it is re-dated to {iso(posting_date)} in period {target.name if target else '?'}{approval}."
            )
    return PostingCheck(
        subject=check.subject,
        findings=tuple(check.findings),
        posting_date=posting_date,
        redated_from=redated_from,
        needs_finance_approval=redated_from is not None and policy.redate_needs_finance_approval,
        note=note,
    )


def _check_contract(check: _Check, entry: TimeEntry, policy: PostingPolicy) -> None:
    contract = check.facts.contract
    if entry.bill_rate is None and entry.billable:
        check.fail("no_bill_rate", "it is billable but has no bill rate")
    if entry.cost_rate is None:
        check.fail("no_cost_rate", "it has no cost rate")
    if not entry.billable:
        return
    if contract is None and not policy.billable_needs_contract:
        return
    if contract is None:
        check.fail(
            "billable_without_contract",
            f"it is billable but {check.project} has no contract to bill it under",
        )
        return
    contract_ref = RecordRef.of(contract, contract.number)
    if not contract.pricing_model.bills_time:
        check.fail(
            "billable_not_time_priced",
            f"it is billable but contract {contract.number} is {contract.pricing_model.label}, "
            "which does not bill time",
            _VALIDATION,
            (contract_ref,),
        )
        return
    if entry.bill_rate is not None and entry.bill_rate.currency != contract.currency:
        check.fail(
            "rate_currency",
            f"its bill rate is in {entry.bill_rate.currency} "
            f"but contract {contract.number} is in {contract.currency}",
            _VALIDATION,
            (contract_ref,),
        )
        return
    _check_cap(check, entry, contract, policy)


def _check_cap(check: _Check, entry: TimeEntry, contract: Contract, policy: PostingPolicy) -> None:
    cap = contract.not_to_exceed
    if cap is None or entry.bill_rate is None or not policy.enforce_not_to_exceed:
        return
    posted = check.facts.billable_posted_to_date
    if posted is None:
        raise ValueError(
            f"Contract {contract.number} has a not-to-exceed cap: "
            "pass billable_posted_to_date in the posting facts."
        )
    after = posted + line_amount(entry.hours, entry.bill_rate)
    if after > cap:
        check.fail(
            "over_cap",
            f"it would take billable time on contract {contract.number} to {after}, "
            f"above its not-to-exceed cap of {cap}",
            _VALIDATION,
            (RecordRef.of(contract, contract.number),),
        )


def check_time_entry(
    entry: TimeEntry, facts: PostingFacts, policy: PostingPolicy | None = None
) -> PostingCheck:
    """Whether an approved time entry may be posted to the ERP, and on which date.

    Checks the approval (approved, not by the worker, by whom the policy wants), the project (active in the
    PSA and in the ERP, the work date inside its dates), the accounting period (open, or re-dated by policy),
    the assignment (the resource is assigned to the project on that day), the rates (a bill rate for billable
    time in the contract's currency, a cost rate), and the contract (billable only where the pricing model
    bills time; within the not-to-exceed cap).

    Args:
        entry: the time entry, ideally after `fill_missing_rates`.
        facts: what the flow knows about its project, periods, assignments and contract.
        policy: the firm's posting policy (defaults: hold on closed periods, anyone but the worker approves).

    Raises:
        ValueError: when the facts are about another project or resource than the entry, or the contract
            has a cap and `facts.billable_posted_to_date` is missing (a flow's mistake, not the data's).
    """
    policy = policy or PostingPolicy()
    _check_facts_fit(facts, entry)
    employee = _employee(entry.resource_id, facts.resource)
    label = entry_label(entry, facts.systems)
    description = f"Time entry {label} ({employee}, {format_hours(entry.hours)} h on {iso(entry.work_date)})"
    check = _Check("time", RecordRef.of(entry, label), description, facts, entry.work_date)
    approved = entry.status is TimeEntryStatus.APPROVED
    _check_approval(check, approved, entry.status.label, entry.approver_id, entry.resource_id, policy)
    _check_project(check)
    if facts.assignments is not None:
        _check_assignment(check, entry.resource_id, employee)
    _check_contract(check, entry, policy)
    return _posting_date(check, policy)


def check_expense(
    item: ExpenseItem, facts: PostingFacts, policy: PostingPolicy | None = None
) -> PostingCheck:
    """Whether an approved expense may be posted to the ERP, and on which date.

    The same approval, project, period and assignment rules as time; the not-to-exceed cap is applied when
    expenses are billed (see `concord.domain.billing`), not here.

    Raises:
        ValueError: when the facts are about another project or resource than the expense.
    """
    policy = policy or PostingPolicy()
    _check_facts_fit(facts, item)
    employee = _employee(item.resource_id, facts.resource)
    label = entry_label(item, facts.systems)
    description = (
        f"Expense {label} ({employee}, {item.category.lower()} {item.amount} on {iso(item.expense_date)})"
    )
    check = _Check("expense", RecordRef.of(item, label), description, facts, item.expense_date)
    approved = item.status is ExpenseStatus.APPROVED
    _check_approval(check, approved, item.status.label, item.approver_id, item.resource_id, policy)
    _check_project(check)
    _check_assignment(check, item.resource_id, employee)
    return _posting_date(check, policy)


def _check_facts_fit(facts: PostingFacts, record: TimeEntry | ExpenseItem) -> None:
    if record.project_id != facts.project.global_id:
        raise ValueError(
            f"The posting facts are about project {facts.project.global_id}, "
            f"but the record belongs to project {record.project_id}."
        )
    if facts.resource is not None and facts.resource.global_id != record.resource_id:
        raise ValueError(
            f"The posting facts are about resource {facts.resource.global_id}, "
            f"but the record is by resource {record.resource_id}."
        )
