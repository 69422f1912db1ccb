"""The ``timesheet_submissions`` and ``expense_report_submissions`` resources (read side; their writes
live in :mod:`concord.sandbox.kantata.approvals` and :mod:`concord.sandbox.kantata.expense_approvals`)."""

from __future__ import annotations

from concord.sandbox.kantata.filters import equals, one_of, text_one_of
from concord.sandbox.kantata.hooks import ResourceHooks
from concord.sandbox.kantata.specs import BelongsTo, HasMany, ResourceSpec

STATUSES = ("pending", "approved", "rejected", "cancelled")

TIMESHEET_SUBMISSIONS = ResourceSpec(
    collection="timesheet_submissions",
    singular="timesheet_submission",
    subject_type="TimesheetSubmission",
    event_subject="timesheet",
    fields=(),
    associations={
        "user": BelongsTo("user_id", "users", always_rendered=False),
        "workspace": BelongsTo("workspace_id", "workspaces", always_rendered=False),
        "time_entries": HasMany("time_entries", "recent_submission_id", "time_entry_ids"),
        "external_references": HasMany(
            "external_references",
            "subject_id",
            "external_reference_ids",
            (("subject_type", "TimesheetSubmission"),),
        ),
    },
    orders=("date", "created_at", "updated_at"),
    default_order="date:desc",
    hooks=ResourceHooks(
        filters={
            "workspace_id": equals("workspace_id"),
            "workspace_ids": one_of("workspace_id"),
            "user_ids": one_of("user_id"),
            "statuses": text_one_of("status"),
            "active": lambda value, reader: lambda record: record.get("status") in ("pending", "approved"),
            "not_cancelled": lambda value, reader: lambda record: record.get("status") != "cancelled",
        }
    ),
)

EXPENSE_REPORT_SUBMISSIONS = ResourceSpec(
    collection="expense_report_submissions",
    singular="expense_report_submission",
    subject_type="ExpenseReportSubmission",
    event_subject="expense_report",
    fields=(),
    associations={
        "user": BelongsTo("user_id", "users", always_rendered=False),
        "workspace": BelongsTo("workspace_id", "workspaces", always_rendered=False),
        "expenses": HasMany("expenses", "recent_submission_id", "expense_ids"),
        "external_references": HasMany(
            "external_references",
            "subject_id",
            "external_reference_ids",
            (("subject_type", "ExpenseReportSubmission"),),
        ),
    },
    orders=("created_at", "updated_at"),
    default_order="created_at:desc",
    hooks=ResourceHooks(
        filters={
            "workspace_id": equals("workspace_id"),
            "workspace_ids": one_of("workspace_id"),
            "user_ids": one_of("user_id"),
            "statuses": text_one_of("status"),
        }
    ),
)
"""The ``expense_report_submissions`` resource (read side; its writes live in
:mod:`concord.sandbox.kantata.expense_approvals`)."""
