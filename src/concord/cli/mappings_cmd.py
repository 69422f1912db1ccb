"""``concord mappings``: check the mapping files and run their examples.

``check`` loads every mapping file and its examples file and lists the problems (``file:line: what;
fix``). ``test`` runs each mapping's examples and shows, for each, the canonical fields made (with the
platform field and transform each came from) or the platform body written. Both exit 1 on any problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from concord.cli.common import console, errors
from concord.mapping import MappingError, MappingSet, Problem, load_mappings
from concord.mapping.examples import ExampleResult, load_examples, run_examples

mappings_app = typer.Typer(help="Mapping files: check them, run their examples.", no_args_is_help=True)

DirOption = typer.Option(
    None,
    "--dir",
    "-d",
    help="A folder of mapping files (repeatable; default: the shipped connectors' folders).",
)


def _print_problems(problems: Sequence[Problem | str]) -> None:
    for problem in problems:
        errors.print(str(problem), soft_wrap=True, markup=False, highlight=False)


def _load(directories: list[Path] | None) -> MappingSet:
    try:
        return load_mappings(directories or None)
    except MappingError as error:
        _print_problems(error.problems or [str(error)])
        count = len(error.problems)
        errors.print(f"[red]{count} problem{'s' if count != 1 else ''}[/] in the mapping files.")
        raise typer.Exit(1) from error


@mappings_app.command("check")
def check(directories: list[Path] | None = DirOption) -> None:
    """Validate every mapping file and its examples; exit 1 listing each problem as file:line."""
    mappings = _load(directories)
    problems: list[Problem] = []
    table = Table("platform", "object", "canonical", "direction", "rules", "examples", title="Mappings")
    for mapping in mappings:
        examples, found = load_examples(mapping)
        problems += found
        direction = "both" if len(mapping.directions) == 2 else next(iter(mapping.directions))
        count = str(len(examples.spec.examples)) if examples else "[red]invalid[/]"
        table.add_row(
            mapping.platform,
            mapping.platform_object,
            mapping.canonical,
            direction,
            str(len(mapping.rules)),
            count,
        )
    console.print(table)
    if problems:
        _print_problems(sorted(problems))
        errors.print(
            f"[red]{len(problems)} problem{'s' if len(problems) != 1 else ''}[/] in the examples files."
        )
        raise typer.Exit(1)
    console.print(f"[green]{len(mappings)} mappings OK[/].")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(item: Any) -> str:
    return format(item, "f") if isinstance(item, Decimal) else str(item)


def _print_result(result: ExampleResult, brief: bool) -> None:
    mark = "[green]✓[/]" if result.passed else "[red]✗[/]"
    where = f"{result.mapping.path.name.removesuffix('.yaml')}.examples.yaml:{result.line}"
    console.print(f"{mark} {result.name} [dim]({result.direction}, {where})[/]", soft_wrap=True)
    if result.error is not None and result.passed and not brief:
        console.print(f"    refused as expected: {result.error}", markup=False, soft_wrap=True)
    if not brief and result.output is not None:
        if result.direction == "inbound":
            table = Table("canonical field", "value", "from", box=None, padding=(0, 2, 0, 4))
            for path, lineage in result.lineage.items():
                value = _value_at(result.output, path)
                source = ", ".join(lineage.fields) or "-"
                # A hook's module path is long and the same for every rule: its function name is enough.
                how = re.sub(r"hook [\w.]+:", "hook ", lineage.transform)
                table.add_row(path, _show(value), f"{source} [dim]({how})[/]")
        else:
            table = Table("platform field", "value", box=None, padding=(0, 2, 0, 4))
            for name, value in result.output.items():
                table.add_row(name, _show(value))
        console.print(table)
    for problem in result.problems:
        errors.print(f"    {problem}", markup=False, soft_wrap=True, highlight=False)


def _value_at(values: dict[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    return current


@mappings_app.command("test")
def test(
    match: str | None = typer.Argument(None, help="Run only mappings whose file name contains this text."),
    directories: list[Path] | None = DirOption,
    brief: bool = typer.Option(False, "--brief", help="One line per example, without the results."),
) -> None:
    """Run each mapping's examples and show the canonical result; exit 1 if any example fails."""
    mappings = _load(directories)
    chosen = [m for m in mappings if match is None or match.lower() in m.path.name.lower()]
    if not chosen:
        errors.print(f"[red]No mapping file matches {match!r}.[/]")
        raise typer.Exit(1)
    summary = Table("mapping", "examples", "passed", "failed", title="Examples")
    failed_total = 0
    for mapping in chosen:
        console.rule(f"{mapping.path.name}  [dim]{mapping.label} ↔ {mapping.canonical}[/]")
        examples, problems = load_examples(mapping)
        if examples is None:
            _print_problems(problems)
            failed_total += 1
            summary.add_row(mapping.path.name, "-", "-", "[red]invalid[/]")
            continue
        results = run_examples(mapping, examples)
        for result in results:
            _print_result(result, brief)
        failed = sum(not r.passed for r in results)
        failed_total += failed
        summary.add_row(
            mapping.path.name,
            str(len(results)),
            str(len(results) - failed),
            f"[red]{failed}[/]" if failed else "0",
        )
    console.print(summary)
    if failed_total:
        errors.print(f"[red]{failed_total} example{'s' if failed_total != 1 else ''} failed.[/]")
        raise typer.Exit(1)
    console.print("[green]All examples pass.[/]")
