"""The ``concord`` command."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import typer
from rich.table import Table

from concord.cli.common import ConfigOption, DatabaseOption, console, engine, errors, settings_for
from concord.cli.demo_cmd import demo
from concord.cli.exceptions_cmd import exceptions_app
from concord.cli.mappings_cmd import mappings_app
from concord.cli.replay_cmd import replay_app
from concord.cli.sandbox_cmd import sandbox_app
from concord.cli.schema_cmd import schema_app
from concord.cli.shadow_cmd import shadow_app
from concord.cli.sla_cmd import sla
from concord.cli.sync_cmd import sync
from concord.cli.utilization_cmd import utilization
from concord.cli.xref_cmd import xref_app
from concord.settings import STARTER_CONFIG
from concord.storage.sql.database import current_revision, migrate, open_engine

app = typer.Typer(
    help="Concord: keeps a firm's CRM, PSA and ERP in one consistent state.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(mappings_app, name="mappings")
app.add_typer(replay_app, name="replay")
app.add_typer(schema_app, name="schema")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(shadow_app, name="shadow")
app.add_typer(xref_app, name="xref")
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.command("demo")(demo)
app.command("sync")(sync)
app.command("sla")(sla)
app.command("utilization")(utilization)


@app.command()
def init(
    path: Path = typer.Option(Path("concord.toml"), help="Where to write the starter configuration."),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
) -> None:
    """Write a commented starter configuration."""
    if path.exists() and not force:
        errors.print(f"[red]{path} exists[/]; use --force to overwrite it")
        raise typer.Exit(1)
    path.write_text(STARTER_CONFIG)
    console.print(f"Wrote {path}. Next: `concord migrate`, then `concord run`.")


@app.command("migrate")
def migrate_command(config: Path = ConfigOption, database: str = DatabaseOption) -> None:
    """Create or upgrade the store's schema."""
    settings = settings_for(config, database)
    store_engine = open_engine(settings.database_url)
    before = current_revision(store_engine)
    migrate(store_engine)
    console.print(f"Store at revision {current_revision(store_engine)} (was {before or 'empty'}).")
    store_engine.dispose()


@app.command()
def run(
    until_idle: bool = typer.Option(False, help="Stop when nothing is left to do."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Run a worker: detect, record, decide and deliver until stopped (Ctrl-C or SIGTERM)."""
    with engine(config, database) as concord:

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            progress = await concord.worker.run(stop=stop, until_idle=until_idle)
            console.print(
                f"Stopped: {progress.recorded} events recorded, {progress.dispatched} dispatched, "
                f"{progress.settled} commands settled."
            )

        asyncio.run(main())


@app.command()
def status(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """What the store holds: backlog, flows, commands, exceptions, cursors."""
    with engine(config, database, with_plugins=False) as concord, concord.store.transaction() as tx:
        report = {
            "store": concord.store.backend,
            "events": tx.events.count(),
            "undispatched_events": tx.partitions.backlog(),
            "flow_instances": tx.instances.count_by_status(),
            "commands": tx.outbox.count_by_status(),
            "exceptions": {f"{c}/{s}": n for (c, s), n in sorted(tx.exceptions.counts().items())},
            "cursors": {f"{s}/{o}": p for s, o, p, _ in tx.cursors.all()},
        }
    if as_json:
        console.print_json(json.dumps(report))
        return
    table = Table("what", "value", title="Concord status", show_header=False)
    for key, value in report.items():
        table.add_row(key, str(value))
    console.print(table)


@audit_app.command("verify")
def audit_verify(config: Path = ConfigOption, database: str = DatabaseOption) -> None:
    """Check the audit log's hash chain; exits 1 if an entry was edited or deleted."""
    with engine(config, database, with_plugins=False) as concord, concord.store.transaction() as tx:
        report = tx.audit.verify()
    if report.ok:
        console.print(f"Audit log intact: {report.entries} entries, chain verified.")
        return
    errors.print(
        f"[red]Audit log tampered with[/]: {report.problem} ({report.entries} entries verified before it)"
    )
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
