"""Loading the PSA side into the Kantata emulator: roles, rate cards, users, legacy projects with their
tasks and teams, time entries (bulk, 100 a call), timesheets and their approval, and the corrections
made after approval."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

from concord.domain.objects.enums import ProjectStatus
from concord.sandbox.firm.load.http import Api, chunks, each
from concord.sandbox.firm.load.result import IdMap
from concord.sandbox.firm.model import Firm, Project, RateCard, Submission, TimeEntry

SYSTEM = "kantata"
API = "/api/v1"
BULK = 100
STATUS_KEYS = {
    ProjectStatus.PENDING: 200,
    ProjectStatus.ACTIVE: 300,
    ProjectStatus.ON_HOLD: 400,
    ProjectStatus.CLOSED: 500,
}
"""Kantata project status keys (Not Started, In Progress, On Hold, Completed)."""


def cents(amount: Decimal) -> int:
    """An amount in cents (rates and prices here always have two decimals at most)."""
    return int((amount * 100).to_integral_value())


async def _create(api: Api, plural: str, singular: str, attributes: dict[str, Any]) -> str:
    body = await api.json("POST", f"{API}/{plural}.json", {singular: attributes}, what=f"a {singular}")
    return str(body["results"][0]["id"])


async def _rate_card(api: Api, card: RateCard, role_ids: dict[str, str]) -> str:
    card_id = await _create(api, "rate_cards", "rate_card", {"title": card.title, "currency": card.currency})
    for version in card.versions:  # in order: the emulator treats the newest version as current
        version_id = await _create(
            api,
            "rate_card_versions",
            "rate_card_version",
            {
                "rate_card_id": card_id,
                "default_rate": cents(version.default_rate),
                "effective_date": version.effective.isoformat(),
            },
        )
        await each(version.rates, _role_rate_maker(api, version_id, role_ids))
    return card_id


def _role_rate_maker(
    api: Api, version_id: str, role_ids: dict[str, str]
) -> Callable[[tuple[str, Decimal]], Awaitable[str]]:
    def make(rate: tuple[str, Decimal]) -> Awaitable[str]:
        role_key, amount = rate
        attributes = {
            "rate_card_version_id": version_id,
            "role_id": role_ids[role_key],
            "rate": cents(amount),
        }
        return _create(api, "rate_card_roles", "rate_card_role", attributes)

    return make


def workspace_body(project: Project, rate_card_id: str) -> dict[str, Any]:
    """The workspace of a legacy project."""
    return {
        "title": project.title,
        "description": f"{project.pricing_model.label.capitalize()} engagement",
        "start_date": project.start.isoformat(),
        "due_date": project.due.isoformat(),
        "currency": project.currency,
        "price_in_cents": cents(project.price),
        "rate_card_id": rate_card_id,
        "status_key": STATUS_KEYS[project.status],
        "creator_role": "maven",
        "require_time_approvals": True,
        "budgeted": True,
    }


async def _project(
    api: Api, project: Project, card_ids: dict[str, str], users: dict[str, str], ids: IdMap
) -> None:
    workspace_id = await _create(
        api, "workspaces", "workspace", workspace_body(project, card_ids[project.rate_card_key])
    )
    ids.put(SYSTEM, "Workspace", project.key, workspace_id)

    async def task(index: int) -> None:
        task = project.tasks[index]
        story_id = await _create(
            api,
            "stories",
            "story",
            {
                "title": task.title,
                "story_type": task.story_type,
                "workspace_id": workspace_id,
                "start_date": task.start.isoformat(),
                "due_date": task.due.isoformat(),
                "state": "completed" if task.completed else "started",
            },
        )
        ids.put(SYSTEM, "Story", task.key, story_id)

    async def member(number: str) -> None:
        participation: dict[str, Any] = {
            "workspace_id": workspace_id,
            "user_id": users[number],
            "role": "maven",
            "team_lead": number == project.lead,
        }
        ids.put(
            SYSTEM,
            "Participation",
            f"{project.key}/{number}",
            await _create(api, "participations", "participation", participation),
        )

    await asyncio.gather(each(range(len(project.tasks)), task), each(project.team, member))


def entry_body(entry: TimeEntry, workspace_id: str, user_id: str) -> dict[str, Any]:
    """A time entry as bulk create takes it (the rate set explicitly: it was the rate on the day)."""
    return {
        "workspace_id": workspace_id,
        "user_id": user_id,
        "date_performed": entry.work_date.isoformat(),
        "time_in_minutes": entry.minutes,
        "billable": entry.billable,
        "notes": entry.notes,
        "rate_in_cents": cents(entry.rate),
    }


async def _time_entries(api: Api, firm: Firm, ids: IdMap) -> None:
    workspaces, users = ids.ids[SYSTEM]["Workspace"], ids.ids[SYSTEM]["User"]

    async def batch(entries: Sequence[TimeEntry]) -> None:
        body = {
            "time_entries": [entry_body(e, workspaces[e.project_key], users[e.employee]) for e in entries]
        }
        answer = await api.json("POST", f"{API}/time_entries.json", body, what="a bulk of time entries")
        for entry, ref in zip(entries, answer["results"], strict=True):
            ids.put(SYSTEM, "TimeEntry", entry.key, str(ref["id"]))

    await each(chunks(firm.time_entries, BULK), batch)


async def _submit(api: Api, submission: Submission, ids: IdMap) -> str:
    entries = ids.ids[SYSTEM]["TimeEntry"]
    body = {
        "workspace_id": ids.get(SYSTEM, "Workspace", submission.project_key),
        "user_id": ids.get(SYSTEM, "User", submission.employee),
        "title": submission.title,
        "line_item_ids": [entries[key] for key in submission.entries],
    }
    submission_id = await _create(api, "timesheet_submissions", "timesheet_submission", body)
    ids.put(SYSTEM, "Submission", submission.key, submission_id)
    return submission_id


async def _resolve(api: Api, action: str, submission_ids: Sequence[str], description: str) -> None:
    path = {"approve": "timesheet_approvals", "reject": "timesheet_rejections"}[action]
    for batch in chunks(submission_ids, BULK):
        body = {"resolution": {"submission_ids": list(batch), "description": description}}
        await api.json("POST", f"{API}/{path}.json", body, what=f"a bulk {action}")


async def _edits(api: Api, firm: Firm, ids: IdMap) -> None:
    submissions = {s.key: s for s in firm.submissions}

    async def edit(index: int) -> None:
        change = firm.edits[index]
        await _resolve(api, "reject", [ids.get(SYSTEM, "Submission", change.submission_key)], change.reason)
        entry_id = ids.get(SYSTEM, "TimeEntry", change.entry_key)
        body = {"time_entry": {"time_in_minutes": change.edited_minutes}}
        await api.json(
            "PUT", f"{API}/time_entries/{entry_id}.json", body, what=f"the edit of {change.entry_key}"
        )
        again = await _submit(api, submissions[change.submission_key], ids)
        await _resolve(api, "approve", [again], "Approved after correction")

    await each(range(len(firm.edits)), edit)


async def load_kantata(api: Api, firm: Firm, ids: IdMap) -> None:
    """Everything the PSA holds before Concord."""
    role_ids = dict(
        zip(
            [r.key for r in firm.roles],
            await each(firm.roles, lambda role: _create(api, "roles", "role", {"name": role.name})),
            strict=True,
        )
    )
    card_ids = dict(
        zip(
            [c.key for c in firm.rate_cards],
            await each(firm.rate_cards, lambda c: _rate_card(api, c, role_ids)),
            strict=True,
        )
    )
    for kind, made in (("Role", role_ids), ("RateCard", card_ids)):
        for key, record_id in made.items():
            ids.put(SYSTEM, kind, key, record_id)
    roles = {r.key: r for r in firm.roles}

    async def user(index: int) -> None:
        employee = firm.employees[index]
        attributes = {
            "full_name": employee.full_name,
            "email_address": employee.email,
            "headline": roles[employee.role_key].name,
            "role_id": role_ids[employee.role_key],
        }
        ids.put(SYSTEM, "User", employee.number, await _create(api, "users", "user", attributes))

    await each(range(len(firm.employees)), user)
    users = ids.ids[SYSTEM]["User"]
    await each(firm.projects, lambda project: _project(api, project, card_ids, users, ids))
    await _time_entries(api, firm, ids)
    submitted = await each(firm.submissions, lambda submission: _submit(api, submission, ids))
    approved = [sid for s, sid in zip(firm.submissions, submitted, strict=True) if s.approved]
    await _resolve(api, "approve", approved, "Approved")
    await _edits(api, firm, ids)
