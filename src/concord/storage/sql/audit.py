"""The tamper-evident audit log: every entry's hash covers its content and the previous hash.

Editing a row breaks its own hash; deleting one breaks the next row's link; deleting the newest rows
no longer matches the stored head. ``verify`` reports the first break it finds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from concord.storage.sql.tables import audit_head, audit_log

GENESIS = "0" * 64


def entry_hash(prev_hash: str, at: datetime, actor: str, action: str, subject: str, details: Any) -> str:
    """The hash of one entry, chained to the previous one."""
    body = orjson.dumps(
        [prev_hash, at.isoformat(timespec="microseconds"), actor, action, subject, details],
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The result of walking the chain."""

    entries: int
    ok: bool
    problem: str = ""


class AuditLog:
    """Append and verify."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any], now: datetime) -> str:
        """Add an entry at the head of the chain; returns its hash."""
        head = self.conn.execute(select(audit_head).where(audit_head.c.id == 1).with_for_update()).first()
        prev = head.hash if head else GENESIS
        digest = entry_hash(prev, now, actor, action, subject, details)
        seq = self.conn.execute(
            insert(audit_log)
            .values(
                at=now,
                actor=actor,
                action=action,
                subject=subject,
                details=details,
                prev_hash=prev,
                hash=digest,
            )
            .returning(audit_log.c.seq)
        ).scalar_one()
        if head is None:
            self.conn.execute(insert(audit_head).values(id=1, seq=seq, hash=digest))
        else:
            self.conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=seq, hash=digest))
        return digest

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest entries first."""
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def verify(self) -> AuditReport:
        """Walk the whole chain from the first entry to the stored head."""
        prev, count, last_seq = GENESIS, 0, 0
        for row in self.conn.execute(select(audit_log).order_by(audit_log.c.seq)):
            if row.prev_hash != prev:
                return AuditReport(
                    count, False, f"entry {row.seq}: the entry before it was deleted or altered"
                )
            expected = entry_hash(prev, row.at, row.actor, row.action, row.subject, row.details)
            if row.hash != expected:
                return AuditReport(
                    count, False, f"entry {row.seq} ({row.action} on {row.subject}) was edited"
                )
            prev, count, last_seq = row.hash, count + 1, row.seq
        head = self.conn.execute(select(audit_head).where(audit_head.c.id == 1)).first()
        if head is None and count:
            return AuditReport(count, False, "the chain's head record is missing")
        if head is not None and (head.hash != prev or head.seq != last_seq):
            return AuditReport(
                count, False, f"entries after {last_seq} were deleted (head is entry {head.seq})"
            )
        return AuditReport(count, True)
