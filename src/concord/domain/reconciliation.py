"""The reconciliation checks of domain.md §5 as pure comparisons, each finding with its records to drill to.

- Contract value: CRM amount + approved change orders = PSA project budget = ERP contract total.
- Provisioning: every contracted opportunity has a project in the PSA and in the ERP, and a contract in
  the ERP.
- Unposted time: approved hours in the PSA = posted hours in the ERP, per project and accounting period
  (net of reversals), with the entries on one side and not the other.
- Invoice generation delays: completed milestones invoiced within the billing SLA.
- Duplicates: no record exists twice in a target (two records carrying the same Concord id, or the same
  business key).

Flows read the records; these functions only compare them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, format_hours, iso, quoted
from concord.domain.money import Money
from concord.domain.objects import (
    ApprovalState,
    ChangeOrder,
    Contract,
    InvoiceEvent,
    Milestone,
    MilestoneStatus,
    Opportunity,
    Project,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import AccountingCalendar
from concord.domain.posting_lines import PostingLine

__all__ = [
    "NO_PERIOD",
    "PeriodHours",
    "TargetRecord",
    "approved_hours_by_period",
    "find_duplicates",
    "find_invoice_delays",
    "find_unprovisioned",
    "posted_hours_by_period",
    "reconcile_contract_value",
    "reconcile_hours",
]

_CONFLICT = FindingCategory.CONFLICT
NO_PERIOD = "(no accounting period)"
"""The period name of hours dated outside the ERP's accounting calendar."""


def _opportunity_ref(opportunity: Opportunity) -> RecordRef:
    return RecordRef.of(opportunity, quoted(opportunity.name))


# --- contract value -------------------------------------------------------------------------------------


def reconcile_contract_value(
    opportunity: Opportunity,
    change_orders: Iterable[ChangeOrder],
    *,
    project: Project | None,
    contract: Contract | None,
    systems: Systems | None = None,
) -> list[Finding]:
    """CRM amount + approved change orders = PSA budgeted fees = ERP contract total value.

    A missing project or contract is left to `find_unprovisioned`; a project without budgeted fees is a
    finding here.

    Args:
        opportunity: the contracted opportunity (its amount is the CRM's contract value).
        change_orders: the contract's change orders; only approved ones count.
        project: the project as the PSA holds it.
        contract: the contract as the ERP holds it.
        systems: names of the systems.
    """
    systems = systems or Systems()
    approved = [co for co in change_orders if co.approval_state is ApprovalState.APPROVED]
    refs = (_opportunity_ref(opportunity), *(RecordRef.of(co, co.number) for co in approved))
    mixed = [co for co in approved if co.delta_value.currency != opportunity.currency]
    if mixed:
        return [
            Finding(
                _CONFLICT,
                "reconcile.contract_value_currency",
                f"The contract value of opportunity {quoted(opportunity.name)} cannot be reconciled: "
                f"change order {mixed[0].number} is in {mixed[0].delta_value.currency} but the opportunity "
                f"is in {opportunity.currency}.",
                refs[0],
                refs[1:],
            )
        ]
    expected = Money.sum((opportunity.amount, *(co.delta_value for co in approved)), opportunity.currency)
    crm = f"{systems.crm_name} amount {opportunity.amount.round()}"
    if approved:
        changes = Money.sum((co.delta_value for co in approved), opportunity.currency)
        crm += f" + change orders {changes} = {expected}"
    findings = []
    if project is not None:
        fees = project.budget.fees
        if fees is None or fees.round() != expected:
            shown = "no budgeted fees" if fees is None else f"a budget of {fees.round()}"
            findings.append(
                _value_finding(
                    opportunity, "psa", crm, f"{systems.psa_name} project has {shown}", refs, project
                )
            )
    if contract is not None and contract.total_value.round() != expected:
        erp = f"{systems.erp_name} contract {contract.number} totals {contract.total_value.round()}"
        findings.append(_value_finding(opportunity, "erp", crm, erp, refs, contract))
    return findings


