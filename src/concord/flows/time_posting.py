"""What the time-to-ERP flow decides, as pure functions: which gathered entries may be posted, the ERP
postings they make at the firm's granularity, and the reversals and postings that bring what the ERP holds
to that.

A posting, once sent, is never edited: ``plan_time_postings`` compares the desired postings with those
sent before (kept in the flow instance) through ``concord.domain.posting_lines.plan_postings``, so an
entry edited or rejected after posting becomes a reversal of its posting plus a new posting of what
remains. Every posting lists the entries it holds with their hours and amounts: the drill-back from an
ERP line to the entries. The project facts, and the findings about a project the ERP cannot take
(``project_missing``) and a re-date that waits for finance (``redate_needs_approval``), serve the expense
posting too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, format_hours
from concord.domain.hours import Hours
from concord.domain.keys import Stamp
from concord.domain.money import Money, line_amount
from concord.domain.objects import PostedEntry, Project, Resource, TimeEntry, TimeEntryStatus, TimePosting
from concord.domain.periods import AccountingCalendar
from concord.domain.posting_lines import (
    PostableEntry,
    PostingGranularity,
    PostingLine,
    build_posting_lines,
    posting_dimensions,
)
from concord.domain.time_posting import (
    ErpProjectState,
    PostingCheck,
    PostingFacts,
    PostingPolicy,
    check_time_entry,
    entry_label,
    fill_missing_rates,
)
from concord.flows.posted import SendPlan, SentPosting, clip, dimension_fields, plan_sending

__all__ = [
    "EntryVerdict",
    "PostedLine",
    "ProjectFacts",
    "TimeFacts",
    "judge_entries",
    "plan_time_postings",
    "project_missing",
    "redate_needs_approval",
]


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """A project as the PSA and the ERP show it now."""

    project: Project | None
    """The project for the checks: the ERP's record (legal entity, customer) with the PSA's status and
    dates, which the PSA owns; None when the ERP does not hold the project."""
    erp: ErpProjectState | None
    name: str
    """How the project is named in messages."""
    unreadable: str | None = None
    """Why the ERP's record of the project cannot be used, when it is there but does not map."""

    def for_checks(self, calendar: AccountingCalendar, resource: Resource, systems: Systems) -> PostingFacts:
        """What the domain's checks see of a record on this project, which the ERP holds (the PSA's
        assignments are not read)."""
        assert self.project is not None, "a project the ERP does not hold is not checked"
        return PostingFacts(
            project=self.project,
            erp_project=self.erp,
            calendar=calendar,
            resource=resource,
            assignments=None,
            systems=systems,
        )


@dataclass(frozen=True, slots=True)
class TimeFacts:
    """What the flow read before it decides: the ERP's calendar, the projects and the employee."""

    calendar: AccountingCalendar
    projects: Mapping[str, ProjectFacts]
    resource: Resource | None
    systems: Systems


@dataclass(frozen=True, slots=True)
class EntryVerdict:
    """One approved entry: postable (with its posting), or held with the findings that say why."""

    entry: TimeEntry
    findings: tuple[Finding, ...]
    postable: PostableEntry | None = None
    check: PostingCheck | None = None


def _describe(entry: TimeEntry, systems: Systems) -> str:
    label = entry_label(entry, systems)
    return f"Time entry {label} ({format_hours(entry.hours)} h on {entry.work_date.isoformat()})"


def _missing(entry: TimeEntry, rule: str, message: str, facts: TimeFacts) -> EntryVerdict:
    sentence = f"{_describe(entry, facts.systems)} was not posted: {message}."
    finding = Finding(FindingCategory.CONFLICT, f"time.{rule}", sentence, RecordRef.of(entry))
    return EntryVerdict(entry, (finding,))


def project_missing(
    project_id: str, known: ProjectFacts | None, systems: Systems, *, kind: str, what: str, be: str
) -> Finding:
    """The finding about approved records on a project the ERP cannot take: about the project, the same for
    all its records (so a project missing from the ERP opens one exception, not one per record).

    ``kind`` prefixes the rule ("time"); ``what`` names the records ("time", "expenses") and ``be`` agrees
    with it ("is", "are").
    """
    name = known.name if known else f"project {project_id}"
    erp = systems.erp_name
    if known is not None and known.unreadable:
        rule, why = f"{kind}.project_unreadable_in_erp", f"it cannot be read in {erp}: {known.unreadable}"
    else:
        rule, why = f"{kind}.project_missing_in_erp", f"it does not exist in {erp}"
    message = (
        f"Approved {what} on {name} {be} not posted: {why}. Create or link the project in {erp}; "
        f"its {what} {be} posted when its employees' {what} {be} next posted, or when this exception is "
        "retried."
    )
    return Finding(FindingCategory.CONFLICT, rule, message, RecordRef("Project", project_id))


def redate_needs_approval(check: PostingCheck, kind: str) -> Finding:
    """The finding that holds a re-dated record until a finance approver confirms the re-date (where the
    policy asks for it); ``kind`` prefixes the rule ("time")."""
    message = f"{check.note} A finance approver confirms it by retrying this exception."
    return Finding(FindingCategory.VALIDATION, f"{kind}.redate_needs_approval", message, check.subject)


