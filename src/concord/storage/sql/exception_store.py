"""The exception queue's records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from concord.domain.ids import new_id
from concord.engine.model import ExceptionDraft, ExceptionStatus
from concord.storage.sql.event_log import chunks
from concord.storage.sql.tables import exceptions

ACTIVE = (ExceptionStatus.OPEN.value, ExceptionStatus.RETRYING.value)


class Exceptions:
    """Open, list, act on and auto-resolve exception records."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def open_many(self, drafts: Sequence[ExceptionDraft], now: datetime) -> list[str]:
        """Record new exceptions; returns their ids."""
        ids = [new_id() for _ in drafts]
        if drafts:
            self.conn.execute(insert(exceptions), [_row(i, d, now) for i, d in zip(ids, drafts, strict=True)])
        return ids

    def changed_since(self, since: datetime | None, limit: int = 10_000) -> list[dict[str, Any]]:
        """Exceptions opened or acted on at or after ``since`` (all when None), oldest change first."""
        query = select(exceptions).order_by(exceptions.c.updated_at).limit(limit)
        if since is not None:
            query = query.where(exceptions.c.updated_at >= since)
        return [dict(r._mapping) for r in self.conn.execute(query)]

    def get(self, exception_id: str) -> dict[str, Any] | None:
        """One exception as a dict."""
        row = self.conn.execute(select(exceptions).where(exceptions.c.exception_id == exception_id)).first()
        return dict(row._mapping) if row else None

    def list(
        self,
        status: str | None = None,
        category: str | None = None,
        team: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Exceptions, newest first."""
        query = select(exceptions).order_by(exceptions.c.created_at.desc(), exceptions.c.exception_id.desc())
        for column, value in (("status", status), ("category", category), ("team", team)):
            if value:
                query = query.where(exceptions.c[column] == value)
        return [dict(r._mapping) for r in self.conn.execute(query.limit(limit))]

    def set_status(
        self,
        exception_id: str,
        status: ExceptionStatus,
        actor: str,
        now: datetime,
        resolution: str | None = None,
    ) -> None:
        """Record what a person (or Concord) did."""
        self.conn.execute(
            update(exceptions)
            .where(exceptions.c.exception_id == exception_id)
            .values(status=status.value, acted_by=actor, acted_at=now, updated_at=now, resolution=resolution)
        )

    def active_keys(self, business_keys: Sequence[str], categories: Sequence[str] = ()) -> set[str]:
        """Which of these business objects have open or retrying exceptions (of ``categories``)."""
        found: set[str] = set()
        for chunk in chunks(sorted(set(business_keys))):
            query = select(exceptions.c.business_key).where(
                exceptions.c.status.in_(ACTIVE), exceptions.c.business_key.in_(chunk)
            )
            if categories:
                query = query.where(exceptions.c.category.in_(list(categories)))
            found.update(self.conn.scalars(query))
        return found

    def active_messages(self, business_keys: Sequence[str]) -> set[tuple[str, str]]:
        """(business key, message) of the active exceptions of these business objects."""
        found: set[tuple[str, str]] = set()
        for chunk in chunks(sorted(set(business_keys))):
            query = select(exceptions.c.business_key, exceptions.c.message).where(
                exceptions.c.status.in_(ACTIVE), exceptions.c.business_key.in_(chunk)
            )
            found.update((key, message) for key, message in self.conn.execute(query))
        return found

    def auto_resolve(
        self, business_key: str, reason: str, now: datetime, up_to: datetime, categories: Sequence[str] = ()
    ) -> int:
        """Close a business object's active exceptions about versions no newer than one that succeeded.

        ``up_to`` is when the succeeding version changed at its source: a success of an older version
        does not close an exception about a newer one.
        """
        condition = and_(
            exceptions.c.business_key == business_key,
            exceptions.c.status.in_(ACTIVE),
            exceptions.c.observed_at <= up_to,
            exceptions.c.created_at < now,
        )
        if categories:
            condition = and_(condition, exceptions.c.category.in_(list(categories)))
        result = self.conn.execute(
            update(exceptions)
            .where(condition)
            .values(
                status=ExceptionStatus.RESOLVED.value,
                acted_by="concord",
                acted_at=now,
                updated_at=now,
                resolution=reason,
            )
        )
        return int(result.rowcount)

    def counts(self) -> dict[tuple[str, str], int]:
        """(category, status) → count."""
        query = select(exceptions.c.category, exceptions.c.status, func.count()).group_by(
            exceptions.c.category, exceptions.c.status
        )
        return {(c, s): int(n) for c, s, n in self.conn.execute(query)}


def _row(exception_id: str, d: ExceptionDraft, now: datetime) -> dict[str, Any]:
    return {
        "exception_id": exception_id,
        "category": d.category.value,
        "team": d.team,
        "status": ExceptionStatus.OPEN.value,
        "business_type": d.business_type,
        "business_key": d.business_key,
        "business_label": d.business_label[:300],
        "object_ids": d.object_ids,
        "message": d.message,
        "detail": d.detail,
        "payload": d.payload,
        "traceparent": d.traceparent,
        "instance_id": d.instance_id,
        "command_id": d.command_id,
        "event_id": d.event_id,
        "occurrences": 1,
        "observed_at": d.observed_at,
        "created_at": now,
        "updated_at": now,
    }
