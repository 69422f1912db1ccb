"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 15:27:36.697516
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=330), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "commands",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("command_id", sa.String(length=26), nullable=False),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("instance_id", sa.String(length=330), nullable=True),
        sa.Column("step", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("ordering_key", sa.String(length=250), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("traceparent", sa.String(length=55), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("command_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.create_index("ix_commands_instance", ["instance_id"], unique=False)
        batch_op.create_index(
            "ix_commands_pending",
            ["seq"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            "ix_commands_unsettled",
            ["ordering_key", "seq"],
            unique=False,
            sqlite_where=sa.text("status IN ('pending', 'in_flight')"),
            postgresql_where=sa.text("status IN ('pending', 'in_flight')"),
        )
        batch_op.create_index(
            "ix_commands_in_flight",
            ["claimed_until"],
            unique=False,
            sqlite_where=sa.text("status = 'in_flight'"),
            postgresql_where=sa.text("status = 'in_flight'"),
        )

    op.create_table(
        "cursors",
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "object_type", name="pk_cursors"),
    )
    op.create_table(
        "events",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("partition_seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("aggregate_key", sa.String(length=250), nullable=False),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=250), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("traceparent", sa.String(length=55), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
        sa.UniqueConstraint("partition", "partition_seq", name="uq_events_partition_seq"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_aggregate", ["aggregate_key"], unique=False)
        batch_op.create_index("ix_events_recorded_at", ["recorded_at"], unique=False)

    op.create_table(
        "exceptions",
        sa.Column("exception_id", sa.String(length=26), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("team", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("business_type", sa.String(length=80), nullable=False),
        sa.Column("business_key", sa.String(length=250), nullable=False),
        sa.Column("business_label", sa.String(length=300), nullable=False),
        sa.Column("object_ids", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("traceparent", sa.String(length=55), nullable=False),
        sa.Column("instance_id", sa.String(length=330), nullable=True),
        sa.Column("command_id", sa.String(length=26), nullable=True),
        sa.Column("event_id", sa.String(length=26), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acted_by", sa.String(length=120), nullable=True),
        sa.Column("acted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("exception_id"),
    )
    with op.batch_alter_table("exceptions", schema=None) as batch_op:
        batch_op.create_index("ix_exceptions_category", ["category", "status"], unique=False)
        batch_op.create_index("ix_exceptions_open", ["status", "business_key"], unique=False)

    op.create_table(
        "flow_instances",
        sa.Column("instance_id", sa.String(length=330), nullable=False),
        sa.Column("flow", sa.String(length=80), nullable=False),
        sa.Column("flow_key", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("trigger_event_id", sa.String(length=26), nullable=False),
        sa.Column("business_type", sa.String(length=80), nullable=False),
        sa.Column("business_key", sa.String(length=250), nullable=False),
        sa.Column("traceparent", sa.String(length=55), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("instance_id"),
    )
    with op.batch_alter_table("flow_instances", schema=None) as batch_op:
        batch_op.create_index("ix_flow_instances_business", ["business_key"], unique=False)
        batch_op.create_index("ix_flow_instances_status", ["status"], unique=False)

    op.create_table(
        "inbox",
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        sa.Column("event_id", sa.String(length=26), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dedupe_key"),
    )
    op.create_table(
        "partitions",
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("partition"),
    )
    op.create_table(
        "xref",
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("system_id", sa.String(length=250), nullable=False),
        sa.Column("global_id", sa.String(length=26), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "object_type", "system_id", name="pk_xref"),
        sa.UniqueConstraint("global_id", "system", name="uq_xref_global_system"),
    )


def downgrade() -> None:

    op.drop_table("xref")
    op.drop_table("partitions")
    op.drop_table("inbox")
    with op.batch_alter_table("flow_instances", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_instances_status")
        batch_op.drop_index("ix_flow_instances_business")

    op.drop_table("flow_instances")
    with op.batch_alter_table("exceptions", schema=None) as batch_op:
        batch_op.drop_index("ix_exceptions_open")
        batch_op.drop_index("ix_exceptions_category")

    op.drop_table("exceptions")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_recorded_at")
        batch_op.drop_index("ix_events_aggregate")

    op.drop_table("events")
    op.drop_table("cursors")
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.drop_index("ix_commands_in_flight")
        batch_op.drop_index("ix_commands_unsettled")
        batch_op.drop_index("ix_commands_pending")
        batch_op.drop_index("ix_commands_instance")

    op.drop_table("commands")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
