"""Code the Kantata assignment mapping calls: the hours a week an assignment plans, and when it ends.

Kantata plans an assignment as a total estimate (``estimated_minutes``) for its task, which runs from the
task's ``start_date`` to its ``due_date``; the canonical Assignment plans hours a week. The estimate is
spread evenly over the task's working days (Monday to Friday), so that the weeks of the task, each
prorated by its working days as the utilization rules do (``concord.domain.utilization``), add up to the
estimate (to the cent of an hour per week).

An assignment Kantata no longer holds current (the task was given to someone else) ended on the day
Kantata changed it so: it still plans its hours up to that day, within the task's dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from concord.domain.periods import working_days
from concord.mapping.context import MappingContext

__all__ = ["assignment_end_date", "assignment_hours_per_week"]

_WEEK_DAYS = 5


def _day(value: Any, what: str) -> date:
    if value in (None, ""):
        raise ValueError(f"the task has no {what}, so the assignment's period is unknown; set it in Kantata")
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"the task's {what} {value!r} is not a date") from None


def _task(record: Mapping[str, Any]) -> Mapping[str, Any]:
    story = record.get("story")
    if not isinstance(story, Mapping):
        raise ValueError("the assignment was read without its task (read it with include=story)")
    return story


def assignment_hours_per_week(record: Mapping[str, Any], context: MappingContext) -> str | None:
    """The estimate, in hours, spread over the task's working days, as hours a week (5 working days)."""
    minutes = record.get("estimated_minutes")
    if minutes in (None, ""):
        return None
    task = _task(record)
    start, due = _day(task.get("start_date"), "start date"), _day(task.get("due_date"), "due date")
    days = working_days(start, due)
    if days == 0:
        raise ValueError(
            f"the task runs from {start} to {due}, which holds no working day to plan its estimate on"
        )
    return str(Decimal(int(minutes)) / 60 * _WEEK_DAYS / days)


def assignment_end_date(record: Mapping[str, Any], context: MappingContext) -> str | None:
    """The task's due date; for an assignment no longer current, the day Kantata took it back (not before
    the task starts, not after it is due)."""
    task = _task(record)
    due = _day(task.get("due_date"), "due date")
    if str(record.get("current")).lower() != "false":
        return due.isoformat()
    start = _day(task.get("start_date"), "start date")
    stamp = record.get("updated_at")
    taken_back = datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).date() if stamp else due
    return max(start, min(due, taken_back)).isoformat()
