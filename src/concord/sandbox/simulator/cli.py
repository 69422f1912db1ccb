"""``simulate_command``: the ``concord sandbox simulate`` command, ready to mount on a typer app::

    sandbox_app.command("simulate")(simulate_command)

It finds the sandbox through ``--status-file`` (the output of ``concord sandbox status --json``) or the
run state in ``--data-dir``, simulates with a progress bar and prints the summary (or the whole report
with ``--json``). Exit status: 0 done, 1 the sandbox refused or failed, 2 the sandbox cannot be found.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from concord.sandbox.simulator.engine import SimulationError, simulate
from concord.sandbox.simulator.http import ApiError
from concord.sandbox.simulator.report import DayReport, SimulationReport
from concord.sandbox.simulator.targets import SandboxTargets, TargetsError

DEFAULT_DATA_DIR = Path(".sandbox")


def load_targets(status_file: Path | None, data_dir: Path) -> SandboxTargets:
    """The sandbox to simulate in: from a status JSON file when given, else from the data folder.

    Raises:
        TargetsError: Neither describes a usable sandbox.
    """
    if status_file is not None:
        try:
            text = status_file.read_text()
        except OSError as exc:
            raise TargetsError(f"cannot read {status_file}: {exc.strerror or exc}") from exc
        return SandboxTargets.from_json(text)
    return SandboxTargets.from_data_dir(data_dir)


def _parse_start(start: str | None) -> date | None:
    if start is None:
        return None
    try:
        return date.fromisoformat(start)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{start!r} is not a date; write it as YYYY-MM-DD", param_hint="--start"
        ) from exc


def _run(
    targets: SandboxTargets, days: int, speed: float, seed: int, start: date | None, quiet: bool
) -> SimulationReport:
    console = Console(stderr=True)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet, transient=True) as progress:
        task = progress.add_task("Simulating days", total=days)

        def advance(day: DayReport) -> None:
            progress.update(task, advance=1, description=f"Simulated {day.day}")

        return asyncio.run(
            simulate(targets, days=days, speed=speed, seed=seed, start=start, on_progress=advance)
        )


def simulate_command(
    days: int = typer.Option(30, "--days", min=0, help="Simulated calendar days."),
    speed: float = typer.Option(
        0.0, "--speed", min=0.0, help="Simulated seconds per real second; 0 runs as fast as possible."
    ),
    seed: int = typer.Option(1, "--seed", help="Same seed and same data give the same actions."),
    start: str | None = typer.Option(
        None, "--start", help="First day (YYYY-MM-DD); default: the day after the latest logged time."
    ),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, "--data-dir", help="Data folder of the running sandbox."),
    status_file: Path | None = typer.Option(
        None, "--status-file", help="JSON from `concord sandbox status --json` (instead of --data-dir)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
) -> None:
    """Act as the firm's people would, day by day, through the emulators' APIs."""
    first_day = _parse_start(start)
    errors = Console(stderr=True)
    try:
        targets = load_targets(status_file, data_dir)
    except TargetsError as error:
        errors.print(f"[red]No sandbox:[/] {error}")
        raise typer.Exit(2) from error
    try:
        report = _run(targets, days, speed, seed, first_day, quiet=as_json)
    except (SimulationError, ApiError) as error:
        errors.print(f"[red]Simulation stopped:[/] {error}")
        raise typer.Exit(1) from error
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        typer.echo(report.summary())
