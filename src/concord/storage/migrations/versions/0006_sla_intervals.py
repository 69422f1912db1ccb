"""business SLA intervals: per measure and business object, started, ended, breached

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_intervals",
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("subject_key", sa.String(250), nullable=False),
        sa.Column("subject_type", sa.String(80), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.BigInteger(), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("instance_id", sa.String(330), nullable=True),
        sa.Column("traceparent", sa.String(55), nullable=False),
        sa.PrimaryKeyConstraint("measure", "subject_key", name="pk_sla_intervals"),
    )
    op.create_index(
        "ix_sla_intervals_unbreached",
        "sla_intervals",
        ["measure", "started_at"],
        sqlite_where=sa.text("breached_at IS NULL"),
        postgresql_where=sa.text("breached_at IS NULL"),
    )

    # The SLA watch reads the exceptions changed since its last look.
    op.create_index("ix_exceptions_updated", "exceptions", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_exceptions_updated", table_name="exceptions")
    op.drop_index("ix_sla_intervals_unbreached", table_name="sla_intervals")
    op.drop_table("sla_intervals")
