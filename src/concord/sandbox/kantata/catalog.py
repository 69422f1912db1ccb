"""The resources this emulator serves, declared from the Kantata OX API v1 reference.

Attribute lists follow ``mavenlink/mavenlink_gem`` ``lib/config/specification.yml`` and the published
OpenAPI (via ``api-evangelist/mavenlink``); see /work/shared/reference/api-contracts.md §4.
"""

from __future__ import annotations

from concord.sandbox.kantata import rules_misc as misc
from concord.sandbox.kantata import rules_projects as projects
from concord.sandbox.kantata import rules_time as time
from concord.sandbox.kantata.envelope import Catalog
from concord.sandbox.kantata.fields import FieldKind as K
from concord.sandbox.kantata.fields import FieldSpec as F
from concord.sandbox.kantata.filters import date_between, equals, flag, one_of, text_one_of
from concord.sandbox.kantata.hooks import ResourceHooks
from concord.sandbox.kantata.specs import BelongsTo, HasMany, PolymorphicSubject, ResourceSpec


def _external_refs(subject_type: str) -> HasMany:
    return HasMany(
        "external_references", "subject_id", "external_reference_ids", (("subject_type", subject_type),)
    )


def _custom_values(subject_type: str) -> HasMany:
    return HasMany(
        "custom_field_values", "subject_id", "custom_field_value_ids", (("subject_type", subject_type),)
    )


USERS = ResourceSpec(
    collection="users",
    singular="user",
    subject_type="User",
    event_subject="user",
    fields=(
        F("full_name", K.STRING, required=True, max_length=255),
        F("email_address", K.STRING, required=True, max_length=255),
        F("headline", K.STRING, max_length=255),
        F("disabled", K.BOOLEAN),
        F("role_id", K.REFERENCE, target="roles"),
    ),
    associations={
        "role": BelongsTo("role_id", "roles", always_rendered=False),
        "external_references": _external_refs("User"),
        "custom_field_values": _custom_values("User"),
    },
    orders=("created_at", "updated_at", "full_name", "id"),
    default_order="id:asc",
    searchable=("full_name", "email_address"),
    hooks=ResourceHooks(prepare=misc.prepare_user, validate=misc.validate_user),
)

ROLES = ResourceSpec(
    collection="roles",
    singular="role",
    subject_type="Role",
    event_subject="role",
    fields=(F("name", K.STRING, required=True, max_length=255),),
    associations={"external_references": _external_refs("Role")},
    orders=("created_at", "updated_at", "name", "id"),
    default_order="name:asc",
    searchable=("name",),
)

WORKSPACES = ResourceSpec(
    collection="workspaces",
    singular="workspace",
    subject_type="Workspace",
    event_subject="workspace",
    fields=(
        F("title", K.STRING, max_length=255),
        F("creator_role", K.STRING, updatable=False),
        F("description", K.STRING),
        F("start_date", K.DATE),
        F("due_date", K.DATE),
        F("budgeted", K.BOOLEAN),
        F("price", K.DECIMAL),
        F("price_in_cents", K.INTEGER, minimum=0),
        F("currency", K.CURRENCY),
        F("status_key", K.INTEGER),
        F("archived", K.BOOLEAN, creatable=False),
        F("access_level", K.CHOICE, choices=("invitation", "open", "admin")),
        F("rate_card_id", K.REFERENCE, target="rate_cards"),
        F("require_time_approvals", K.BOOLEAN),
        F("require_expense_approvals", K.BOOLEAN),
        F("tasks_default_non_billable", K.BOOLEAN),
    ),
    associations={
        "creator": BelongsTo("creator_id", "users"),
        "participations": HasMany("participations", "workspace_id", "participation_ids"),
        "participants": HasMany(
            "participations", "workspace_id", "participant_ids", through_key="user_id", through_target="users"
        ),
        "external_references": _external_refs("Workspace"),
        "custom_field_values": _custom_values("Workspace"),
    },
    orders=("created_at", "updated_at", "title", "start_date", "due_date", "id"),
    default_order="updated_at:desc",
    searchable=("title",),
    hooks=ResourceHooks(
        prepare=projects.prepare_workspace,
        validate=projects.validate_workspace,
        default_scope=projects.workspace_scope,
    ),
)