def _value_finding(
    opportunity: Opportunity,
    side: str,
    crm: str,
    other: str,
    refs: tuple[RecordRef, ...],
    record: Project | Contract,
) -> Finding:
    return Finding(
        _CONFLICT,
        f"reconcile.contract_value_{side}",
        f"The contract value of opportunity {quoted(opportunity.name)} does not reconcile: {crm}, "
        f"but the {other}.",
        refs[0],
        (*refs[1:], RecordRef.of(record)),
    )


# --- provisioning ---------------------------------------------------------------------------------------


def find_unprovisioned(
    opportunities: Iterable[Opportunity],
    contracts: Iterable[Contract],
    projects: Iterable[Project],
    *,
    contracted_stages: Collection[str] = ("Closed Won",),
    systems: Systems | None = None,
) -> list[Finding]:
    """Every contracted opportunity has a project in the PSA and in the ERP, and a contract in the ERP.

    Records are linked opportunity → contract (`opportunity_id`) → project (`contract_id`); presence in a
    system is an id in that system in the record's cross-reference.

    Args:
        opportunities: opportunities (any stage; only contracted ones are checked).
        contracts: contracts Concord knows, whether or not the ERP has them.
        projects: projects Concord knows, whether or not each system has them.
        contracted_stages: CRM stages meaning contracted (compared case-insensitively).
        systems: which systems are the PSA and the ERP.
    """
    systems = systems or Systems()
    stages = {stage.casefold() for stage in contracted_stages}
    by_opportunity: dict[str, list[Contract]] = {}
    for contract in contracts:
        if contract.opportunity_id is not None:
            by_opportunity.setdefault(contract.opportunity_id, []).append(contract)
    by_contract: dict[str, list[Project]] = {}
    for project in projects:
        if project.contract_id is not None:
            by_contract.setdefault(project.contract_id, []).append(project)
    findings = []
    for opportunity in opportunities:
        if opportunity.stage.casefold() not in stages:
            continue
        mine = by_opportunity.get(opportunity.global_id, [])
        delivered = [p for c in mine for p in by_contract.get(c.global_id, [])]
        missing = []
        if not any(p.system_id(systems.psa) for p in delivered):
            missing.append(("project_missing_in_psa", f"project in {systems.psa_name}"))
        if not any(p.system_id(systems.erp) for p in delivered):
            missing.append(("project_missing_in_erp", f"project in {systems.erp_name}"))
        if not any(c.system_id(systems.erp) for c in mine):
            missing.append(("contract_missing_in_erp", f"contract in {systems.erp_name}"))
        related = (*(RecordRef.of(c, c.number) for c in mine), *(RecordRef.of(p) for p in delivered))
        for rule, what in missing:
            findings.append(
                Finding(
                    _CONFLICT,
                    f"reconcile.{rule}",
                    f"Opportunity {quoted(opportunity.name)} is {opportunity.stage} but has no {what}.",
                    _opportunity_ref(opportunity),
                    related,
                )
            )
    return findings


# --- unposted time --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodHours:
    """Hours of one project in one accounting period, as one system sees them."""

    project_id: str
    period: str
    """The accounting period's name, or `NO_PERIOD`."""
    hours: Decimal
    entry_ids: frozenset[str] = frozenset()
    """The time entries behind the hours, for drill-down."""


def _period_name(calendar: AccountingCalendar, day: date) -> str:
    period = calendar.period_of(day)
    return period.name if period else NO_PERIOD


def approved_hours_by_period(
    entries: Iterable[TimeEntry],
    calendar: AccountingCalendar,
    posting_dates: Mapping[str, date] | None = None,
) -> list[PeriodHours]:
    """The PSA side: approved hours per project and period of the day they should be posted on.

    Args:
        entries: time entries from the PSA (only approved ones count).
        calendar: the ERP's accounting periods.
        posting_dates: entry global id → re-dated posting day, for entries re-dated out of a closed period.
    """
    dates = posting_dates or {}
    totals: dict[tuple[str, str], tuple[Decimal, set[str]]] = {}
    for entry in entries:
        if entry.status is not TimeEntryStatus.APPROVED:
            continue
        key = (entry.project_id, _period_name(calendar, dates.get(entry.global_id, entry.work_date)))
        hours, ids = totals.get(key, (Decimal(0), set()))
        ids.add(entry.global_id)
        totals[key] = (hours + entry.hours, ids)
    return [PeriodHours(p, n, h, frozenset(ids)) for (p, n), (h, ids) in sorted(totals.items())]


