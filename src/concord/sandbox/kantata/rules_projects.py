"""Rules for projects and their structure: workspaces, stories (tasks, milestones, phases),
participations and assignments.

Messages quoted by the reference are used verbatim ("Please give your project a title"); the others are
Rails-style ("<Attribute> can't be blank") and marked as assumptions where the wording is unknown [U].
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from concord.sandbox.kantata.errors import ErrorItem, invalid
from concord.sandbox.kantata.filters import parse_bool
from concord.sandbox.kantata.hooks import Predicate, Record, RecordReader, WriteContext
from concord.sandbox.kantata.money import (
    DEFAULT_STATUS_KEY,
    WORKSPACE_STATUSES,
    base_unit,
    from_subunits,
    status_hash,
    symbol,
    to_subunits,
)

ACCOUNT_ID = 1
"""The one Kantata account the emulator serves."""

MAX_STORY_DEPTH = 4


def changed(new: Record, old: Record | None, attribute: str) -> bool:
    """Whether a write sets ``attribute`` to something new (always true on create when present)."""
    if old is None:
        return new.get(attribute) is not None
    return new.get(attribute) != old.get(attribute)


def dates_in_order(new: Record, start: str, end: str) -> list[ErrorItem]:
    """Refuse an end date before the start date."""
    if new.get(start) and new.get(end) and str(new[end]) < str(new[start]):
        return [
            invalid(
                end, f"{end.replace('_', ' ').capitalize()} can't be before the {start.replace('_', ' ')}"
            )
        ]
    return []


# -- workspaces ------------------------------------------------------------------------------------------


def prepare_workspace(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """Defaults, the status hash, currency details and the two forms of the budget."""
    if old is None:
        new["_creator_role"] = new.pop("creator_role", None)
        new.setdefault("currency", "USD")
        for attribute, default in (
            ("archived", False),
            ("budgeted", True),
            ("require_time_approvals", False),
            ("require_expense_approvals", False),
            ("tasks_default_non_billable", False),
            ("access_level", "invitation"),
            ("description", ""),
            ("status_key", DEFAULT_STATUS_KEY),
        ):
            if new.get(attribute) is None:
                new[attribute] = default
        new["creator_id"] = ctx.user_id
        new["account_id"] = ACCOUNT_ID
    else:
        new.pop("creator_role", None)
    currency = str(new.get("currency") or "USD")
    new["currency_symbol"] = symbol(currency)
    new["currency_base_unit"] = base_unit(currency)
    if changed(new, old, "price"):
        with contextlib.suppress(ValueError):  # reported by validate_workspace
            new["price_in_cents"] = to_subunits(str(new["price"]), currency)
    elif changed(new, old, "price_in_cents") or (old is None and "price_in_cents" not in new):
        cents = new.get("price_in_cents")
        new["price_in_cents"] = cents
        new["price"] = None if cents is None else from_subunits(int(cents), currency)
    new["status"] = status_hash(int(new.get("status_key") or DEFAULT_STATUS_KEY))
    new["effective_due_date"] = new.get("due_date") or ""
    new.setdefault("percentage_complete", 0)
    new.setdefault("over_budget", False)


def validate_workspace(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """Title and creator role (with Kantata's own messages), dates, budget and status key."""
    errors: list[ErrorItem] = []
    if not str(new.get("title") or "").strip():
        errors.append(invalid("title", "Please give your project a title"))
    if old is None and new.get("_creator_role") not in ("maven", "buyer"):
        errors.append(invalid("creator_role", "Please select a role for this project"))
    errors += dates_in_order(new, "start_date", "due_date")
    if changed(new, old, "price"):
        try:
            to_subunits(str(new["price"]), str(new.get("currency") or "USD"))
        except ValueError:
            errors.append(invalid("price", "Price is not a valid amount for the project currency"))
    if int(new.get("status_key") or DEFAULT_STATUS_KEY) not in WORKSPACE_STATUSES:
        errors.append(invalid("status_key", "Status key is not included in the list"))
    return errors


def workspace_scope(params: Mapping[str, str], reader: RecordReader) -> Predicate | None:
    """Archived projects are hidden unless ``include_archived=true``."""
    if _flag(params, "include_archived"):
        return None
    return lambda record: not record.get("archived")


# -- stories ---------------------------------------------------------------------------------------------


def prepare_story(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """Defaults from the project, position, nesting depth and completion."""
    workspace = (
        ctx.reader.get("workspaces", str(new.get("workspace_id"))) if new.get("workspace_id") else None
    )
    if old is None:
        new.setdefault("state", "not started")
        new.setdefault("archived", False)
        new.setdefault("percentage_complete", 0)
        new["deleted_at"] = None
        new["creator_id"] = ctx.user_id
        if new.get("billable") is None:
            new["billable"] = not bool(workspace and workspace.get("tasks_default_non_billable"))
        siblings = ctx.reader.find("stories", "workspace_id", str(new.get("workspace_id")))
        new["position"] = len(siblings) + 1
    for attribute, default in (("state", "not started"), ("archived", False), ("percentage_complete", 0)):
        if new.get(attribute) is None:
            new[attribute] = default
    if changed(new, old, "state") and new.get("state") == "completed":
        new["percentage_complete"] = 100
    new["ancestry_depth"] = _depth(new, ctx.reader)


def _depth(story: Record, reader: RecordReader) -> int:
    depth, seen, parent_id = 0, {story.get("id")}, story.get("parent_id")
    while parent_id and parent_id not in seen and depth <= MAX_STORY_DEPTH + 1:
        parent = reader.get("stories", str(parent_id))
        if parent is None:
            break
        seen.add(parent_id)
        depth += 1
        parent_id = parent.get("parent_id")
    return depth


def validate_story(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """A parent in the same project, not too deep, not itself; dates in order; percentage 0..100."""
    errors: list[ErrorItem] = []
    if not str(new.get("title") or "").strip():
        errors.append(invalid("title", "Title can't be blank"))
    parent_id = new.get("parent_id")
    if parent_id:
        parent = ctx.reader.get("stories", str(parent_id))
        if parent is not None and parent.get("workspace_id") != new.get("workspace_id"):
            errors.append(invalid("parent_id", "Parent must belong to the same project"))
        if new.get("id") is not None and str(parent_id) == str(new.get("id")):
            errors.append(invalid("parent_id", "Parent can't be the task itself"))
        if int(new.get("ancestry_depth") or 0) > MAX_STORY_DEPTH:
            errors.append(invalid("parent_id", f"Tasks can be nested at most {MAX_STORY_DEPTH} levels deep"))
    errors += dates_in_order(new, "start_date", "due_date")
    if not 0 <= int(new.get("percentage_complete") or 0) <= 100:
        errors.append(invalid("percentage_complete", "Percentage complete must be between 0 and 100"))
    return errors


def story_scope(params: Mapping[str, str], reader: RecordReader) -> Predicate | None:
    """Deleted, archived and archived-project tasks are hidden unless asked for (tap-mavenlink)."""
    show_deleted = _flag(params, "show_deleted")
    archived = params.get("archived", "exclude").strip().lower()
    if _flag(params, "show_archived"):
        archived = "include"
    from_archived = _flag(params, "show_from_archived_workspaces")
    archived_projects = set() if from_archived else archived_workspace_ids(reader)

    def visible(record: Record) -> bool:
        if record.get("deleted_at") and not show_deleted:
            return False
        if archived == "exclude" and record.get("archived"):
            return False
        if archived == "only" and not record.get("archived"):
            return False
        return record.get("workspace_id") not in archived_projects

    return visible


# -- participations and assignments ------------------------------------------------------------------------


def prepare_participation(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """``team_lead`` is written, ``is_team_lead`` is read."""
    if "team_lead" in new:
        lead = new.pop("team_lead")
        if lead is not None:
            new["is_team_lead"] = lead
    new.setdefault("is_team_lead", False)


def validate_participation(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """One participation per user and project."""
    if old is not None:
        return []
    existing = ctx.reader.find("participations", "workspace_id", str(new.get("workspace_id")))
    if any(item.get("user_id") == new.get("user_id") for item in existing):
        return [invalid("user_id", "User is already participating in this project")]
    return []


def prepare_assignment(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """Assignments are current by default; allocation comes from scheduled days (none here)."""
    if new.get("current") is None:
        new["current"] = True
    new.setdefault("allocated_minutes", 0)


def validate_assignment(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """The assignee must participate in the task's project, and not already be assigned [U]."""
    if old is not None:
        return []
    story = ctx.reader.get("stories", str(new.get("story_id"))) if new.get("story_id") else None
    if story is None:
        return []
    members = ctx.reader.find("participations", "workspace_id", str(story.get("workspace_id")))
    if not any(item.get("user_id") == new.get("assignee_id") for item in members):
        return [invalid("assignee_id", "Assignee must be a participant in the project")]
    current = ctx.reader.find("assignments", "story_id", str(new.get("story_id")))
    if any(item.get("assignee_id") == new.get("assignee_id") and item.get("current") for item in current):
        return [invalid("assignee_id", "Assignee is already assigned to this task")]
    return []


def assignments_in_workspace(value: str, reader: RecordReader) -> Predicate:
    """``workspace_id`` filter on assignments, through their task [U]."""
    story_ids = {story["id"] for story in reader.find("stories", "workspace_id", value.strip())}
    return lambda record: record.get("story_id") in story_ids


def archived_workspace_ids(reader: RecordReader) -> set[str]:
    """Ids of the archived projects."""
    return {workspace["id"] for workspace in reader.find("workspaces", "archived", True)}


def _flag(params: Mapping[str, str], name: str) -> bool:
    try:
        return parse_bool(params[name]) if name in params else False
    except ValueError:
        return False
