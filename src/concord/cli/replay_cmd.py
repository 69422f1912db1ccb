"""``concord replay``: run events or flow instances again, without redoing what is done."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from concord.cli.common import ConfigOption, DatabaseOption, console, default_actor, engine

replay_app = typer.Typer(
    help="Replay an event, a flow instance or a time range (safe: never redoes an effect)."
)


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@replay_app.command("event")
def replay_event(event_id: str, config: Path = ConfigOption, database: str = DatabaseOption) -> None:
    """Replay one event through the flows it triggers."""
    with engine(config, database) as concord:
        console.print(str(concord.replayer.event(event_id, default_actor())))


@replay_app.command("instance")
def replay_instance(instance_id: str, config: Path = ConfigOption, database: str = DatabaseOption) -> None:
    """Re-drive a flow instance's unfinished commands."""
    with engine(config, database) as concord:
        console.print(str(concord.replayer.instance(instance_id, default_actor())))


@replay_app.command("range")
def replay_range(
    since: str = typer.Option(..., help="ISO date-time (UTC if no offset), inclusive."),
    until: str = typer.Option(..., help="ISO date-time, exclusive."),
    config: Path = ConfigOption,
    database: str = DatabaseOption,
) -> None:
    """Replay every event recorded in [since, until)."""
    try:
        start, end = _utc(since), _utc(until)
    except ValueError as error:
        raise typer.BadParameter(f"not an ISO date-time: {error}") from error
    with engine(config, database) as concord:
        console.print(str(concord.replayer.time_range(start, end, default_actor())))
