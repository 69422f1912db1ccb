"""`concord schema ...`: export the canonical JSON Schemas and check the models against the published ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from concord.domain.schemas import ExportStatus, check_compatibility, export_schemas, published_dir

schema_app = typer.Typer(
    help="Canonical object schemas: export them as JSON Schema, check the models stay compatible.",
    no_args_is_help=True,
)

_STATUS_WORDS = {
    ExportStatus.WRITTEN: "wrote",
    ExportStatus.UNCHANGED: "unchanged",
    ExportStatus.KEPT: "kept (published and immutable; bump SCHEMA_VERSION to publish a change)",
}


@schema_app.command("export")
def export_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write into; defaults to the package's published schemas."),
    ] = None,
) -> None:
    """Write one JSON Schema file per canonical object and version (<out>/<Name>/v<version>.json)."""
    target = published_dir() if out is None else out
    results = export_schemas(target)
    for result in results:
        typer.echo(f"{_STATUS_WORDS[result.status]}: {result.path}")
    written = sum(result.status is ExportStatus.WRITTEN for result in results)
    typer.echo(f"{written} written, {len(results) - written} already there, in {target}")


@schema_app.command("check")
def check_command(
    published: Annotated[
        Path | None,
        typer.Option("--published", help="Folder of published schemas; defaults to the package's own."),
    ] = None,
) -> None:
    """Fail (exit 1) if a canonical model breaks the published schema of its version."""
    problems = check_compatibility(published=published)
    if not problems:
        typer.echo("All canonical models are compatible with their published schemas.")
        return
    for problem in problems:
        typer.echo(f"- {problem.message}", err=True)
    typer.echo(f"{len(problems)} incompatible change(s) found.", err=True)
    raise typer.Exit(code=1)