def posted_hours_by_period(lines: Iterable[PostingLine], calendar: AccountingCalendar) -> list[PeriodHours]:
    """The ERP side: net posted hours (reversals subtract) per project and period of the posting date.

    The entry ids are those of lines still standing (not reversed).
    """
    history = list(lines)
    reversed_keys = {line.reverses for line in history if line.reverses}
    totals: dict[tuple[str, str], tuple[Decimal, set[str]]] = {}
    for line in history:
        key = (line.dimensions.project_id, _period_name(calendar, line.posting_date))
        hours, ids = totals.get(key, (Decimal(0), set()))
        if line.reverses is None and line.key not in reversed_keys:
            ids.update(line.entry_ids)
        totals[key] = (hours + line.hours, ids)
    return [PeriodHours(p, n, h, frozenset(ids)) for (p, n), (h, ids) in sorted(totals.items())]


def reconcile_hours(
    approved: Iterable[PeriodHours],
    posted: Iterable[PeriodHours],
    *,
    project_labels: Mapping[str, str] | None = None,
    systems: Systems | None = None,
) -> list[Finding]:
    """Approved hours in the PSA = posted hours in the ERP, per project and period ("unposted time").

    A difference in hours, or the same hours made of different entries, is a finding; it names the
    entries approved but not posted and those posted but not approved (rejected after posting and not
    reversed).

    Args:
        approved: from `approved_hours_by_period`.
        posted: from `posted_hours_by_period`.
        project_labels: project global id → how to name it ("project P-1042").
        systems: names of the systems.
    """
    systems, labels = systems or Systems(), project_labels or {}
    psa = {(h.project_id, h.period): h for h in approved}
    erp = {(h.project_id, h.period): h for h in posted}
    findings = []
    for key in sorted(psa.keys() | erp.keys()):
        ours = psa.get(key, PeriodHours(*key, Decimal(0)))
        theirs = erp.get(key, PeriodHours(*key, Decimal(0)))
        unposted = sorted(ours.entry_ids - theirs.entry_ids)
        unapproved = sorted(theirs.entry_ids - ours.entry_ids)
        if ours.hours == theirs.hours and not unposted and not unapproved:
            continue
        project, period = labels.get(key[0], f"project {key[0]}"), key[1]
        gap = ours.hours - theirs.hours
        if gap > 0:
            rule, tail = "reconcile.unposted_time", f" ({format_hours(gap)} h unposted)"
        elif gap < 0:
            rule, tail = (
                "reconcile.posted_not_approved",
                f" ({format_hours(-gap)} h more posted than approved)",
            )
        else:
            rule, tail = "reconcile.hours_mismatch", " (the same hours, but not the same entries)"
        related = tuple(RecordRef.to("TimeEntry", i) for i in (*unposted, *unapproved))
        findings.append(
            Finding(
                _CONFLICT,
                rule,
                f"{project[0].upper()}{project[1:]}, period {period}: {format_hours(ours.hours)} h approved "
                f"in {systems.psa_name} but {format_hours(theirs.hours)} h posted in "
                f"{systems.erp_name}{tail}.",
                RecordRef.to("Project", key[0]),
                related,
                (
                    ("unposted_entries", " ".join(unposted)),
                    ("posted_not_approved_entries", " ".join(unapproved)),
                ),
            )
        )
    return findings


# --- invoice generation delays --------------------------------------------------------------------------


def _completed_on(milestone: Milestone) -> date | None:
    if milestone.status is MilestoneStatus.OPEN:
        return None
    days = [day for day in (milestone.completed_on, milestone.accepted_on) if day is not None]
    return min(days) if days else None