STORIES = ResourceSpec(
    collection="stories",
    singular="story",
    subject_type="Story",
    event_subject="story",
    fields=(
        F("title", K.STRING, max_length=255),
        F("story_type", K.CHOICE, required=True, choices=("task", "deliverable", "milestone", "issue")),
        F("workspace_id", K.REFERENCE, required=True, updatable=False, target="workspaces"),
        F("description", K.STRING),
        F("parent_id", K.REFERENCE, target="stories"),
        F("start_date", K.DATE),
        F("due_date", K.DATE),
        F("state", K.CHOICE, choices=("not started", "started", "needs info", "completed")),
        F("billable", K.BOOLEAN),
        F("fixed_fee", K.BOOLEAN),
        F("budget_estimate_in_cents", K.INTEGER, minimum=0),
        F("time_estimate_in_minutes", K.INTEGER, minimum=0),
        F("percentage_complete", K.INTEGER, minimum=0),
        F("weight", K.INTEGER, minimum=0),
        F("archived", K.BOOLEAN),
    ),
    associations={
        "workspace": BelongsTo("workspace_id", "workspaces"),
        "parent": BelongsTo("parent_id", "stories"),
        "creator": BelongsTo("creator_id", "users", always_rendered=False),
        "sub_stories": HasMany("stories", "parent_id", "sub_story_ids"),
        "current_assignments": HasMany(
            "assignments", "story_id", "current_assignment_ids", (("current", "True"),)
        ),
        "assignees": HasMany(
            "assignments", "story_id", "assignee_ids", through_key="assignee_id", through_target="users"
        ),
        "external_references": _external_refs("Story"),
        "custom_field_values": _custom_values("Story"),
    },
    orders=("created_at", "updated_at", "due_date", "start_date", "position", "title", "id"),
    default_order="position:asc",
    searchable=("title",),
    soft_delete=True,
    hooks=ResourceHooks(
        prepare=projects.prepare_story,
        validate=projects.validate_story,
        default_scope=projects.story_scope,
        filters={
            "workspace_id": equals("workspace_id"),
            "workspace_ids": one_of("workspace_id"),
            "with_parent_id": equals("parent_id"),
            "parents_only": lambda value, reader: lambda record: not record.get("parent_id"),
            "due_between": date_between("due_date"),
            "completed": lambda value, reader: lambda record: record.get("state") == "completed",
        },
    ),
)

PARTICIPATIONS = ResourceSpec(
    collection="participations",
    singular="participation",
    subject_type="Participation",
    event_subject="participation",
    fields=(
        F("workspace_id", K.REFERENCE, required=True, updatable=False, target="workspaces"),
        F("user_id", K.REFERENCE, required=True, updatable=False, target="users"),
        F("role", K.CHOICE, required=True, updatable=False, choices=("maven", "buyer")),
        F("team_lead", K.BOOLEAN),
        F("workspace_role_id", K.REFERENCE, target="roles"),
    ),
    associations={
        "user": BelongsTo("user_id", "users"),
        "workspace": BelongsTo("workspace_id", "workspaces"),
        "workspace_role": BelongsTo("workspace_role_id", "roles"),
        "external_references": _external_refs("Participation"),
    },
    hooks=ResourceHooks(
        prepare=projects.prepare_participation,
        validate=projects.validate_participation,
        filters={"workspace_id": equals("workspace_id"), "user_id": equals("user_id")},
    ),
)

ASSIGNMENTS = ResourceSpec(
    collection="assignments",
    singular="assignment",
    subject_type="Assignment",
    event_subject="assignment",
    fields=(
        F("story_id", K.REFERENCE, required=True, updatable=False, target="stories"),
        F("assignee_id", K.REFERENCE, required=True, updatable=False, target="users"),
        F("current", K.BOOLEAN),
        F("estimated_minutes", K.INTEGER, minimum=0),
    ),
    associations={
        "story": BelongsTo("story_id", "stories"),
        "assignee": BelongsTo("assignee_id", "users"),
        "external_references": _external_refs("Assignment"),
    },
    hooks=ResourceHooks(
        prepare=projects.prepare_assignment,
        validate=projects.validate_assignment,
        filters={
            "story_id": equals("story_id"),
            "assignee_id": equals("assignee_id"),
            "workspace_id": projects.assignments_in_workspace,
        },
    ),
)

