"""instance wake time: gathering flows wait for their inputs to settle before they run

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flow_instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wake_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_flow_instances_wake", ["wake_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_instances", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_instances_wake")
        batch_op.drop_column("wake_at")