def find_invoice_delays(
    milestones: Iterable[Milestone],
    invoices: Iterable[InvoiceEvent],
    *,
    billing_sla: timedelta,
    now: datetime,
) -> list[Finding]:
    """Completed milestones invoiced within the billing SLA ("invoice generation delays").

    A milestone counts from the day it was completed (or accepted, if earlier recorded); its invoice is
    the first invoice event with a line naming the milestone, dated by when Concord created it. Pass the
    milestones that bill (those with a billing plan line); a complete milestone with no date cannot be
    measured and is skipped.

    Args:
        milestones: billing milestones.
        invoices: invoice events created so far.
        billing_sla: how long after completion an invoice may take.
        now: the moment of the check (with a time zone).
    """
    first_invoiced: dict[str, datetime] = {}
    for invoice in invoices:
        for line in invoice.lines:
            for source_id in line.source_ids:
                seen = first_invoiced.get(source_id)
                if seen is None or invoice.source_changed_at < seen:
                    first_invoiced[source_id] = invoice.source_changed_at
    limit = billing_sla.days
    findings = []
    for milestone in milestones:
        completed = _completed_on(milestone)
        if completed is None:
            continue
        invoiced = first_invoiced.get(milestone.global_id)
        waited = ((invoiced or now).date() - completed).days
        if waited <= limit:
            continue
        name = f"Milestone {quoted(milestone.name)}"
        if invoiced is None:
            rule = "reconcile.milestone_not_invoiced"
            message = (
                f"{name} was completed on {iso(completed)} and has not been invoiced after {waited} days"
            )
        else:
            rule = "reconcile.milestone_invoiced_late"
            message = f"{name} was completed on {iso(completed)} and invoiced {waited} days later"
        findings.append(
            Finding(
                FindingCategory.VALIDATION,
                rule,
                f"{message} (billing SLA {limit} days).",
                RecordRef.of(milestone, quoted(milestone.name)),
            )
        )
    return findings


# --- duplicates -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetRecord:
    """A record as it exists in a target system, with what identifies it in business terms."""

    system: str
    object_type: str
    external_id: str
    """The record's own id in the system."""
    global_id: str | None = None
    """The Concord global id the record carries (its external-id field), if any."""
    business_key: str | None = None
    """What must be unique in business terms: an invoice's (contract, period), a project's number."""
    label: str | None = None


def find_duplicates(records: Iterable[TargetRecord], *, systems: Systems | None = None) -> list[Finding]:
    """Records that exist more than once in a target: the same Concord id, or the same business key."""
    systems = systems or Systems()
    groups: dict[tuple[str, str, str, str], list[TargetRecord]] = {}
    for record in records:
        if record.global_id:
            groups.setdefault((record.system, record.object_type, "id", record.global_id), []).append(record)
        if record.business_key:
            key = (record.system, record.object_type, "key", record.business_key)
            groups.setdefault(key, []).append(record)
    findings, reported = [], set()
    for (system, object_type, kind, value), members in sorted(groups.items()):
        ids = sorted({m.external_id for m in members})
        if len(ids) < 2 or frozenset(ids) in reported:
            continue
        reported.add(frozenset(ids))
        label = next((m.label for m in members if m.label), value)
        why = f"all carry Concord id {value}" if kind == "id" else f"all have the business key {value}"
        findings.append(
            Finding(
                _CONFLICT,
                "reconcile.duplicate",
                f"{_words(object_type)} {label} exists {len(ids)} times in {systems.name_of(system)}: "
                f"records {', '.join(ids)} ({why}).",
                RecordRef(object_type, members[0].global_id, ((system, ids[0]),), label),
                tuple(RecordRef(object_type, m.global_id, ((system, m.external_id),)) for m in members),
            )
        )
    return findings


def _words(object_type: str) -> str:
    """ "InvoiceEvent" → "Invoice event"."""
    spaced = "".join(f" {c.lower()}" if c.isupper() and i else c for i, c in enumerate(object_type))
    return spaced[0].upper() + spaced[1:]
