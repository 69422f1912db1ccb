"""gathered records: which gathering instance holds each record, so a record that moves leaves the old one

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 04:00:00

The table is filled from the instances that exist: each gathering instance's state names the records it
holds (``inputs``: "object type|aggregate key" -> {"payload", "at", "seq"}). Where a record is held by
two instances already (it moved before this table existed), the newest version's instance keeps it.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "gathered_records",
        sa.Column("flow", sa.String(80), nullable=False),
        sa.Column("record", sa.String(340), nullable=False),
        sa.Column("instance_id", sa.String(330), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "record", name="pk_gathered_records"),
    )
    holders: dict[tuple[str, str], dict[str, Any]] = {}
    instances = op.get_bind().execute(sa.text("SELECT instance_id, flow, state FROM flow_instances"))
    for instance_id, flow, state in instances:
        inputs = (json.loads(state) if isinstance(state, str) else state).get("inputs") or {}
        for record, held in inputs.items():
            seq = int(held.get("seq") or 0)
            known = holders.get((flow, record))
            if known is None or seq > known["log_seq"]:
                holders[(flow, record)] = {
                    "flow": flow,
                    "record": record,
                    "instance_id": instance_id,
                    "log_seq": seq,
                }
    if holders:
        op.bulk_insert(table, list(holders.values()))


def downgrade() -> None:
    op.drop_table("gathered_records")
