"""``concord sync``: backfill one platform object's history, with a progress bar, resumable."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from concord.cli.common import ConfigOption, DatabaseOption, console, engine, errors, is_tty
from concord.connectors.backfill import Backfill, BackfillProgress
from concord.connectors.base import PlatformConnector
from concord.connectors.shadow import ShadowConnector
from concord.engine.errors import ConcordError


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date (2026-01-31) or an ISO date-time") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sync(
    system: str = typer.Option(..., "--system", help="The configured connector, e.g. salesforce."),
    object_type: str = typer.Option(
        ..., "--object", help="What to pull: a canonical object (Customer) or the platform's (Account)."
    ),
    since: str = typer.Option(None, "--since", help="Only records changed on or after this date."),
    restart: bool = typer.Option(False, help="Start again instead of resuming the last run's cursor."),
    page_size: int = typer.Option(500, min=1, max=2000, help="Records per page."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Pull a platform object's history into Concord (resumable: run it again to go on)."""
    start = _since(since)
    with engine(config, database) as concord:
        # A backfill only reads: a shadowed system's own connector does it.
        platforms = {name: _platform(c) for name, c in concord.connectors.items()}
        connector = platforms.get(system)
        if connector is None:
            known = ", ".join(n for n, c in platforms.items() if c is not None)
            errors.print(f"[red]No platform connector named '{system}'[/]; configured: {known or 'none'}")
            raise typer.Exit(2)
        canonical = _canonical(connector, object_type)
        backfill = Backfill(connector, concord.recorder, concord.store, page_size=page_size)
        result = asyncio.run(_run(backfill, connector, canonical, start, restart))
    verb = "Resumed and finished" if result.resumed else "Finished"
    console.print(
        f"{verb}: {result.pulled} {canonical} records pulled from {system} "
        f"({result.recorded} new, {result.duplicates} already recorded, {result.rejected} rejected "
        f"into the exception queue) at {result.rate:,.0f} records/s."
    )


def _platform(connector: object) -> PlatformConnector | None:
    if isinstance(connector, ShadowConnector):
        connector = connector.inner
    return connector if isinstance(connector, PlatformConnector) else None


def _canonical(connector: PlatformConnector, name: str) -> str:
    for mapping in connector.services.mappings.for_platform(connector.platform):
        if name in (mapping.canonical, mapping.platform_object):
            return mapping.canonical
    known = sorted(
        f"{m.platform_object} ({m.canonical})"
        for m in connector.services.mappings.for_platform(connector.platform)
    )
    errors.print(f"[red]{connector.name} has no mapping for '{name}'[/]; mapped: {', '.join(known)}")
    raise typer.Exit(2)


async def _run(
    backfill: Backfill, connector: PlatformConnector, canonical: str, since: datetime | None, restart: bool
) -> BackfillProgress:
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8,.0f} records/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=console, disable=not is_tty()) as bar:
            task: TaskID | None = None

            def show(progress: BackfillProgress) -> None:
                nonlocal task
                if task is None:
                    task = bar.add_task(f"{connector.name} {canonical}", total=progress.total, rate=0.0)
                total = max(progress.total or 0, progress.pulled) or None
                bar.update(task, completed=progress.pulled, total=total, rate=progress.rate)

            return await backfill.run(canonical, since=since, restart=restart, on_progress=show)
    except ConcordError as error:
        errors.print(f"[red]The backfill stopped[/] ({error}); run the same command again to resume.")
        raise typer.Exit(1) from error
    finally:
        await connector.aclose()
