"""Utilization per resource and ISO week (``resource_weeks``), as the analytics connector writes it and
``concord utilization`` reads it.

A write carries a week's planned figures, its worked figures, or both
(``concord.domain.utilization_figures``): the parts it carries replace the stored ones, the others stay,
and the utilizations are worked out again from the row's hours and capacity with the domain's rule, so a
row never disagrees with itself. A write that changes nothing (a replay, a retried command) leaves the
row as it is, its ``updated_at`` too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Insert, RowMapping, select, update
from sqlalchemy.dialects import postgresql, sqlite

from concord.domain.utilization import utilization_ratio
from concord.domain.utilization_figures import ResourceWeekFigures
from concord.storage.sql.tables import resource_weeks

__all__ = ["ResourceWeeks", "StoredResourceWeek"]

_ZERO = Decimal("0.00")
_FIGURES = (
    "resource_name",
    "capacity_hours",
    "assigned_hours",
    "worked_hours",
    "billable_hours",
    "forecast_cost_amount",
    "forecast_cost_currency",
    "assigned_utilization",
    "worked_utilization",
    "billable_utilization",
)
"""The columns a write may change (the key and ``updated_at`` aside)."""


@dataclass(frozen=True, slots=True)
class StoredResourceWeek:
    """One row of ``resource_weeks``."""

    resource_id: str
    week_start: date
    resource_name: str | None
    capacity_hours: Decimal
    assigned_hours: Decimal
    worked_hours: Decimal
    billable_hours: Decimal
    forecast_cost_amount: Decimal | None
    forecast_cost_currency: str | None
    assigned_utilization: Decimal | None
    worked_utilization: Decimal | None
    billable_utilization: Decimal | None
    updated_at: datetime

    @classmethod
    def of(cls, row: Mapping[str, Any] | RowMapping) -> StoredResourceWeek:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


def _fresh(figures: ResourceWeekFigures) -> dict[str, Any]:
    return {
        "resource_id": figures.resource_id,
        "week_start": figures.week_start,
        "resource_name": None,
        "capacity_hours": figures.capacity_hours,
        "assigned_hours": _ZERO,
        "worked_hours": _ZERO,
        "billable_hours": _ZERO,
        "forecast_cost_amount": None,
        "forecast_cost_currency": None,
    }


def merged(row: Mapping[str, Any], figures: ResourceWeekFigures) -> dict[str, Any]:
    """``row`` with the parts ``figures`` carries, and the utilizations that follow."""
    out = dict(row)
    out["capacity_hours"] = figures.capacity_hours
    if figures.resource_name is not None:
        out["resource_name"] = figures.resource_name
    if figures.planned is not None:
        cost = figures.planned.forecast_cost
        out["assigned_hours"] = figures.planned.assigned_hours
        out["forecast_cost_amount"] = None if cost is None else cost.amount
        out["forecast_cost_currency"] = None if cost is None else cost.currency
    if figures.worked is not None:
        out["worked_hours"] = figures.worked.worked_hours
        out["billable_hours"] = figures.worked.billable_hours
    capacity = out["capacity_hours"]
    out["assigned_utilization"] = utilization_ratio(out["assigned_hours"], capacity)
    out["worked_utilization"] = utilization_ratio(out["worked_hours"], capacity)
    out["billable_utilization"] = utilization_ratio(out["billable_hours"], capacity)
    return out


def _insert_or_skip(conn: Connection) -> Insert:
    """An insert that leaves a row another transaction wrote first as it is (it is merged into next)."""
    index = ["resource_id", "week_start"]
    if conn.dialect.name == "postgresql":
        return postgresql.insert(resource_weeks).on_conflict_do_nothing(index_elements=index)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(resource_weeks).on_conflict_do_nothing(index_elements=index)
    raise NotImplementedError(f"resource weeks do not support {conn.dialect.name}")


class ResourceWeeks:
    """Write and read utilization per resource and week."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def upsert(self, figures: Sequence[ResourceWeekFigures], now: datetime) -> int:
        """Merge each week's figures into its row (created when new); returns how many rows changed."""
        by_key: dict[tuple[str, date], list[ResourceWeekFigures]] = {}
        for item in figures:
            by_key.setdefault((item.resource_id, item.week_start), []).append(item)
        return sum(self._write(key, parts, now) for key, parts in sorted(by_key.items()))

    def _write(self, key: tuple[str, date], parts: Sequence[ResourceWeekFigures], now: datetime) -> bool:
        stored = self._locked(key)
        if stored is None:
            row = _fresh(parts[0])
            for part in parts:
                row = merged(row, part)
            if self.conn.execute(_insert_or_skip(self.conn).values(**row, updated_at=now)).rowcount:
                return True
            stored = self._locked(key)  # written by another transaction meanwhile: merge into it
            assert stored is not None
        row = dict(stored)
        for part in parts:
            row = merged(row, part)
        changes = {name: row[name] for name in _FIGURES if row[name] != stored[name]}
        if not changes:
            return False
        self.conn.execute(
            update(resource_weeks)
            .where(resource_weeks.c.resource_id == key[0], resource_weeks.c.week_start == key[1])
            .values(**changes, updated_at=now)
        )
        return True

    def _locked(self, key: tuple[str, date]) -> Mapping[str, Any] | None:
        query = (
            select(resource_weeks)
            .where(resource_weeks.c.resource_id == key[0], resource_weeks.c.week_start == key[1])
            .with_for_update()
        )
        found = self.conn.execute(query).first()
        return None if found is None else dict(found._mapping)

    def list(
        self, *, week: date | None = None, resource_id: str | None = None, limit: int = 10_000
    ) -> list[StoredResourceWeek]:
        """Rows by resource then week; only the week starting ``week`` or the resource, when given."""
        query = select(resource_weeks)
        if week is not None:
            query = query.where(resource_weeks.c.week_start == week)
        if resource_id is not None:
            query = query.where(resource_weeks.c.resource_id == resource_id)
        query = query.order_by(resource_weeks.c.resource_id, resource_weeks.c.week_start).limit(limit)
        return [StoredResourceWeek.of(row._mapping) for row in self.conn.execute(query)]
