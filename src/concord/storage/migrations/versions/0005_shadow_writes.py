"""shadow writes: per write Concord computed for a shadowed target but did not make, what it would do

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shadow_writes",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("command_id", sa.String(length=26), nullable=True),
        sa.Column("system", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=False),
        sa.Column("global_id", sa.String(length=250), nullable=False),
        sa.Column("platform_id", sa.String(length=250), nullable=True),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("unread", sa.Text(), nullable=True),
        sa.Column("correlation_id", sa.String(length=32), nullable=False),
        sa.Column("instance_id", sa.String(length=330), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_shadow_writes_record", "shadow_writes", ["system", "object_type", "global_id"], unique=False
    )
    op.create_index(
        "ix_shadow_writes_action", "shadow_writes", ["system", "object_type", "action"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_shadow_writes_action", table_name="shadow_writes")
    op.drop_index("ix_shadow_writes_record", table_name="shadow_writes")
    op.drop_table("shadow_writes")
