"""``concord exceptions``: the exception queue for people."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from concord.cli.common import ConfigOption, DatabaseOption, console, default_actor, engine

exceptions_app = typer.Typer(
    help="List exceptions and act on them (retry, resolve, ignore).", no_args_is_help=True
)


@exceptions_app.command("list")
def list_exceptions(
    status: str = typer.Option(None, help="open, retrying, resolved or ignored."),
    category: str = typer.Option(None, help="validation, mapping, authority, target_rejected, ..."),
    team: str = typer.Option(None, help="finance, delivery or it."),
    limit: int = typer.Option(50, min=1, max=10_000),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line, for scripts."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """The newest exceptions first."""
    with engine(config, database, with_plugins=False) as concord, concord.store.transaction() as tx:
        rows = tx.exceptions.list(status, category, team, limit)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, default=str))
        return
    table = Table("id", "status", "category", "team", "message", show_lines=False)
    for row in rows:
        table.add_row(row["exception_id"], row["status"], row["category"], row["team"], row["message"])
    console.print(table if rows else "No exceptions match.")


@exceptions_app.command("show")
def show(exception_id: str, config: Path = ConfigOption, database: str = DatabaseOption) -> None:
    """Everything about one exception."""
    with engine(config, database, with_plugins=False) as concord, concord.store.transaction() as tx:
        row = tx.exceptions.get(exception_id)
    if row is None:
        console.print(f"[red]No exception {exception_id}[/]")
        raise typer.Exit(1)
    for key, value in row.items():
        console.print(f"[bold]{key}[/]: {value}")


@exceptions_app.command("retry")
def retry(
    exception_id: str,
    actor: str = typer.Option(None, help="Who acts (default: $CONCORD_ACTOR or the login name)."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Try again after the cause was fixed (the running worker picks the work up)."""
    with engine(config, database) as concord:
        console.print(concord.exceptions.retry(exception_id, actor or default_actor()))


@exceptions_app.command("resolve")
def resolve(
    exception_id: str,
    note: str = typer.Option(..., help="Why it is resolved."),
    actor: str = typer.Option(None),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Close an exception that was fixed outside Concord."""
    with engine(config, database) as concord:
        concord.exceptions.resolve(exception_id, actor or default_actor(), note)
        console.print(f"Exception {exception_id} resolved.")


@exceptions_app.command("ignore")
def ignore(
    exception_id: str,
    note: str = typer.Option(..., help="Why it will not be acted on."),
    actor: str = typer.Option(None),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Close an exception that will not be acted on."""
    with engine(config, database) as concord:
        concord.exceptions.ignore(exception_id, actor or default_actor(), note)
        console.print(f"Exception {exception_id} ignored.")