TIME_ENTRIES = ResourceSpec(
    collection="time_entries",
    singular="time_entry",
    subject_type="TimeEntry",
    event_subject="time_entry",
    fields=(
        F("workspace_id", K.REFERENCE, required=True, updatable=False, target="workspaces"),
        F("date_performed", K.DATE, required=True),
        F("time_in_minutes", K.INTEGER, required=True),
        F("billable", K.BOOLEAN),
        F("notes", K.STRING),
        F("rate_in_cents", K.INTEGER, minimum=0),
        F("cost_rate_in_cents", K.INTEGER, minimum=0),
        F("story_id", K.REFERENCE, target="stories"),
        F("user_id", K.REFERENCE, target="users"),
        F("role_id", K.REFERENCE, target="roles"),
        F("location", K.STRING, max_length=255),
    ),
    associations={
        "workspace": BelongsTo("workspace_id", "workspaces"),
        "user": BelongsTo("user_id", "users"),
        "story": BelongsTo("story_id", "stories"),
        "role": BelongsTo("role_id", "roles"),
        "active_submission": BelongsTo(
            "active_submission_id", "timesheet_submissions", always_rendered=False
        ),
        "recent_submission": BelongsTo(
            "recent_submission_id", "timesheet_submissions", always_rendered=False
        ),
        "external_references": _external_refs("TimeEntry"),
    },
    orders=("created_at", "date_performed", "updated_at"),
    default_order="date_performed:desc",
    bulk_create=True,
    hooks=ResourceHooks(
        prepare=time.prepare_time_entry,
        validate=time.validate_time_entry,
        before_delete=time.time_entry_deletable,
        default_scope=time.from_unarchived_workspaces,
        filters={
            "workspace_id": equals("workspace_id"),
            "workspace_ids": one_of("workspace_id"),
            "with_user_ids": one_of("user_id"),
            "date_performed_between": date_between("date_performed"),
            "billable": flag("billable"),
            "approved": time.approved_filter,
            "in_active_submission": time.in_active_submission,
            "with_timesheet_id": equals("active_submission_id"),
            "with_recent_timesheet_ids": time.with_recent_timesheets,
            "invoiced": time.invoiced,
            "uninvoiced": time.uninvoiced,
        },
    ),
)

EXPENSES = ResourceSpec(
    collection="expenses",
    singular="expense",
    subject_type="Expense",
    event_subject="expense",
    fields=(
        F("workspace_id", K.REFERENCE, required=True, updatable=False, target="workspaces"),
        F("date", K.DATE, required=True),
        F("category", K.STRING, required=True, max_length=255),
        F("amount_in_cents", K.INTEGER, required=True),
        F("notes", K.STRING),
        F("billable", K.BOOLEAN),
        F("reimbursable", K.BOOLEAN),
        F("story_id", K.REFERENCE, target="stories"),
        F("user_id", K.REFERENCE, target="users"),
        F("receipt_id", K.REFERENCE),
        F("expense_category_id", K.REFERENCE),
        F("vendor_id", K.REFERENCE),
    ),
    associations={
        "workspace": BelongsTo("workspace_id", "workspaces"),
        "user": BelongsTo("user_id", "users"),
        "story": BelongsTo("story_id", "stories"),
        "active_submission": BelongsTo(
            "active_submission_id", "expense_report_submissions", always_rendered=False
        ),
        "recent_submission": BelongsTo(
            "recent_submission_id", "expense_report_submissions", always_rendered=False
        ),
        "external_references": _external_refs("Expense"),
    },
    orders=("created_at", "date", "updated_at"),
    default_order="date:desc",
    bulk_create=True,
    hooks=ResourceHooks(
        prepare=time.prepare_expense,
        validate=time.validate_expense,
        default_scope=time.from_unarchived_workspaces,
        filters={
            "workspace_id": equals("workspace_id"),
            "workspace_ids": one_of("workspace_id"),
            "with_user_ids": one_of("user_id"),
            "date_between": date_between("date"),
        },
    ),
)

