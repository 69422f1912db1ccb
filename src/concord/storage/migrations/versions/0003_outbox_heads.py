"""outbox heads: the earliest unsettled command of each ordering key, for a claim that reads only heads

The claim no longer scans pending commands in ``seq`` order, so their partial index goes: every command
written and claimed would otherwise keep it up to date for nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_heads",
        sa.Column("ordering_key", sa.String(length=250), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ordering_key"),
    )
    op.create_index("ix_outbox_heads_seq", "outbox_heads", ["seq"], unique=False)
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.drop_index("ix_commands_pending")
    # Commands written before this revision get their heads now, so none of them waits for ever.
    op.execute(
        "INSERT INTO outbox_heads (ordering_key, seq) SELECT ordering_key, min(seq) FROM commands "
        "WHERE status IN ('pending', 'in_flight') GROUP BY ordering_key"
    )


def downgrade() -> None:
    with op.batch_alter_table("commands", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commands_pending",
            ["seq"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
    op.drop_index("ix_outbox_heads_seq", table_name="outbox_heads")
    op.drop_table("outbox_heads")
