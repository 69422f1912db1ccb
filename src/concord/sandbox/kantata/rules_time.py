"""Rules for time entries and expenses: defaults from the project, rate cards and approval locks.

A time entry's approval state is not an attribute of its own in Kantata: entries are submitted on a
timesheet submission (one project, one week) that is approved, rejected or cancelled. The entry shows
``approved`` and points at its ``active_submission`` (pending or approved) and ``recent_submission``
(the latest, whatever its status); entries on an active submission cannot be edited or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping

from concord.sandbox.kantata.errors import ErrorItem, invalid
from concord.sandbox.kantata.filters import parse_bool, parse_ids
from concord.sandbox.kantata.hooks import Predicate, Record, RecordReader, WriteContext
from concord.sandbox.kantata.money import base_unit, symbol
from concord.sandbox.kantata.rules_projects import archived_workspace_ids, changed

LOCKED_MESSAGE = "Time entries on a submitted or approved timesheet cannot be changed"
LOCKED_EXPENSE_MESSAGE = "Expenses on a submitted or approved expense report cannot be changed"


def _currency_details(new: Record, workspace: Record | None) -> None:
    currency = str((workspace or {}).get("currency") or new.get("currency") or "USD")
    new["currency"] = currency
    new["currency_symbol"] = symbol(currency)
    new["currency_base_unit"] = base_unit(currency)


def bill_rate_for(workspace: Record | None, role_id: str | None, reader: RecordReader) -> int | None:
    """The project's rate card rate for ``role_id`` (latest version), or its default rate, in cents."""
    if workspace is None or not workspace.get("rate_card_id"):
        return None
    versions = reader.find("rate_card_versions", "rate_card_id", str(workspace["rate_card_id"]))
    if not versions:
        return None
    version = max(versions, key=lambda item: int(item["id"]))
    if role_id:
        for rate in reader.find("rate_card_roles", "rate_card_version_id", version["id"]):
            if rate.get("role_id") == role_id:
                return int(rate["rate"])
    default = version.get("default_rate")
    return None if default is None else int(default)


def prepare_time_entry(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """The current user, billability from the task, the rate from the rate card, the project currency."""
    workspace = ctx.reader.get("workspaces", str(new.get("workspace_id")))
    if old is None:
        new["user_id"] = new.get("user_id") or ctx.user_id
        story = ctx.reader.get("stories", str(new["story_id"])) if new.get("story_id") else None
        if new.get("billable") is None:
            new["billable"] = bool(story.get("billable", True)) if story else True
        if new.get("rate_in_cents") is None:
            new["rate_in_cents"] = bill_rate_for(workspace, new.get("role_id"), ctx.reader) or 0
        for attribute, default in (
            ("approved", False),
            ("is_invoiced", False),
            ("taxable", False),
            ("user_can_edit", True),
            ("active_submission_id", None),
            ("recent_submission_id", None),
        ):
            new.setdefault(attribute, default)
        new.setdefault("notes", None)
        new.setdefault("cost_rate_in_cents", None)
    elif new.get("billable") is None:
        new["billable"] = bool(old.get("billable"))
    _currency_details(new, workspace)


def validate_time_entry(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """Locked when submitted; positive minutes; task in the same project; the user participates."""
    if old is not None and old.get("active_submission_id"):
        return [invalid("base", LOCKED_MESSAGE)]
    errors: list[ErrorItem] = []
    if new.get("time_in_minutes") is not None and int(new["time_in_minutes"]) <= 0:
        errors.append(invalid("time_in_minutes", "Time in minutes must be greater than 0"))
    errors += _story_in_workspace(new, ctx.reader)
    if old is None or changed(new, old, "user_id"):
        errors += _participates(new, ctx.reader)
    return errors


def _story_in_workspace(new: Record, reader: RecordReader) -> list[ErrorItem]:
    if not new.get("story_id"):
        return []
    story = reader.get("stories", str(new["story_id"]))
    if story is not None and story.get("workspace_id") != new.get("workspace_id"):
        return [invalid("story_id", "Story must belong to the same project as the time entry")]
    return []


def _participates(new: Record, reader: RecordReader) -> list[ErrorItem]:
    members = reader.find("participations", "workspace_id", str(new.get("workspace_id")))
    if any(item.get("user_id") == new.get("user_id") for item in members):
        return []
    return [invalid("user_id", "User must be a participant in the project")]


def time_entry_deletable(record: Record, ctx: WriteContext) -> list[ErrorItem]:
    """Entries on a pending or approved timesheet cannot be deleted."""
    return [invalid("base", LOCKED_MESSAGE)] if record.get("active_submission_id") else []


def from_unarchived_workspaces(params: Mapping[str, str], reader: RecordReader) -> Predicate | None:
    """Entries of archived projects are hidden unless ``from_archived_workspaces=true``."""
    try:
        if parse_bool(params.get("from_archived_workspaces", "false")):
            return None
    except ValueError:
        pass
    archived = archived_workspace_ids(reader)
    if not archived:
        return None
    return lambda record: record.get("workspace_id") not in archived


def approved_filter(value: str, reader: RecordReader) -> Predicate:
    """``approved``: on an approved timesheet, or in a project that does not require approvals.

    The value is ignored (always processed as true), as the reference documents.
    """
    free = {w["id"] for w in reader.find("workspaces", "require_time_approvals", False)}
    return lambda record: bool(record.get("approved")) or record.get("workspace_id") in free


def in_active_submission(value: str, reader: RecordReader) -> Predicate:
    """``in_active_submission=true|false``."""
    wanted = parse_bool(value)
    return lambda record: bool(record.get("active_submission_id")) == wanted


def with_recent_timesheets(value: str, reader: RecordReader) -> Predicate:
    """``with_recent_timesheet_ids=1,2``: entries whose most recent submission is one of these."""
    wanted = set(parse_ids(value))
    return lambda record: record.get("recent_submission_id") in wanted


def invoiced(value: str, reader: RecordReader) -> Predicate:
    """``invoiced`` (value ignored)."""
    return lambda record: bool(record.get("is_invoiced"))


def uninvoiced(value: str, reader: RecordReader) -> Predicate:
    """``uninvoiced`` (value ignored)."""
    return lambda record: not record.get("is_invoiced")


# -- expenses --------------------------------------------------------------------------------------------


def prepare_expense(new: Record, old: Record | None, ctx: WriteContext) -> None:
    """``billable`` is written, ``is_billable`` is read; currency comes from the project."""
    if "billable" in new:
        flag = new.pop("billable")
        if flag is not None:
            new["is_billable"] = flag
    if old is None:
        new["user_id"] = new.get("user_id") or ctx.user_id
        for attribute, default in (
            ("is_billable", True),
            ("reimbursable", False),
            ("is_invoiced", False),
            ("taxable", False),
            ("user_can_edit", True),
            ("approved", False),
            ("active_submission_id", None),
            ("recent_submission_id", None),
        ):
            if new.get(attribute) is None:
                new[attribute] = default
    _currency_details(new, ctx.reader.get("workspaces", str(new.get("workspace_id"))))


def validate_expense(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    """Locked when on an active expense report; task in the same project."""
    if old is not None and old.get("active_submission_id"):
        return [invalid("base", LOCKED_EXPENSE_MESSAGE)]
    return _story_in_workspace(new, ctx.reader)
