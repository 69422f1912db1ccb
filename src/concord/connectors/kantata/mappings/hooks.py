"""Code the Kantata mapping files call: approval states, which Kantata keeps on timesheet (and expense
report) submissions rather than on the time entry (or expense) itself (see
``concord.connectors.kantata.approvals``), and the rate card a new project is priced with.

Time entries must be read with ``include=active_submission,recent_submission,workspace`` for these to
judge them; without, ``approval_of`` fails the record with a message saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from concord.connectors.kantata.approvals import TimeEntryStatus, approval_of
from concord.mapping.context import MappingContext

__all__ = [
    "RATE_CARDS",
    "currency_and_rate_card",
    "expense_approver",
    "expense_status",
    "time_entry_approved_at",
    "time_entry_approver",
    "time_entry_status",
]

RATE_CARDS = "kantata_rate_card_id"
"""Reference table: currency → the id of the Kantata rate card the firm prices projects in it with."""


def time_entry_status(record: Mapping[str, Any], context: MappingContext) -> str:
    """Draft, submitted, approved or rejected, from the entry's timesheet submissions."""
    return approval_of(record).status.value


def time_entry_approver(record: Mapping[str, Any], context: MappingContext) -> str | None:
    """The Kantata user who approved or rejected the entry (None while draft or submitted)."""
    return approval_of(record).approver_id


def time_entry_approved_at(record: Mapping[str, Any], context: MappingContext) -> str | None:
    """When the entry was approved (None unless it is approved)."""
    approval = approval_of(record)
    return approval.resolved_at if approval.status is TimeEntryStatus.APPROVED else None


def expense_status(record: Mapping[str, Any], context: MappingContext) -> str:
    """Approved when Kantata says so (or its expense report is approved), submitted while its report is
    pending, rejected when its latest report was rejected, draft otherwise.

    Expenses are read with ``include=active_submission,recent_submission`` (their expense report
    submissions); a record read without still tells approved, submitted and draft apart.
    """
    active, recent = record.get("active_submission"), record.get("recent_submission")
    if record.get("approved") or (isinstance(active, Mapping) and active.get("status") == "approved"):
        return "approved"
    if active or record.get("active_submission_id"):
        return "submitted"
    if isinstance(recent, Mapping) and recent.get("status") == "rejected":
        return "rejected"
    return "draft"


def expense_approver(record: Mapping[str, Any], context: MappingContext) -> str | None:
    """The Kantata user who approved or rejected the expense's report (None while draft or submitted)."""
    status = expense_status(record, context)
    submission = record.get("active_submission" if status == "approved" else "recent_submission")
    if status not in ("approved", "rejected") or not isinstance(submission, Mapping):
        return None
    approver = submission.get("current_resolution_creator_id")
    return None if approver is None else str(approver)


def currency_and_rate_card(currency: Any, context: MappingContext) -> Mapping[str, Any]:
    """A project's currency, and the firm's rate card for that currency when the reference table
    ``kantata_rate_card_id`` names one (Kantata then prices the project's time by role from it)."""
    fields: dict[str, Any] = {"currency": currency}
    card = context.reference(RATE_CARDS, str(currency)) if currency is not None else None
    if card is not None:
        fields["rate_card_id"] = card
    return fields
