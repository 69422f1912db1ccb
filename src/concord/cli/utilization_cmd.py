"""``concord utilization``: per resource and ISO week, the capacity, the hours assigned, worked and
billable, the utilizations and the forecast labour cost, as the utilization flow wrote them
(``resource_weeks``)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from concord.cli.common import ConfigOption, DatabaseOption, console, errors, settings_for
from concord.domain.money import Money, canonical_decimal
from concord.domain.periods import iso_week_start
from concord.flows.utilization_plan import iso_week_label
from concord.storage.sql.store import SqlStore
from concord.storage.sql.utilization_store import StoredResourceWeek


def _percent(ratio: Decimal | None) -> str:
    """0.8125 as "81.25 %"; no capacity, no ratio: "-"."""
    return "-" if ratio is None else f"{ratio * 100:.2f} %"


def _cost(row: StoredResourceWeek) -> Money | None:
    if row.forecast_cost_amount is None or row.forecast_cost_currency is None:
        return None
    return Money(row.forecast_cost_amount, row.forecast_cost_currency)


def _hours(value: Decimal) -> str:
    return canonical_decimal(value, 2)


def as_json(row: StoredResourceWeek) -> dict[str, Any]:
    """One week as ``--json`` prints it: decimals as strings, never floats."""
    cost = _cost(row)
    ratios = {
        f"{kind}_utilization": None if value is None else canonical_decimal(value, 4)
        for kind, value in (
            ("assigned", row.assigned_utilization),
            ("worked", row.worked_utilization),
            ("billable", row.billable_utilization),
        )
    }
    return {
        "resource_id": row.resource_id,
        "resource": row.resource_name,
        "week": iso_week_label(row.week_start),
        "week_start": row.week_start.isoformat(),
        "capacity_hours": _hours(row.capacity_hours),
        "assigned_hours": _hours(row.assigned_hours),
        "worked_hours": _hours(row.worked_hours),
        "billable_hours": _hours(row.billable_hours),
        **ratios,
        "forecast_cost": None if cost is None else cost.to_json(),
        "updated_at": row.updated_at.isoformat(),
    }


def _week(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return iso_week_start(date.fromisoformat(text))
    except ValueError:
        errors.print(f"[red]--week takes a day as YYYY-MM-DD[/] (any day of the week), not {text!r}")
        raise typer.Exit(2) from None


def utilization(
    week: str | None = typer.Option(None, "--week", help="Only the ISO week holding this day (YYYY-MM-DD)."),
    as_json_output: bool = typer.Option(False, "--json", help="Machine-readable output."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Per resource and week: capacity, assigned, worked and billable hours, utilization, forecast cost."""
    monday = _week(week)
    settings = settings_for(config, database)
    store = SqlStore.open(settings.database_url, partitions=settings.partitions)
    try:
        with store.transaction() as tx:
            rows = tx.utilization.list(week=monday)
    finally:
        store.close()
    rows.sort(key=lambda r: (r.resource_name or r.resource_id, r.resource_id, r.week_start))
    if as_json_output:
        console.print_json(json.dumps([as_json(row) for row in rows]))
        return
    title = "Utilization" + (f", week {iso_week_label(monday)}" if monday else "")
    table = Table(title=title)
    columns = ("resource", "week", "capacity h", "assigned h", "worked h", "billable h")
    for column in (*columns, "assigned", "worked", "billable", "forecast cost"):
        table.add_column(column, justify="left" if column in ("resource", "week") else "right")
    for row in rows:
        cost = _cost(row)
        table.add_row(
            row.resource_name or row.resource_id,
            iso_week_label(row.week_start),
            _hours(row.capacity_hours),
            _hours(row.assigned_hours),
            _hours(row.worked_hours),
            _hours(row.billable_hours),
            _percent(row.assigned_utilization),
            _percent(row.worked_utilization),
            _percent(row.billable_utilization),
            "-" if cost is None else str(cost),
        )
    console.print(table)
    if not rows:
        console.print("No utilization yet: switch the `utilization` flow on and run Concord.")
