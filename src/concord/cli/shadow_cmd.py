"""``concord shadow``: what the writes to shadowed systems would have done (``shadow`` in the configuration).

The report is what a firm reads before it switches a system from its old integration to Concord: per
system and object, how many records Concord would create, update, leave unchanged (or could not compare),
and which fields it would change, with examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.table import Column, Table

from concord.cli.common import ConfigOption, DatabaseOption, console, engine
from concord.connectors.shadow_diff import CREATE, DELETE, UNCHANGED, UNREAD, UPDATE
from concord.storage.sql.shadow_store import ShadowReport

shadow_app = typer.Typer(
    help="Shadow mode: the writes Concord computed for shadowed systems.", no_args_is_help=True
)

ACTIONS = (CREATE, UPDATE, UNCHANGED, UNREAD, DELETE)
SHOWN = 60
"""Characters of a value an example shows."""


@shadow_app.command("report")
def report(
    system: str = typer.Option(None, "--system", help="Only this system (a configured connector name)."),
    as_json: bool = typer.Option(False, "--json", help="The report as one JSON document, for scripts."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Counts by system, object and action, and the fields the updates would change, with examples."""
    with engine(config, database, with_plugins=False) as concord, concord.store.transaction() as tx:
        found = tx.shadow.report(system)
    if as_json:
        typer.echo(json.dumps(as_document(found), default=str))
        return
    if not found.counts:
        console.print("No shadowed writes recorded" + (f" for {system}." if system else "."))
        return
    console.print(_counts_table(found))
    if found.fields:
        console.print(_fields_table(found))
    else:
        console.print("No record would change a field it holds.")


def as_document(found: ShadowReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "counts": [{"system": s, "object_type": o, "action": a, "count": n} for s, o, a, n in found.counts],
        "fields": [
            {
                "system": f.system,
                "object_type": f.object_type,
                "field": f.field,
                "count": f.count,
                "examples": f.examples,
            }
            for f in found.fields
        ],
    }


def _counts_table(found: ShadowReport) -> Table:
    tally: dict[tuple[str, str], dict[str, int]] = {}
    for system, object_type, action, count in found.counts:
        tally.setdefault((system, object_type), {})[action] = count
    # Only the actions that occur, so that the table fits a terminal.
    shown = [a for a in ACTIONS if any(a in by_action for by_action in tally.values())]
    table = Table(
        _name("system"),
        _name("object"),
        *(Column(a, justify="right", min_width=len(a)) for a in (*shown, "total")),
        title="Writes Concord would make",
        box=box.SIMPLE,
    )
    for (system, object_type), by_action in sorted(tally.items()):
        cells = [str(by_action.get(a, 0)) for a in shown]
        table.add_row(system, object_type, *cells, str(sum(by_action.values())))
    return table


def _fields_table(found: ShadowReport) -> Table:
    table = Table(
        _name("system"),
        _name("object"),
        _name("field"),
        Column("records", justify="right"),
        "example",
        title="Fields the updates would change",
        box=box.SIMPLE,
    )
    for item in found.fields:
        example = item.examples[0]
        where = f"id {example['platform_id']}" if example.get("platform_id") else example["global_id"]
        change = f"{where}: {_shown(example.get('current'))} → {_shown(example.get('would_write'))}"
        table.add_row(item.system, item.object_type, item.field, str(item.count), change)
    return table


def _name(header: str) -> Column:
    # Names are never cut: the counts and examples give way on a narrow terminal.
    return Column(header, no_wrap=True, min_width=len(header))


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
