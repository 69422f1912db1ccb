"""cross-reference aliases (merges) and record memory (echo suppression, authority)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xref_aliases",
        sa.Column("merged_global_id", sa.String(length=26), nullable=False),
        sa.Column("global_id", sa.String(length=26), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merged_by", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("merged_global_id"),
    )
    op.create_table(
        "record_memory",
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("global_id", sa.String(length=26), nullable=False),
        sa.Column("system_id", sa.String(length=250), nullable=True),
        sa.Column("seen", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("written", sa.Text(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("system", "object_type", "global_id", name="pk_record_memory"),
    )


def downgrade() -> None:
    op.drop_table("record_memory")
    op.drop_table("xref_aliases")