RATE_CARDS = ResourceSpec(
    collection="rate_cards",
    singular="rate_card",
    subject_type="RateCard",
    event_subject="rate_card",
    fields=(F("title", K.STRING, max_length=255), F("currency", K.CURRENCY, required=True)),
    associations={
        "rate_card_versions": HasMany("rate_card_versions", "rate_card_id", "rate_card_version_ids"),
        "external_references": _external_refs("RateCard"),
    },
    emits_events=False,
)

RATE_CARD_VERSIONS = ResourceSpec(
    collection="rate_card_versions",
    singular="rate_card_version",
    subject_type="RateCardVersion",
    event_subject="rate_card_version",
    fields=(
        F("rate_card_id", K.REFERENCE, required=True, updatable=False, target="rate_cards"),
        F("default_rate", K.INTEGER, minimum=0),
        F("effective_date", K.DATE),
    ),
    associations={
        "rate_card": BelongsTo("rate_card_id", "rate_cards", always_rendered=False),
        "rate_card_roles": HasMany("rate_card_roles", "rate_card_version_id", "rate_card_role_ids"),
    },
    external_references=False,
    emits_events=False,
    hooks=ResourceHooks(filters={"rate_card_id": equals("rate_card_id")}),
)

RATE_CARD_ROLES = ResourceSpec(
    collection="rate_card_roles",
    singular="rate_card_role",
    subject_type="RateCardRole",
    event_subject="rate_card_role",
    fields=(
        F("rate_card_version_id", K.REFERENCE, required=True, updatable=False, target="rate_card_versions"),
        F("role_id", K.REFERENCE, required=True, updatable=False, target="roles"),
        F("rate", K.INTEGER, required=True, minimum=0),
    ),
    associations={
        "rate_card_version": BelongsTo("rate_card_version_id", "rate_card_versions", always_rendered=False),
        "role": BelongsTo("role_id", "roles", always_rendered=False),
    },
    external_references=False,
    emits_events=False,
    hooks=ResourceHooks(filters={"rate_card_version_id": equals("rate_card_version_id")}),
)

CUSTOM_FIELDS = ResourceSpec(
    collection="custom_fields",
    singular="custom_field",
    subject_type="CustomField",
    event_subject="custom_field",
    fields=(
        F("name", K.STRING, required=True, max_length=255),
        F("value_type", K.CHOICE, choices=("string", "date", "number", "currency", "single", "multi")),
        F("subject_type", K.CHOICE, required=True, updatable=False, choices=("Workspace", "Story", "User")),
    ),
    orders=("created_at", "updated_at", "name", "id"),
    default_order="name:asc",
)

CUSTOM_FIELD_VALUES = ResourceSpec(
    collection="custom_field_values",
    singular="custom_field_value",
    subject_type="CustomFieldValue",
    event_subject="custom_field_value",
    fields=(
        F("subject_type", K.CHOICE, required=True, updatable=False, choices=("Workspace", "Story", "User")),
        F("subject_id", K.REFERENCE, required=True, updatable=False),
        F("custom_field_id", K.REFERENCE, required=True, updatable=False, target="custom_fields"),
        F("value", K.STRING, required=True),
    ),
    associations={
        "custom_field": BelongsTo("custom_field_id", "custom_fields"),
        "subject": PolymorphicSubject(),
    },
    emits_events=False,
    hooks=ResourceHooks(
        prepare=misc.prepare_custom_value,
        validate=misc.validate_custom_value,
        filters={"subject_type": text_one_of("subject_type"), "subject_id": one_of("subject_id")},
    ),
)

CRUD_SPECS: tuple[ResourceSpec, ...] = (
    USERS,
    ROLES,
    WORKSPACES,
    STORIES,
    PARTICIPATIONS,
    ASSIGNMENTS,
    TIME_ENTRIES,
    EXPENSES,
    RATE_CARDS,
    RATE_CARD_VERSIONS,
    RATE_CARD_ROLES,
    CUSTOM_FIELDS,
    CUSTOM_FIELD_VALUES,
)
"""Resources served with the generic index/show/create/update/destroy routes."""


def build_catalog(*extra: ResourceSpec) -> Catalog:
    """The catalogue of every served resource (the generic ones plus special ones such as events)."""
    return Catalog((*CRUD_SPECS, *extra))
