"""Planting the dirty cases of domain.md §7, each recorded in the manifest with the records it involves."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from concord.domain.objects.enums import PricingModel, ProjectStatus, TimeEntryStatus
from concord.sandbox.firm.gen_deals import DealBook
from concord.sandbox.firm.gen_reference import with_new_version
from concord.sandbox.firm.gen_time import TimeBook, TimeWindow
from concord.sandbox.firm.model import (
    Account,
    DirtyCase,
    DirtyKind,
    EntryEdit,
    Project,
    RateCard,
    TimeEntry,
)

RATE_INCREASE_PERCENT = 6
EDIT_REASON = "Hours corrected after approval"


def crm_cases(deals: DealBook, accounts: dict[str, Account]) -> list[DirtyCase]:
    """Won deals of accounts without a tax profile, and won deals in a region no legal entity serves."""
    cases = [
        DirtyCase(
            DirtyKind.CUSTOMER_WITHOUT_TAX_PROFILE,
            "salesforce",
            "Opportunity",
            deal.key,
            (deal.account_key,),
            f"Opportunity '{deal.name}' is Closed Won, but its account '{accounts[deal.account_key].name}' "
            "has no tax profile or tax id",
        )
        for deal in deals.without_tax
    ]
    cases += [
        DirtyCase(
            DirtyKind.REGION_WITHOUT_LEGAL_ENTITY,
            "salesforce",
            "Opportunity",
            deal.key,
            (deal.account_key,),
            f"Opportunity '{deal.name}' is Closed Won in region '{deal.region}', "
            "which maps to no legal entity",
        )
        for deal in deals.orphan_region
    ]
    return cases


def close_projects_early(
    projects: tuple[Project, ...], count: int, window: TimeWindow, rng: random.Random
) -> tuple[tuple[Project, ...], tuple[Project, ...]]:
    """Close ``count`` time-and-materials projects a few days before the time window starts.

    Returns:
        All projects (the closed ones replaced) and the closed ones.
    """
    first_day = window.full_days[0]
    candidates = [
        p
        for p in projects
        if p.pricing_model is PricingModel.TIME_AND_MATERIALS and p.start < first_day - timedelta(days=14)
    ]
    chosen = {p.key for p in rng.sample(candidates, min(count, len(candidates)))}
    result, closed = [], []
    for project in projects:
        if project.key in chosen:
            due = first_day - timedelta(days=rng.randint(3, 10))
            tasks = tuple(replace(t, due=min(t.due, due), completed=True) for t in project.tasks)
            project = replace(project, due=due, status=ProjectStatus.CLOSED, tasks=tasks)
            closed.append(project)
        result.append(project)
    return tuple(result), tuple(closed)


def change_rate_cards(
    cards: tuple[RateCard, ...], projects: tuple[Project, ...], count: int, window: TimeWindow
) -> tuple[tuple[RateCard, ...], list[DirtyCase]]:
    """Give the ``count`` rate cards most used by running projects a new version in mid-window."""
    effective = window.middle_day()
    usage = {card.key: 0 for card in cards}
    for project in projects:
        if project.status is ProjectStatus.ACTIVE and project.start <= effective <= project.due:
            usage[project.rate_card_key] += 1
    ranked = sorted((key for key, used in usage.items() if used), key=lambda key: (-usage[key], key))[:count]
    changed, cases = [], []
    for card in cards:
        if card.key in ranked:
            card = with_new_version(card, effective, RATE_INCREASE_PERCENT)
            cases.append(
                DirtyCase(
                    DirtyKind.RATE_CARD_CHANGED_MID_MONTH,
                    "kantata",
                    "RateCard",
                    card.key,
                    (),
                    f"Rate card '{card.title}' raised its rates by {RATE_INCREASE_PERCENT} % from "
                    f"{effective.isoformat()}, in the middle of a billing month: time before that day is "
                    "billed at the old rates, time after it at the new ones",
                )
            )
        changed.append(card)
    return tuple(changed), cases


def time_on_closed_projects(
    book: TimeBook,
    closed: tuple[Project, ...],
    cards: dict[str, RateCard],
    roles: dict[str, str],
    window: TimeWindow,
) -> list[DirtyCase]:
    """One approved entry per closed project, logged by its lead after the project closed."""
    cases = []
    day = window.full_days[1] if len(window.full_days) > 1 else window.full_days[0]
    monday = day - timedelta(days=day.weekday())
    for project in closed:
        submission = book.new_submission(project, project.lead, monday, approved=True)
        entry = book.add(
            project,
            project.lead,
            day,
            240,
            cards[project.rate_card_key],
            roles[project.lead],
            status=TimeEntryStatus.APPROVED,
            submission=submission,
            notes="Follow-up support",
        )
        cases.append(
            DirtyCase(
                DirtyKind.TIME_ON_CLOSED_PROJECT,
                "kantata",
                "TimeEntry",
                entry.key,
                (project.key,),
                f"Time entry {entry.key} ({entry.employee}, {entry.hours} h on {day.isoformat()}) "
                "is on project "
                f"'{project.title}', which closed on {project.due.isoformat()}",
            )
        )
    return cases


def _pick(
    book: TimeBook, count: int, taken: set[str], rng: random.Random, min_minutes: int
) -> list[TimeEntry]:
    """``count`` approved entries of distinct consultants none of whose entries were picked before."""
    candidates = [
        e
        for e in book.entries
        if e.status is TimeEntryStatus.APPROVED
        and e.employee not in taken
        and e.minutes >= min_minutes
        and e.notes != "Follow-up support"
    ]
    picked: list[TimeEntry] = []
    for entry in rng.sample(candidates, len(candidates)):
        if len(picked) == count:
            break
        if entry.employee not in taken:
            taken.add(entry.employee)
            picked.append(entry)
    return picked


def duplicates(book: TimeBook, count: int, taken: set[str], rng: random.Random) -> list[DirtyCase]:
    """Approved entries keyed twice: same consultant, project, day, hours and notes, same timesheet."""
    cases = []
    for original in _pick(book, count, taken, rng, 60):
        copy = replace(original, key=f"T-{len(book.entries) + 1:07d}")
        book.append(copy)
        cases.append(
            DirtyCase(
                DirtyKind.DUPLICATE_SUBMISSION,
                "kantata",
                "TimeEntry",
                copy.key,
                (original.key, original.project_key),
                f"Time entry {copy.key} duplicates {original.key}: {original.employee}, "
                f"{original.hours} h on "
                f"{original.work_date.isoformat()}, same project and notes, both approved",
            )
        )
    return cases


def edits_after_approval(
    book: TimeBook, count: int, taken: set[str], rng: random.Random
) -> tuple[list[EntryEdit], list[DirtyCase]]:
    """Approved entries that were rejected, corrected and approved again (each on a timesheet of its own,
    so the correction touches no other entry)."""
    edits, cases = [], []
    for entry in _pick(book, count, taken, rng, 120):
        submission = book.move_to_own_submission(entry.key)
        edited = entry.minutes + 60 if entry.minutes <= 480 else entry.minutes - 60
        edits.append(EntryEdit(entry.key, submission, edited, EDIT_REASON))
        hours = (Decimal(edited) / 60).quantize(Decimal("0.01"))
        cases.append(
            DirtyCase(
                DirtyKind.EDITED_AFTER_APPROVAL,
                "kantata",
                "TimeEntry",
                entry.key,
                (entry.project_key,),
                f"Time entry {entry.key} ({entry.employee}, {entry.work_date.isoformat()}) was approved at "
                f"{entry.hours} h, then rejected, changed to {hours} h and approved again",
            )
        )
    return edits, cases
