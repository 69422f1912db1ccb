"""From approved time entries to ERP posting lines, and the reversal-and-repost plan when entries change.

Granularity is policy: one line per entry, or lines summarised per project, employee and day, or per
project, employee and accounting period. Every line carries all its dimensions (legal entity and ERP
subsidiary, cost center, service line, project, employee, billable), its hours and its amounts at bill
and cost rate, and the global ids of the entries it holds (drill-back). A summarised line's amounts are
the sums of its entries' rounded amounts, so the ledger reconciles to the cent with the entries.

Line keys are deterministic: the same entries with the same content give the same key, so posting the
same set again converges. A posted line is never edited: when an entry in it changes or is rejected,
`plan_postings` reverses the line (a line of opposite sign that names it) and posts the new content under
a new key. A line whose exact content was posted and reversed before is posted again under the next
generation of its key (`...-2`), because the ERP still holds the old one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum
from typing import Generic, Protocol, Self, TypeVar

from concord.domain.hours import Hours
from concord.domain.keys import stable_key
from concord.domain.money import Money, line_amount
from concord.domain.objects import ExpenseItem, LegalEntity, Project, Resource, TimeEntry
from concord.domain.periods import AccountingCalendar

__all__ = [
    "PostableEntry",
    "PostingDimensions",
    "PostingGranularity",
    "PostingLine",
    "PostingPlan",
    "build_posting_lines",
    "lines_holding",
    "plan_postings",
    "posting_dimensions",
]


class PostingGranularity(StrEnum):
    """How finely approved time is posted to the ERP."""

    PER_ENTRY = "per_entry"
    PER_DAY = "per_day"
    """Summarised per project, employee and day."""
    PER_PERIOD = "per_period"
    """Summarised per project, employee and accounting period (posted on the period's last day)."""


@dataclass(frozen=True, slots=True)
class PostingDimensions:
    """Where a posting lands in the ERP's ledger."""

    legal_entity_code: str
    subsidiary_id: str | None
    """The legal entity's ERP subsidiary id, when known."""
    cost_center: str | None
    service_line: str | None
    project_id: str
    resource_id: str
    employee_id: str
    billable: bool


def posting_dimensions(
    record: TimeEntry | ExpenseItem, project: Project, resource: Resource, legal_entity: LegalEntity | None
) -> PostingDimensions:
    """The dimensions of a time entry or expense: the project's legal entity and service line, the
    resource's cost center and employee id, and whether it is billable.

    Raises:
        ValueError: when the project, resource or legal entity is not the record's.
    """
    if record.project_id != project.global_id or record.resource_id != resource.global_id:
        raise ValueError("The project and resource given are not the ones the record was booked to.")
    if legal_entity is not None and legal_entity.code != project.legal_entity_code:
        raise ValueError(
            f"Legal entity {legal_entity.code} is not the project's ({project.legal_entity_code})."
        )
    return PostingDimensions(
        legal_entity_code=project.legal_entity_code,
        subsidiary_id=legal_entity.erp_subsidiary_id if legal_entity else None,
        cost_center=resource.cost_center,
        service_line=project.service_line,
        project_id=project.global_id,
        resource_id=resource.global_id,
        employee_id=resource.employee_id,
        billable=record.billable,
    )


@dataclass(frozen=True, slots=True)
class PostableEntry:
    """An entry that passed `check_time_entry`, with its dimensions and the date it is posted on."""

    entry: TimeEntry
    dimensions: PostingDimensions
    posting_date: date
    """The work date, or the re-dated day (`PostingCheck.posting_date`)."""


@dataclass(frozen=True, slots=True)
class PostingLine:
    """One line of time to post to the ERP (or a reversal of one)."""

    key: str
    """External id in the ERP: the same content always gets the same key (plus a generation suffix)."""
    content_key: str
    """The key of the content, without generation; equal content, equal content key."""
    group: str
    """What the line summarises (granularity, date or period, dimensions, currencies), readable."""
    posting_date: date
    dimensions: PostingDimensions
    hours: Hours
    """Negative on a reversal."""
    bill_amount: Money | None
    """Sum of the entries' rounded hours times bill rate; None for non-billable time."""
    cost_amount: Money
    """Sum of the entries' rounded hours times cost rate."""
    bill_rate: Money | None
    """The bill rate when every entry has the same one, else None."""
    cost_rate: Money | None
    """The cost rate when every entry has the same one, else None."""
    entry_ids: tuple[str, ...]
    """Global ids of the entries the line holds, sorted: the drill-back."""
    reverses: str | None = None
    """On a reversal: the key of the line it reverses."""

    def reversal(self, on: date) -> Self:
        """The line that undoes this one, posted on `on`."""
        return replace(
            self,
            key=f"{self.key}-rev",
            content_key=f"{self.key}-rev",
            posting_date=on,
            hours=Hours.reversal_of(self.hours),
            bill_amount=None if self.bill_amount is None else -self.bill_amount,
            cost_amount=-self.cost_amount,
            reverses=self.key,
        )

    def with_key(self, key: str) -> Self:
        """The same line under another key (a later generation)."""
        return replace(self, key=key)


def _group(granularity: PostingGranularity, item: PostableEntry, calendar: AccountingCalendar | None) -> str:
    entry = item.entry
    if granularity is PostingGranularity.PER_ENTRY:
        when = f"entry {entry.global_id}"
    elif granularity is PostingGranularity.PER_DAY:
        when = item.posting_date.isoformat()
    else:
        period = calendar.period_of(item.posting_date) if calendar else None
        if period is None:
            raise ValueError(
                f"No accounting period covers {item.posting_date.isoformat()}; "
                "per-period posting needs the ERP's accounting calendar to cover every posting date."
            )
        when = f"period {period.name} {period.start.isoformat()}"
    rates = (
        entry.bill_rate.currency if entry.bill_rate and entry.billable else "-",
        _cost_rate(entry).currency,
    )
    dims = "|".join("-" if part is None else str(part) for part in _parts(item.dimensions))
    return f"{granularity.value}|{when}|{dims}|{rates[0]}|{rates[1]}"


_DIMENSIONS = tuple(f.name for f in fields(PostingDimensions))


def _parts(dims: PostingDimensions) -> tuple[object, ...]:
    """``astuple(dims)`` without its deep copy (every field is a plain value): the key of every entry's
    group is made of them."""
    return tuple(getattr(dims, name) for name in _DIMENSIONS)


def _cost_rate(entry: TimeEntry) -> Money:
    if entry.cost_rate is None:
        raise ValueError(
            f"Time entry {entry.global_id} has no cost rate; fill it (fill_missing_rates) and check it "
            "(check_time_entry) before building posting lines."
        )
    return entry.cost_rate


def _bill_rate(entry: TimeEntry) -> Money | None:
    if not entry.billable:
        return None
    if entry.bill_rate is None:
        raise ValueError(
            f"Time entry {entry.global_id} is billable but has no bill rate; check it (check_time_entry) "
            "before building posting lines."
        )
    return entry.bill_rate


def _only(values: Sequence[Money | None]) -> Money | None:
    return values[0] if len(set(values)) == 1 else None


def _line(group: str, posting_date: date, items: Sequence[PostableEntry]) -> PostingLine:
    entries = sorted((item.entry for item in items), key=lambda e: e.global_id)
    bill_rates = [_bill_rate(e) for e in entries]
    cost_rates = [_cost_rate(e) for e in entries]
    cost_currency = cost_rates[0].currency
    bill_amount = None
    billed = [(e.hours, rate) for e, rate in zip(entries, bill_rates, strict=True) if rate is not None]
    if billed:
        bill_amount = Money.sum((line_amount(h, r) for h, r in billed), billed[0][1].currency)
    content = [(e.global_id, e.hours, e.bill_rate if e.billable else None, e.cost_rate) for e in entries]
    content_key = stable_key("tp", group, posting_date, content)
    return PostingLine(
        key=content_key,
        content_key=content_key,
        group=group,
        posting_date=posting_date,
        dimensions=items[0].dimensions,
        hours=Hours(sum((e.hours for e in entries), Hours(0))),
        bill_amount=bill_amount,
        cost_amount=Money.sum(
            (line_amount(e.hours, r) for e, r in zip(entries, cost_rates, strict=True)), cost_currency
        ),
        bill_rate=_only(bill_rates),
        cost_rate=_only(cost_rates),
        entry_ids=tuple(e.global_id for e in entries),
    )


def build_posting_lines(
    entries: Iterable[PostableEntry],
    granularity: PostingGranularity,
    calendar: AccountingCalendar | None = None,
) -> list[PostingLine]:
    """The posting lines for a set of approved entries, at the given granularity, in key order.

    Args:
        entries: the entries to post, each checked, with its dimensions and posting date.
        granularity: one line per entry, per project-employee-day, or per project-employee-period.
        calendar: the ERP's accounting periods; needed for `PER_PERIOD`.

    Raises:
        ValueError: when an entry lacks a rate, an entry appears twice, or (per period) no period covers
            a posting date.
    """
    items = list(entries)
    ids = [item.entry.global_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("The same time entry is listed twice; each entry is posted once.")
    groups: dict[str, list[PostableEntry]] = {}
    for item in items:
        groups.setdefault(_group(granularity, item, calendar), []).append(item)
    lines = []
    for group, members in groups.items():
        if granularity is PostingGranularity.PER_PERIOD:
            period = calendar.period_of(members[0].posting_date) if calendar else None
            assert period is not None  # _group refused uncovered dates
            posting_date = period.end
        else:
            posting_date = members[0].posting_date
        lines.append(_line(group, posting_date, members))
    return sorted(lines, key=lambda line: line.key)


class _Postable(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def content_key(self) -> str: ...
    @property
    def posting_date(self) -> date: ...
    @property
    def reverses(self) -> str | None: ...
    def reversal(self, on: date) -> Self: ...
    def with_key(self, key: str) -> Self: ...


L = TypeVar("L", bound=_Postable)


@dataclass(frozen=True, slots=True)
class PostingPlan(Generic[L]):
    """What to send to the ERP so that it holds exactly the desired lines: reversals first, then postings."""

    reversals: tuple[L, ...]
    postings: tuple[L, ...]
    unchanged: tuple[L, ...]
    """Lines already in the ERP with the desired content; nothing to send."""

    @property
    def to_send(self) -> tuple[L, ...]:
        """Reversals, then new postings: the order to send them in."""
        return self.reversals + self.postings


def _reversal_date(line: _Postable, calendar: AccountingCalendar | None) -> date:
    if calendar is None:
        return line.posting_date
    day = calendar.posting_date_from(line.posting_date)
    if day is None:
        raise ValueError(
            f"Line {line.key} cannot be reversed: its period and every later one are closed in the ERP."
        )
    return day


def plan_postings(
    desired: Iterable[L], posted: Iterable[L], calendar: AccountingCalendar | None = None
) -> PostingPlan[L]:
    """The reversals and postings that turn what the ERP holds into what it should hold.

    `posted` is every line Concord posted for the same scope (e.g. one project and period), reversals
    included; `desired` is what that scope should hold now (the lines built from its approved entries).
    Lines already posted with the desired content are left alone; every other live posted line is
    reversed (never edited in place); every desired line not live is posted under a key the ERP has not
    seen. Running the plan's output through `plan_postings` again gives an empty plan.

    Args:
        desired: the lines the scope should hold.
        posted: the lines posted for the scope so far, with their reversals.
        calendar: the ERP's periods; when given, a reversal of a line in a closed period is dated the
            first day of the next open period instead.

    Raises:
        ValueError: when a reversal is needed and no open period can take it.
    """
    history = list(posted)
    reversed_keys = {line.reverses for line in history if line.reverses is not None}
    live = sorted(
        (line for line in history if line.reverses is None and line.key not in reversed_keys),
        key=lambda line: line.key,
    )
    live_by_content: dict[str, L] = {}
    stale: list[L] = []
    for line in live:
        if line.content_key in live_by_content:
            stale.append(line)  # posted twice somehow: keep one, reverse the copy
        else:
            live_by_content[line.content_key] = line
    generations = {
        content: sum(1 for _ in lines)
        for content, lines in itertools.groupby(
            sorted(line.content_key for line in history if line.reverses is None)
        )
    }
    unchanged, postings, wanted = [], [], set()
    for line in sorted(desired, key=lambda d: d.content_key):
        if line.content_key in wanted:
            continue
        wanted.add(line.content_key)
        if line.content_key in live_by_content:
            unchanged.append(live_by_content[line.content_key])
            continue
        generation = generations.get(line.content_key, 0) + 1
        postings.append(line if generation == 1 else line.with_key(f"{line.content_key}-{generation}"))
    stale += [line for content, line in live_by_content.items() if content not in wanted]
    reversals = [line.reversal(_reversal_date(line, calendar)) for line in sorted(stale, key=lambda x: x.key)]
    return PostingPlan(tuple(reversals), tuple(postings), tuple(unchanged))


def lines_holding(posted: Iterable[PostingLine], entry_ids: Iterable[str]) -> list[PostingLine]:
    """The posted lines (reversals included) that hold any of `entry_ids`: the scope an edit touches."""
    wanted = set(entry_ids)
    return [line for line in posted if wanted.intersection(line.entry_ids)]
