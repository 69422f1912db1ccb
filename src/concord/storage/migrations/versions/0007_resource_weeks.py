"""resource weeks: utilization and forecast labour cost per resource and ISO week

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 00:10:00
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _exact(precision: int, scale: int) -> sa.types.TypeEngine[Decimal]:
    # NUMERIC on PostgreSQL; decimal text on SQLite, whose NUMERIC is floating point
    # (concord.storage.sql.exact_decimal).
    return sa.Numeric(precision, scale).with_variant(sa.String(precision + 2), "sqlite")


def upgrade() -> None:
    op.create_table(
        "resource_weeks",
        sa.Column("resource_id", sa.String(26), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("resource_name", sa.String(255), nullable=True),
        sa.Column("capacity_hours", _exact(8, 2), nullable=False),
        sa.Column("assigned_hours", _exact(8, 2), nullable=False),
        sa.Column("worked_hours", _exact(8, 2), nullable=False),
        sa.Column("billable_hours", _exact(8, 2), nullable=False),
        sa.Column("forecast_cost_amount", _exact(20, 4), nullable=True),
        sa.Column("forecast_cost_currency", sa.String(3), nullable=True),
        sa.Column("assigned_utilization", _exact(10, 4), nullable=True),
        sa.Column("worked_utilization", _exact(10, 4), nullable=True),
        sa.Column("billable_utilization", _exact(10, 4), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "week_start", name="pk_resource_weeks"),
    )
    op.create_index("ix_resource_weeks_week", "resource_weeks", ["week_start"])


def downgrade() -> None:
    op.drop_index("ix_resource_weeks_week", table_name="resource_weeks")
    op.drop_table("resource_weeks")
