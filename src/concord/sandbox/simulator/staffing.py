"""Project managers' morning in Kantata: projects whose start date came are set In Progress, projects past
their due date are set Completed, teams are staffed (participations) from the consultants with the
lightest load, every team member gets a task (assignment), and milestones past due are completed.

Projects are never created here: a won deal's project is Concord's to create. The simulator staffs the
projects it finds, the firm's legacy ones and those Concord made.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from concord.sandbox.simulator.apis import gather_all
from concord.sandbox.simulator.calendar import next_workday
from concord.sandbox.simulator.context import SimContext
from concord.sandbox.simulator.report import Activity, DayReport
from concord.sandbox.simulator.world import (
    ACTIVE_STATUS_KEYS,
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    Consultant,
    Project,
    Story,
)


async def _statuses(ctx: SimContext, day: date, report: DayReport) -> None:
    changes: list[tuple[Project, int, Activity]] = []
    for project in ctx.world.sorted_projects():
        started = project.start is None or project.start <= day
        if project.status_key == NOT_STARTED and started and (project.due is None or day <= project.due):
            changes.append((project, IN_PROGRESS, Activity.PROJECTS_STARTED))
        elif (
            project.status_key in ACTIVE_STATUS_KEYS
            and project.due is not None
            and project.due < day
            and ctx.dice(day, "finish", project.key).chance(ctx.behaviour.finish_past_due)
        ):
            changes.append((project, COMPLETED, Activity.PROJECTS_COMPLETED))

    async def apply(change: tuple[Project, int, Activity]) -> None:
        project, status_key, activity = change
        saved = await ctx.kantata.update(
            "workspaces", "workspace", project.workspace_id, {"status_key": status_key}
        )
        if saved is not None:
            project.status_key = status_key
            report.add(activity)

    await gather_all(changes, apply)


def _plan_team(ctx: SimContext, day: date) -> list[tuple[Project, Consultant, bool]]:
    """(project, consultant, team lead) participations to create, lightest-loaded consultants first."""
    world, behaviour = ctx.world, ctx.behaviour
    teams = world.memberships()
    load = {
        c.user_id: sum(1 for p in teams.get(c.user_id, []) if p.workable_on(day))
        for c in world.consultants.values()
    }
    plan: list[tuple[Project, Consultant, bool]] = []
    for project in world.sorted_projects():
        if not project.workable_on(day):
            continue
        low, high = behaviour.team_size
        target = ctx.dice("team-size", project.key).between(low, high)
        size = len(project.team)
        if size >= target:
            grow = size < high and ctx.dice(day, "grow", project.key).chance(behaviour.grow_team)
            target = size + 1 if grow else size
        if size >= target:
            continue
        order = ctx.dice(day, "pick", project.key)
        # Draw the tie-breaks in key order, so platform ids never decide who is picked.
        pool = sorted(
            (c for c in world.sorted_consultants() if c.user_id not in project.team),
            key=lambda c: (load[c.user_id], order.fraction(), c.key),
        )
        needs_lead = not any(project.team.values())
        for consultant in pool[: target - size]:
            if load[consultant.user_id] >= behaviour.max_projects:
                break
            load[consultant.user_id] += 1
            plan.append((project, consultant, needs_lead))
            project.team[consultant.user_id] = needs_lead
            needs_lead = False
    return plan


async def _staff(ctx: SimContext, day: date, report: DayReport) -> None:
    plan = _plan_team(ctx, day)

    async def join(item: tuple[Project, Consultant, bool]) -> None:
        project, consultant, lead = item
        body: dict[str, Any] = {
            "workspace_id": project.workspace_id,
            "user_id": consultant.user_id,
            "role": "maven",
            "team_lead": lead,
        }
        if await ctx.kantata.create_one("participations", "participation", body) is None:
            project.team.pop(consultant.user_id, None)
        else:
            report.add(Activity.PARTICIPATIONS_CREATED)

    await gather_all(plan, join)


async def _assign(ctx: SimContext, day: date, report: DayReport) -> None:
    plan: list[tuple[Project, str, str]] = []
    for project in ctx.world.sorted_projects():
        stories = project.open_stories()
        if not project.workable_on(day) or not stories:
            continue
        open_ids = {s.story_id for s in stories}
        members = sorted(project.team, key=ctx.world.consultant_key)
        for index, user_id in enumerate(members):
            if not any(story_id in open_ids and user == user_id for story_id, user in project.assigned):
                plan.append((project, stories[index % len(stories)].story_id, user_id))

    async def assign(item: tuple[Project, str, str]) -> None:
        project, story_id, user_id = item
        body = {"story_id": story_id, "assignee_id": user_id}
        if await ctx.kantata.create_one("assignments", "assignment", body) is not None:
            project.assigned.add((story_id, user_id))
            report.add(Activity.ASSIGNMENTS_CREATED)

    await gather_all(plan, assign)


async def _milestones(ctx: SimContext, day: date, report: DayReport) -> None:
    due = [
        story
        for project in ctx.world.sorted_projects()
        if project.status_key in ACTIVE_STATUS_KEYS
        for story in project.open_stories()
        if story.story_type == "milestone" and story.due is not None and story.due <= day
    ]
    # Past due, a milestone is completed any day now, and a few working days late at the latest.
    latest = ctx.behaviour.milestone_slip_days
    chosen = [
        s
        for s in due
        if ctx.dice(day, "milestone", s.key).chance(ctx.behaviour.complete_due_milestone)
        or (s.due is not None and next_workday(s.due, latest) <= day)
    ]

    async def complete(story: Story) -> None:
        if await ctx.kantata.update("stories", "story", story.story_id, {"state": "completed"}) is not None:
            story.state = "completed"
            report.add(Activity.MILESTONES_COMPLETED)

    await gather_all(chosen, complete)


async def run_morning(ctx: SimContext, day: date, report: DayReport) -> None:
    """One working morning of the project managers (the project list was refreshed just before)."""
    await _statuses(ctx, day, report)
    await asyncio.gather(_staff(ctx, day, report), _milestones(ctx, day, report))
    await _assign(ctx, day, report)
