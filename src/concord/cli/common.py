"""What every command shares: settings, the engine, the console and error handling."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from concord.bootstrap import Concord, bootstrap_from_settings
from concord.engine.errors import ConcordError
from concord.settings import ConfigError, Settings, load_settings

console = Console()
errors = Console(stderr=True)

ConfigOption = typer.Option(None, "--config", "-c", help="Configuration file (default: ./concord.toml).")
DatabaseOption = typer.Option(None, "--database", help="Store URL; overrides the configuration.")


def settings_for(config: Path | None, database: str | None = None) -> Settings:
    """Settings, or a clean exit with the reason."""
    try:
        return load_settings(config, database_url=database)
    except ConfigError as error:
        errors.print(f"[red]Configuration error:[/] {error}")
        raise typer.Exit(2) from error


def default_actor() -> str:
    """Who is acting, for the audit log."""
    return os.environ.get("CONCORD_ACTOR") or getpass.getuser()


@contextmanager
def engine(
    config: Path | None, database: str | None = None, *, with_plugins: bool = True
) -> Iterator[Concord]:
    """A wired Concord for one command; Concord's own errors become a message and exit code 1."""
    settings = settings_for(config, database)
    if not with_plugins:
        settings = settings.model_copy(update={"flows": [], "connectors": {}})
    try:
        concord = bootstrap_from_settings(settings)
    except ConfigError as error:
        errors.print(f"[red]Configuration error:[/] {error}")
        raise typer.Exit(2) from error
    try:
        yield concord
    except ConcordError as error:
        errors.print(f"[red]{type(error).__name__}:[/] {error}")
        raise typer.Exit(1) from error
    finally:
        concord.close()


def is_tty() -> bool:
    """Whether progress bars make sense."""
    return sys.stderr.isatty()