def judge_entries(
    entries: Iterable[TimeEntry],
    facts: TimeFacts,
    policy: PostingPolicy,
    approved_redates: Iterable[str] = (),
) -> list[EntryVerdict]:
    """The verdict on each approved entry (entries in other states are not posted and need no verdict).

    ``approved_redates`` are the global ids of entries a finance approver confirmed the re-date of, where
    the policy asks for it.
    """
    confirmed = set(approved_redates)
    verdicts = []
    erp = facts.systems.erp_name
    for entry in entries:
        if entry.status is not TimeEntryStatus.APPROVED:
            continue
        known = facts.projects.get(entry.project_id)
        if known is None or known.project is None:
            missing = project_missing(
                entry.project_id, known, facts.systems, kind="time", what="time", be="is"
            )
            verdicts.append(EntryVerdict(entry, (missing,)))
            continue
        if facts.resource is None:
            message = f"the employee who recorded it does not exist in {erp}"
            verdicts.append(_missing(entry, "employee_missing_in_erp", message, facts))
            continue
        priced = fill_missing_rates(entry, None, facts.resource)
        posting = known.for_checks(facts.calendar, facts.resource, facts.systems)
        check = check_time_entry(priced, posting, policy)
        findings = list(check.findings)
        if check.postable and check.needs_finance_approval and entry.global_id not in confirmed:
            findings.append(redate_needs_approval(check, "time"))
        if findings or check.posting_date is None:
            verdicts.append(EntryVerdict(entry, tuple(findings), check=check))
            continue
        dimensions = posting_dimensions(priced, known.project, facts.resource, None)
        postable = PostableEntry(priced, dimensions, check.posting_date)
        verdicts.append(EntryVerdict(entry, (), postable, check))
    return verdicts


@dataclass(frozen=True, slots=True)
class PostedLine(SentPosting[TimePosting]):
    """A posting as ``plan_postings`` plans it: a TimePosting with the content key it was built from."""

    ID_SPACE: ClassVar[str] = "time-posting"

    def negated(self) -> dict[str, object]:
        """Every entry and amount with the opposite sign."""
        p = self.posting
        entries = tuple(
            PostedEntry(
                entry_id=e.entry_id,
                hours=Hours.reversal_of(e.hours),
                cost_amount=-e.cost_amount,
                bill_amount=None if e.bill_amount is None else -e.bill_amount,
            )
            for e in p.entries
        )
        return {
            "hours": Hours.reversal_of(p.hours),
            "cost_amount": -p.cost_amount,
            "bill_amount": None if p.bill_amount is None else -p.bill_amount,
            "entries": entries,
        }

    def to_state(self) -> dict[str, object]:
        """As kept in the flow instance's state."""
        return {"content_key": self.content_key, "posting": self.posting.model_dump(mode="json")}

    @classmethod
    def from_state(cls, held: Mapping[str, object]) -> PostedLine:
        """Back from the flow instance's state."""
        return cls(TimePosting.model_validate(held["posting"]), str(held["content_key"]))


def _summary(line: PostingLine, granularity: PostingGranularity, project: str) -> str:
    count = len(line.entry_ids)
    what = {
        PostingGranularity.PER_ENTRY: f"on {line.posting_date.isoformat()}",
        PostingGranularity.PER_DAY: f"on {line.posting_date.isoformat()}",
        PostingGranularity.PER_PERIOD: f"in the period ending {line.posting_date.isoformat()}",
    }[granularity]
    billable = "billable" if line.dimensions.billable else "non-billable"
    entries = "1 entry" if count == 1 else f"{count} entries"
    return clip(
        f"{line.hours} h {billable} time of employee {line.dimensions.employee_id} on {project} {what} "
        f"({entries})"
    )


def _posting(
    line: PostingLine,
    postables: Mapping[str, PostableEntry],
    granularity: PostingGranularity,
    project: str,
    redated_from: Mapping[str, date],
    stamp: Stamp,
) -> PostedLine:
    members = [postables[entry_id] for entry_id in line.entry_ids]
    entries = tuple(
        PostedEntry(
            entry_id=m.entry.global_id,
            hours=m.entry.hours,
            cost_amount=line_amount(m.entry.hours, _rate(m.entry.cost_rate)),
            bill_amount=(
                line_amount(m.entry.hours, m.entry.bill_rate)
                if m.entry.billable and m.entry.bill_rate
                else None
            ),
        )
        for m in members
    )
    moved = sorted(redated_from[m.entry.global_id] for m in members if m.entry.global_id in redated_from)
    dims = line.dimensions
    posting = TimePosting(
        **stamp.envelope(),
        global_id=PostedLine.posting_id(line.key, line.posting_date),
        posting_key=line.key,
        summary=_summary(line, granularity, project),
        posting_date=line.posting_date,
        redated_from=moved[0] if moved else None,
        **dimension_fields(dims),
        hours=line.hours,
        cost_amount=line.cost_amount,
        bill_amount=line.bill_amount,
        entries=entries,
    )
    return PostedLine(posting, line.content_key)


def _rate(rate: Money | None) -> Money:
    assert rate is not None, "a postable entry has a cost rate (check_time_entry holds it otherwise)"
    return rate


TimePostingPlan = SendPlan[PostedLine]
"""What to send: reversals first, then new postings; and every posting sent so far, afterwards."""


def plan_time_postings(
    verdicts: Sequence[EntryVerdict],
    sent_before: Sequence[PostedLine],
    facts: TimeFacts,
    granularity: PostingGranularity,
    stamp: Stamp,
) -> TimePostingPlan:
    """The reversals and postings that make the ERP hold exactly the postable entries' postings.

    Raises:
        ValueError: when a reversal is needed and no open ERP period can take it.
    """
    postable = {v.entry.global_id: v.postable for v in verdicts if v.postable is not None}
    redated = {
        v.entry.global_id: v.check.redated_from
        for v in verdicts
        if v.check is not None and v.check.redated_from is not None
    }
    lines = build_posting_lines(postable.values(), granularity, facts.calendar)
    names = {pid: known.name for pid, known in facts.projects.items()}
    desired = [
        _posting(
            line, postable, granularity, names.get(line.dimensions.project_id, "the project"), redated, stamp
        )
        for line in lines
    ]
    return plan_sending(desired, sent_before, facts.calendar)
