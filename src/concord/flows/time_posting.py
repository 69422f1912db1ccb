"""What the time-to-ERP flow decides, as pure functions: which gathered entries may be posted, the ERP
postings they make at the firm's granularity, and the reversals and postings that bring what the ERP holds
to that.

A posting, once sent, is never edited: ``plan_time_postings`` compares the desired postings with those
sent before (kept in the flow instance) through ``concord.domain.posting_lines.plan_postings``, so an
entry edited or rejected after posting becomes a reversal of its posting plus a new posting of what
remains. Every posting lists the entries it holds with their hours and amounts: the drill-back from an
ERP line to the entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Self

from concord.domain.findings import Finding, FindingCategory, RecordRef, Systems, format_hours
from concord.domain.keys import Stamp, stable_id
from concord.domain.money import Hours, Money, line_amount
from concord.domain.objects import PostedEntry, Project, Resource, TimeEntry, TimeEntryStatus, TimePosting
from concord.domain.periods import AccountingCalendar
from concord.domain.posting_lines import (
    PostableEntry,
    PostingGranularity,
    PostingLine,
    build_posting_lines,
    plan_postings,
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

__all__ = ["EntryVerdict", "PostedLine", "ProjectFacts", "TimeFacts", "judge_entries", "plan_time_postings"]


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


def _project_missing(entry: TimeEntry, known: ProjectFacts | None, facts: TimeFacts) -> EntryVerdict:
    """Time on a project the ERP cannot take: one finding about the project, the same for all its time
    (so a project missing from the ERP opens one exception, not one per entry)."""
    name = known.name if known else f"project {entry.project_id}"
    erp = facts.systems.erp_name
    if known is not None and known.unreadable:
        rule, why = "time.project_unreadable_in_erp", f"it cannot be read in {erp}: {known.unreadable}"
    else:
        rule, why = "time.project_missing_in_erp", f"it does not exist in {erp}"
    message = (
        f"Approved time on {name} is not posted: {why}. Create or link the project in {erp}; "
        "its time is posted when its employees' time is next posted, or when this exception is retried."
    )
    return EntryVerdict(
        entry, (Finding(FindingCategory.CONFLICT, rule, message, RecordRef("Project", entry.project_id)),)
    )


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
            verdicts.append(_project_missing(entry, known, facts))
            continue
        if facts.resource is None:
            message = f"the employee who recorded it does not exist in {erp}"
            verdicts.append(_missing(entry, "employee_missing_in_erp", message, facts))
            continue
        priced = fill_missing_rates(entry, None, facts.resource)
        posting = PostingFacts(
            project=known.project,
            erp_project=known.erp,
            calendar=facts.calendar,
            resource=facts.resource,
            assignments=None,
            systems=facts.systems,
        )
        check = check_time_entry(priced, posting, policy)
        findings = list(check.findings)
        if check.postable and check.needs_finance_approval and entry.global_id not in confirmed:
            findings.append(
                Finding(
                    FindingCategory.VALIDATION,
                    "time.redate_needs_approval",
                    f"{check.note} A finance approver confirms it by retrying this exception.",
                    check.subject,
                )
            )
        if findings or check.posting_date is None:
            verdicts.append(EntryVerdict(entry, tuple(findings), check=check))
            continue
        dimensions = posting_dimensions(priced, known.project, facts.resource, None)
        postable = PostableEntry(priced, dimensions, check.posting_date)
        verdicts.append(EntryVerdict(entry, (), postable, check))
    return verdicts


@dataclass(frozen=True, slots=True)
class PostedLine:
    """A posting as ``plan_postings`` plans it: a TimePosting with the content key it was built from."""

    posting: TimePosting
    content_key: str

    @property
    def key(self) -> str:
        return self.posting.posting_key

    @property
    def posting_date(self) -> date:
        return self.posting.posting_date

    @property
    def reverses(self) -> str | None:
        return self.posting.reverses

    def reversal(self, on: date) -> Self:
        """The posting that undoes this one, on ``on``: every entry with opposite sign."""
        p = self.posting
        key = f"{p.posting_key}-rev"
        entries = tuple(
            PostedEntry(
                entry_id=e.entry_id,
                hours=Hours.reversal_of(e.hours),
                cost_amount=-e.cost_amount,
                bill_amount=None if e.bill_amount is None else -e.bill_amount,
            )
            for e in p.entries
        )
        reversed_posting = p.replace(
            global_id=_posting_id(key, on),
            posting_key=key,
            reverses=p.posting_key,
            summary=_clip(f"Reversal of {p.summary}"),
            posting_date=on,
            redated_from=None,
            hours=Hours.reversal_of(p.hours),
            cost_amount=-p.cost_amount,
            bill_amount=None if p.bill_amount is None else -p.bill_amount,
            entries=entries,
        )
        return type(self)(reversed_posting, key)

    def with_key(self, key: str) -> Self:
        """The same posting under another key (a later generation of the same content)."""
        moved = self.posting.replace(global_id=_posting_id(key, self.posting_date), posting_key=key)
        return type(self)(moved, self.content_key)

    def to_state(self) -> dict[str, object]:
        """As kept in the flow instance's state."""
        return {"content_key": self.content_key, "posting": self.posting.model_dump(mode="json")}

    @classmethod
    def from_state(cls, held: Mapping[str, object]) -> PostedLine:
        """Back from the flow instance's state."""
        return cls(TimePosting.model_validate(held["posting"]), str(held["content_key"]))


def _posting_id(key: str, on: date) -> str:
    return stable_id("time-posting", key, on=on)


def _clip(text: str) -> str:
    return text if len(text) <= 250 else text[:247] + "..."


def _summary(line: PostingLine, granularity: PostingGranularity, project: str) -> str:
    count = len(line.entry_ids)
    what = {
        PostingGranularity.PER_ENTRY: f"on {line.posting_date.isoformat()}",
        PostingGranularity.PER_DAY: f"on {line.posting_date.isoformat()}",
        PostingGranularity.PER_PERIOD: f"in the period ending {line.posting_date.isoformat()}",
    }[granularity]
    billable = "billable" if line.dimensions.billable else "non-billable"
    entries = "1 entry" if count == 1 else f"{count} entries"
    return _clip(
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
        global_id=_posting_id(line.key, line.posting_date),
        posting_key=line.key,
        summary=_summary(line, granularity, project),
        posting_date=line.posting_date,
        redated_from=moved[0] if moved else None,
        legal_entity_code=dims.legal_entity_code,
        project_id=dims.project_id,
        resource_id=dims.resource_id,
        employee_id=dims.employee_id,
        cost_center=dims.cost_center,
        service_line=dims.service_line,
        billable=dims.billable,
        hours=line.hours,
        cost_amount=line.cost_amount,
        bill_amount=line.bill_amount,
        entries=entries,
    )
    return PostedLine(posting, line.content_key)


def _rate(rate: Money | None) -> Money:
    assert rate is not None, "a postable entry has a cost rate (check_time_entry holds it otherwise)"
    return rate


@dataclass(frozen=True, slots=True)
class TimePostingPlan:
    """What to send: reversals first, then new postings; and every posting sent so far, afterwards."""

    to_send: tuple[PostedLine, ...]
    sent: tuple[PostedLine, ...]


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
    plan = plan_postings(desired, sent_before, facts.calendar)
    return TimePostingPlan(plan.to_send, (*sent_before, *plan.to_send))
