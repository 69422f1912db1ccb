"""``concord sla``: the business SLAs (domain.md §5) from the store, against the configured targets."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table

from concord.cli.common import ConfigOption, DatabaseOption, console, settings_for
from concord.domain.sla import format_duration
from concord.engine.ports import SystemClock
from concord.engine.sla_report import as_json, sla_report
from concord.storage.sql.store import SqlStore


def _duration(span: timedelta | None) -> str:
    return "-" if span is None else format_duration(span)


def sla(
    as_json_output: bool = typer.Option(False, "--json", help="Machine-readable output."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Per measure: how many, how fast (p50, p90, p99), and how many over the target."""
    settings = settings_for(config, database)
    store = SqlStore.open(settings.database_url, partitions=settings.partitions)
    try:
        summaries = sla_report(store, settings.sla.targets(), SystemClock().now())
    finally:
        store.close()
    if as_json_output:
        console.print_json(json.dumps([as_json(s) for s in summaries]))
        return
    table = Table(title="Business SLAs")
    for column in ("measure", "target", "done", "open", "p50", "p90", "p99", "over target"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for summary in summaries:
        table.add_row(
            summary.measure.label,
            format_duration(summary.target),
            str(summary.completed),
            str(summary.still_open),
            _duration(summary.p50),
            _duration(summary.p90),
            _duration(summary.p99),
            str(len(summary.breaches)),
        )
    console.print(table)
    for summary in summaries:
        if summary.breaches:
            console.print(f"[yellow]{summary.measure.label}:[/] {summary.breaches[0].message}")
