"""``concord demo``: a month of a generated firm with Concord switched on (``concord.demo``), or, with
``--engine``, the engine under faults: the two-step ``mirror`` flow over a few thousand changes against the
test connector, which throws transient errors, timeouts and 429 bursts at it and refuses a few records.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from concord.bootstrap import Concord, bootstrap
from concord.cli.common import console
from concord.engine.runtime import Progress as EngineProgress
from concord.observe.logging import configure_logging
from concord.settings import BreakerSettings, DeliverySettingsModel, RetrySettings, Settings
from concord.testing.connector import Behaviour, TestConnector
from concord.testing.mirror_flow import MIRROR_FLOW, MIRROR_SOURCE, generate_changes, mirror_schemas


def demo(
    firm: str = typer.Option("mid", help="The generated firm: small, mid or large."),
    days: int = typer.Option(30, min=1, max=92, help="Simulated calendar days."),
    seed: int = typer.Option(1, help="Seed of the firm and of its people's behaviour."),
    exit_: bool = typer.Option(False, "--exit", help="Exit after the summary (never wait for Enter)."),
    summary_json: Path | None = typer.Option(None, help="Also write the summary as JSON here."),
    data_dir: Path = typer.Option(Path(".sandbox"), help="Use the sandbox running from here, if any."),
    workdir: Path = typer.Option(Path(".concord-demo"), help="Concord's store and configuration."),
    engine_kills: int = typer.Option(
        0, min=0, max=20, help="Run Concord's worker in its own process and SIGKILL it this many times."
    ),
    faults: bool = typer.Option(
        False, help="10 % transient errors and 429 bursts all month, then a 2-minute NetSuite outage."
    ),
    engine: bool = typer.Option(False, "--engine", help="Run the engine demo instead (test connector)."),
    changes: int = typer.Option(3000, min=1, max=1_000_000, help="--engine: how many changes to sync."),
    records: int = typer.Option(400, min=1, help="--engine: over how many records."),
    database: str = typer.Option(None, help="--engine: keep the store here (default: a temporary file)."),
) -> None:
    """A month of a generated firm with Concord switched on, and the summary a COO reads."""
    if engine:
        engine_demo(changes, records, seed, database)
        return
    if firm not in ("small", "mid", "large"):
        raise typer.BadParameter("--firm must be small, mid or large")
    from concord.cli.month_demo_cmd import run_month_demo
    from concord.demo.month import MonthScenario
    from concord.demo.rough import Roughness

    rough = Roughness(engine_kills=engine_kills, faults=faults)
    scenario = MonthScenario(firm=firm, days=days, seed=seed, data_dir=data_dir, workdir=workdir, rough=rough)
    run_month_demo(scenario, summary_json, wait=not exit_)


def engine_demo(changes: int, records: int, seed: int, database: str | None) -> None:
    """Sync a few thousand changes through a two-step flow while the target misbehaves."""
    workdir = Path(tempfile.mkdtemp(prefix="concord-demo-"))
    url = database or f"sqlite:///{workdir / 'concord.db'}"
    feed = generate_changes(changes, records=records, seed=seed, invalid_every=max(changes // 5, 1) + 1)
    # The last version of a few records is refused for good: their exceptions stay open for a person.
    latest = {c.payload["key"]: c.payload["version"] for c in feed}
    refused = {(key, latest[key]) for key in sorted(latest)[:: max(len(latest) // 3, 1)]}
    behaviour = Behaviour(
        transient_rate=0.2,
        timeout_rate=0.02,
        hang_s=5,
        throttle_every=40,
        throttle_burst=3,
        retry_after_s=0.3,
        reject=lambda c: (
            "customer credit hold: the target refuses new records for this account"
            if c.action == "confirm" and (c.payload["key"], c.payload["version"]) in refused
            else None
        ),
        seed=seed,
    )
    connector = TestConnector(feed=feed, behaviour=behaviour)
    settings = Settings(
        database_url=url,
        retry=RetrySettings(initial_s=0.05, max_delay_s=2.0, jitter=0.3, max_attempts=30),
        breaker=BreakerSettings(failure_threshold=8, cooldown_s=0.5),
        delivery=DeliverySettingsModel(call_timeout_s=0.5, batch_size=300),
    )
    concord = bootstrap(
        settings,
        connectors={"test": connector},
        flows=[MIRROR_FLOW],
        schemas=mirror_schemas(),
        sources=[MIRROR_SOURCE],
    )
    configure_logging("ERROR")  # the summary tells the story; warnings would tear the progress bar
    console.print(f"[bold]Concord engine demo[/]: {changes} changes over {records} records, store {url}")
    console.print(
        "The target answers 20 % transient errors, 2 % timeouts and bursts of 429 with Retry-After.\n"
    )
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        detect = bar.add_task("changes recorded", total=changes)
        settle = bar.add_task("commands settled", total=None)

        def show(p: EngineProgress) -> None:
            bar.update(detect, completed=p.recorded + p.duplicates + p.rejected)
            bar.update(settle, completed=p.settled)

        asyncio.run(concord.worker.run(until_idle=True, on_progress=show))
    _summary(concord, connector, time.perf_counter() - started)
    concord.close()


def _summary(concord: Concord, connector: TestConnector, elapsed: float) -> None:
    progress = concord.worker.progress
    with concord.store.transaction() as tx:
        instances = tx.instances.count_by_status()
        exceptions = tx.exceptions.list(limit=10_000)
    effects = connector.ledger.effects()
    calls = connector.ledger.calls()
    keys = Counter(e.idempotency_key for e in effects)
    table = Table(title="Summary", show_header=False)
    table.add_row("changes detected", str(progress.detected))
    table.add_row("events recorded", str(progress.recorded))
    table.add_row("changes rejected by validation", str(progress.rejected))
    for status, count in sorted(instances.items()):
        table.add_row(f"flow instances {status}", str(count))
    table.add_row("calls received by the target", str(len(calls)))
    table.add_row(
        "effects at the target", f"{len(effects)} ({sum(1 for n in keys.values() if n > 1)} duplicated)"
    )
    transitions = concord.breakers.transitions()
    table.add_row("circuit breaker transitions", str(len(transitions)))
    table.add_row("elapsed", f"{elapsed:.1f} s ({progress.recorded / elapsed:.0f} changes/s)")
    console.print(table)
    counts = Counter(row["category"] for row in exceptions)
    statuses: dict[str, Counter[str]] = {}
    examples: dict[str, str] = {}
    for row in exceptions:
        statuses.setdefault(row["category"], Counter())[row["status"]] += 1
        examples.setdefault(row["category"], row["message"])
    ex_table = Table("category", "count", "statuses", "example message", title="Exceptions")
    for category in sorted(counts):
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(statuses[category].items()))
        ex_table.add_row(category, str(counts[category]), by_status, examples[category])
    console.print(ex_table if counts else "No exceptions.")
