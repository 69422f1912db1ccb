"""``concord xref``: look up a record's ids in every system, link a record, merge two entities.

These commands need only the store, so they open it directly rather than wiring connectors and flows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.table import Table

from concord.cli.common import ConfigOption, DatabaseOption, console, default_actor, errors, settings_for
from concord.engine.crossref import GLOBAL, CrossReferenceService, system_label
from concord.engine.errors import ConcordError
from concord.engine.ports import SystemClock
from concord.storage.sql.store import SqlStore

xref_app = typer.Typer(
    help="The cross-reference: one global id per business entity and its id in each system.",
    no_args_is_help=True,
)


@contextmanager
def _service(config: Path | None, database: str | None) -> Iterator[CrossReferenceService]:
    """The service on the configured store; Concord's own errors become a message and exit code 1."""
    settings = settings_for(config, database)
    store = SqlStore.open(settings.database_url, partitions=settings.partitions)
    try:
        yield CrossReferenceService(store, SystemClock())
    except ConcordError as error:
        errors.print(f"[red]{type(error).__name__}:[/] {error}")
        raise typer.Exit(1) from error
    finally:
        store.close()


@xref_app.command("show")
def show(
    system: str = typer.Argument(..., help=f"The system the id is from, or '{GLOBAL}' for a global id."),
    object_type: str = typer.Argument(..., help="Canonical object, e.g. Customer, Project."),
    record_id: str = typer.Argument(..., metavar="ID", help="The record's id in that system."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """The global id of a record and its id in every system (a merged id shows its survivor)."""
    with _service(config, database) as service, service.store.transaction() as tx:
        global_id = service.resolve(system, object_type, record_id, GLOBAL, tx=tx)
        ids = service.ids(global_id, tx=tx) if global_id else {}
        aliases = tx.xref.aliases(global_id) if global_id else []
    if global_id is None:
        errors.print(f"[red]Concord knows no {object_type} {record_id} in {system}.[/]")
        raise typer.Exit(1)
    if as_json:
        merged = [a["merged_global_id"] for a in aliases]
        typer.echo(json.dumps({"global_id": global_id, "ids": ids, "merged": merged}))
        return
    table = Table("system", "id", title=f"{object_type} {global_id}")
    for name, system_id in sorted(ids.items()):
        table.add_row(system_label(name), system_id)
    console.print(table)
    for alias in aliases:
        console.print(
            f"merged in: {alias['merged_global_id']} by {alias['merged_by']} "
            f"on {alias['merged_at']:%Y-%m-%d %H:%M} ({alias['reason']})"
        )


@xref_app.command("link")
def link(
    global_id: str,
    system: str,
    object_type: str,
    record_id: str = typer.Argument(..., metavar="ID"),
    actor: str = typer.Option(None, help="Who acts (default: $CONCORD_ACTOR or the login name)."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Record that a system's record is the entity GLOBAL_ID (refused if it already is another one)."""
    with _service(config, database) as service:
        service.link(global_id, system, object_type, record_id, by=actor or default_actor())
        linked = service.global_id(system, object_type, record_id)
    console.print(f"{object_type} {record_id} in {system_label(system)} is {linked}.")


@xref_app.command("merge")
def merge(
    surviving: str = typer.Argument(..., help="The global id that stays."),
    merged: str = typer.Argument(..., help="The global id that becomes an alias of the surviving one."),
    object_type: str = typer.Option(..., "--object-type", "-t", help="E.g. Customer."),
    reason: str = typer.Option(..., help="Why they are the same business entity (kept in the audit log)."),
    actor: str = typer.Option(None, help="Who acts (default: $CONCORD_ACTOR or the login name)."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Merge two global ids that are the same business entity (audited; the merged id keeps resolving)."""
    with _service(config, database) as service:
        done = service.merge(surviving, merged, object_type, by=actor or default_actor(), reason=reason)
    if done is None:
        console.print(f"{merged} and {surviving} are already one {object_type}.")
        return
    moved = ", ".join(f"{system_label(s)} {i}" for s, i in sorted(done.moved.items()))
    console.print(f"Merged {done.merged} into {done.surviving}; moved: {moved}.")
