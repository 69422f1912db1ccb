"""Time approval read the Kantata way, as Concord's four time-entry states.

A Kantata time entry has no status of its own: it is submitted on a *timesheet submission* (one project,
one week) that is approved, rejected or cancelled. The entry shows ``approved`` and, when the
associations are included, its ``active_submission`` (pending or approved) and ``recent_submission``
(the latest, whatever its status). Hence:

=========== =====================================================================================
draft       no active submission (never submitted, or the last submission was cancelled)
submitted   the active submission is pending (the entry is locked)
approved    ``approved``, or the active submission is approved; also any entry of a project that
            does not require time approval (``require_time_approvals`` false), unless rejected
rejected    the most recent submission was rejected and none is active (editable again)
=========== =====================================================================================

The approver and the moment are the submission's ``current_resolution_creator_id`` and
``current_resolution_created_at_date``; a rejection's reason is its ``current_resolution_description``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from concord.connectors.http.governor import Priority
from concord.connectors.kantata.client import KantataClient
from concord.connectors.kantata.envelope import Record

APPROVAL_INCLUDES = ("active_submission", "recent_submission", "workspace")
"""What to ``include`` when reading time entries so that ``approval_of`` can judge them."""


class TimeEntryStatus(StrEnum):
    """Concord's time-entry states (domain.md §2)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Approval:
    """Where one time entry stands in approval.

    Attributes:
        status: Draft, submitted, approved or rejected.
        submission_id: The timesheet submission that decides it (None for a draft).
        approver_id: The Kantata user who approved or rejected it.
        resolved_at: When it was approved or rejected (Kantata's timestamp text).
        comment: The resolution's description (a rejection's reason).
    """

    status: TimeEntryStatus
    submission_id: str | None = None
    approver_id: str | None = None
    resolved_at: str | None = None
    comment: str | None = None


def _resolved(status: TimeEntryStatus, submission: Mapping[str, Any]) -> Approval:
    approver = submission.get("current_resolution_creator_id")
    return Approval(
        status,
        str(submission["id"]),
        None if approver is None else str(approver),
        submission.get("current_resolution_created_at_date"),
        submission.get("current_resolution_description"),
    )


def approval_of(entry: Mapping[str, Any]) -> Approval:
    """The approval state of a time entry read with ``include=`` ``APPROVAL_INCLUDES`` (and joined).

    Raises:
        ValueError: the entry was read without its submissions.
    """
    if "active_submission" not in entry or "recent_submission" not in entry:
        raise ValueError(
            "read time entries with include=active_submission,recent_submission to know their approval state"
        )
    active = entry.get("active_submission")
    recent = entry.get("recent_submission")
    if isinstance(active, Mapping):
        if entry.get("approved") or active.get("status") == "approved":
            return _resolved(TimeEntryStatus.APPROVED, active)
        return Approval(TimeEntryStatus.SUBMITTED, str(active["id"]))
    if isinstance(recent, Mapping) and recent.get("status") == "rejected":
        return _resolved(TimeEntryStatus.REJECTED, recent)
    workspace = entry.get("workspace")
    if isinstance(workspace, Mapping) and workspace.get("require_time_approvals") is False:
        return Approval(TimeEntryStatus.APPROVED)
    return Approval(TimeEntryStatus.DRAFT)


async def time_entries_with_approval(
    client: KantataClient,
    params: Mapping[str, str] | None = None,
    *,
    priority: Priority = Priority.NORMAL,
) -> AsyncIterator[tuple[Record, Approval]]:
    """Every time entry of a list (filters in ``params``) with its approval state."""
    async for entry in client.iterate("time_entries", params, include=APPROVAL_INCLUDES, priority=priority):
        yield entry, approval_of(entry)
