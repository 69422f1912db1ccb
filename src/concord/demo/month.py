"""A month of a firm with Concord switched on: the sandbox's three platforms seeded with a generated firm,
Concord embedded (SQLite) running its flows over them while the business simulator acts as the firm's
people, day by day, through the platforms' own APIs.

Concord is switched on the way a firm would do it: it provisions the deals contracted from the first day
of the current month (earlier ones were provisioned by the old process), posts the time approved from the
moment it is switched on (by the platforms' clock), and first aligns the firm's people between the PSA
and the ERP by e-mail address. The firm's next day begins once Concord has worked through that backlog,
as the rest of a real switch-on day would allow. When the simulated month is over, Concord works until
nothing is left to do, and the summary is read from its store and from the platforms.

The firm bills time and materials weekly and managed services at the start of each period; its fixed fees
bill by milestone (see ``_configuration``).

A sandbox already running in ``data_dir`` (``concord sandbox up --detach``) is used and left running, so
its data can be inspected afterwards; otherwise the demo starts its own in a temporary folder, seeds the
firm, and stops it at the end.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml

from concord.bootstrap import Concord, bootstrap_from_settings
from concord.connectors.alignment import AlignmentReport, align_by_key
from concord.demo.platform_clock import PlatformClock
from concord.demo.rough import EngineProcess, Roughness, clear_faults, fault_counts, install_faults, outage
from concord.demo.sandbox_link import connector_options, reference_tables
from concord.engine.runtime import Progress
from concord.observe.logging import configure_logging
from concord.sandbox.firm.seeding import seed_sandbox
from concord.sandbox.launch import LaunchOptions, RunState, running_state, start_detached, stop
from concord.sandbox.simulator.engine import simulate
from concord.sandbox.simulator.report import DayReport, SimulationReport
from concord.sandbox.simulator.targets import SandboxTargets
from concord.settings import SHIPPED_BILLING, SHIPPED_PROVISIONING, RetrySettings, Settings

__all__ = ["Hooks", "MonthRun", "MonthScenario", "run_month", "settings_for"]

FLOWS = [
    "opportunity_to_project",
    "time_to_erp",
    "expenses_to_erp",
    "billing",
    "revenue",
    "change_orders",
    "utilization",
]
DRAIN_TIMEOUT_S = 420.0
CATCH_UP_TIMEOUT_S = 120.0
CATCH_UP_QUIET_S = 2.0


@dataclass(frozen=True)
class MonthScenario:
    """Which firm, how long, and where."""

    firm: str = "mid"
    days: int = 30
    seed: int = 1
    data_dir: Path = Path(".sandbox")
    """Where a running sandbox is looked for."""
    workdir: Path = Path(".concord-demo")
    """Concord's store and configuration for the run."""
    rough: Roughness = field(default_factory=Roughness)
    """Faults and worker kills during the month (``concord.demo.rough``); calm by default."""


@dataclass
class MonthRun:
    """What happened, for the summary."""

    scenario: MonthScenario
    concord: Concord
    switched_on_at: datetime
    provision_from: date
    sandbox: dict[str, Any]
    """The emulators' connection details (``status --json`` shape)."""
    urls: dict[str, str] = field(default_factory=dict)
    """Each emulator's own address (its ``/__sandbox`` admin API lives there)."""
    alignment: AlignmentReport | None = None
    simulation: SimulationReport | None = None
    progress: Progress | None = None
    elapsed_s: float = 0.0
    drained: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    kills: int = 0
    faults: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Hooks:
    """Callbacks for a live display."""

    stage: Callable[[str], None] = lambda _text: None
    day: Callable[[DayReport], None] = lambda _report: None
    engine: Callable[[Progress], None] = lambda _progress: None


@contextmanager
def _sandbox(scenario: MonthScenario, hooks: Hooks) -> Iterator[RunState]:
    running = running_state(scenario.data_dir.resolve())
    if running is not None:
        hooks.stage(f"Using the sandbox running from {running.data_dir}")
        yield running
        return
    folder = (scenario.workdir / "sandbox").resolve()
    shutil.rmtree(folder, ignore_errors=True)
    hooks.stage("Starting the sandbox (Salesforce, Kantata and NetSuite emulators)")
    options = LaunchOptions(data_dir=folder, ports={"salesforce": 0, "kantata": 0, "netsuite": 0})
    state = start_detached(options)
    try:
        hooks.stage(f"Seeding the '{scenario.firm}' firm (seed {scenario.seed}) through the platforms' APIs")
        seed_sandbox(state.access(), scenario.firm, scenario.seed, wipe_first=True)
        yield state
    finally:
        stop(folder)


def _tokens_in_real_time(state: RunState) -> None:
    """A month compressed into minutes would expire a one-hour token between two calls of the same
    second: tokens expire by real time while Concord works alongside the simulation."""
    for url in state.urls.values():
        answer = httpx.put(f"{url}/__sandbox/profile", json={"token_clock": "real"}, timeout=10)
        answer.raise_for_status()


def _platform_now(url: str) -> datetime:
    """The platform's "now": the sandbox clock, which a simulation moves through its days."""
    answer = httpx.get(f"{url}/__sandbox/clock", timeout=10)
    answer.raise_for_status()
    return datetime.fromisoformat(str(answer.json()["now"])).astimezone(UTC)


def _configuration(scenario: MonthScenario, provision_from: date) -> tuple[Path, Path, Path]:
    workdir = scenario.workdir.resolve()
    # The firm bills time and materials weekly (as firms selling staff time often do) and managed services
    # at the start of each period (as service fees usually are): both real settings, and they let a run of
    # a few weeks show every kind of invoice.
    provisioning = workdir / "provisioning.yaml"
    policy = yaml.safe_load(SHIPPED_PROVISIONING.read_text())
    provisioning.write_text(
        yaml.safe_dump({**policy, "provision_from": provision_from, "time_and_materials_billing": "weekly"})
    )
    time_posting = workdir / "time_posting.yaml"
    time_posting.write_text(
        "granularity: per_day\nclosed_period: redate\nredate_needs_finance_approval: false\n"
        "approver: anyone\nsettle: {quiet_s: 5, max_wait_s: 60}\n"
    )
    # Billing waits a minute for a burst to settle, as a firm would want; in a month compressed into minutes
    # that keeps it waiting past the month's end, and a few seconds make it bill again at every approval.
    billing = workdir / "billing.yaml"
    shipped = yaml.safe_load(SHIPPED_BILLING.read_text())
    settle = {"quiet_s": 20, "max_wait_s": 300}
    billing.write_text(yaml.safe_dump({**shipped, "settle": settle, "subscription_in_advance": True}))
    return provisioning, time_posting, billing


def settings_for(scenario: MonthScenario, emulators: dict[str, Any], provision_from: date) -> Settings:
    """Concord's settings for the sandbox's emulators (reference data read from them), as the month runs."""
    connectors = connector_options(emulators)
    references = asyncio.run(reference_tables(connectors))
    provisioning, time_posting, billing = _configuration(scenario, provision_from)
    return Settings(
        database_url=f"sqlite:///{scenario.workdir.resolve() / 'concord.db'}",
        connectors=connectors,
        flows=FLOWS,
        reference_tables=references,
        provisioning=provisioning,
        time_posting=time_posting,
        billing=billing,
        # Up to 40 attempts at most 10 s apart: a platform down for minutes delays work, never parks it.
        retry=RetrySettings(initial_s=0.5, max_delay_s=10.0, max_attempts=40),
        log_level="WARNING",
    )


def _switch_on(concord: Concord, at: datetime) -> None:
    """Concord posts time approved from now on: the PSA's time is read from this moment."""
    connector = concord.connectors["kantata"]
    cursor = connector.cursor_since(at)  # type: ignore[attr-defined]
    with concord.store.transaction() as tx:
        tx.cursors.set("kantata", "TimeEntry", cursor, at)


async def _month(run: MonthRun, targets: SandboxTargets, hooks: Hooks) -> None:
    concord, rough = run.concord, run.scenario.rough
    urls = run.urls
    stop_event = asyncio.Event()
    process: EngineProcess | None = None
    chaos: asyncio.Task[None] | None = None
    if rough.engine_kills:
        # The worker runs apart, to be killed; this process's engine only drains at the end.
        process = EngineProcess(concord.settings, run.scenario.workdir.resolve(), urls["kantata"])
        process.start()
        chaos = asyncio.create_task(process.kill_now_and_then(rough.engine_kills, run.scenario.seed))
        worker = None
    else:
        worker = asyncio.create_task(concord.worker.run(stop=stop_event, on_progress=hooks.engine))
    if rough.faults:
        install_faults(urls, run.scenario.seed)
    try:
        hooks.stage("Concord works through what waited for it (this month's contracted deals first)")
        run.timings["catch_up_s"] = await _catch_up(concord)
        # The month starts the day after Concord is switched on, so the platforms' clocks only move forward.
        first_day = run.switched_on_at.date() + timedelta(days=1)
        # The firm's people act in a thread of their own, so Concord's store calls never hold them up.
        month = simulate(
            targets, days=run.scenario.days, seed=run.scenario.seed, start=first_day, on_progress=hooks.day
        )
        run.simulation = await asyncio.to_thread(asyncio.run, month)
        if chaos is not None:
            await chaos  # every kill is made, in the month or while Concord catches up
        if process is not None:
            process.stop()
            run.kills = process.kills
            worker = asyncio.create_task(concord.worker.run(stop=stop_event, on_progress=hooks.engine))
        if rough.faults:
            hooks.stage(f"NetSuite goes down for {rough.outage_s:.0f} s while Concord catches up")
            outage(urls["netsuite"], rough.outage_s)
        hooks.stage("The month is over; Concord finishes what the last days brought")
        deadline = time.monotonic() + DRAIN_TIMEOUT_S + (rough.outage_s if rough.faults else 0.0)
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            if concord.worker.idle():
                run.drained = True
                break
    finally:
        if chaos is not None:
            chaos.cancel()
        if process is not None:
            process.stop()
        stop_event.set()
        if worker is not None:
            run.progress = await worker
        if rough.faults:
            run.faults = fault_counts(urls)
            clear_faults(urls)


async def _catch_up(concord: Concord) -> float:
    """Wait until Concord has worked through what was waiting when it was switched on: nothing detected
    is left undispatched, no command is in flight, and nothing new was detected for a moment. Returns how
    long that took.

    In a firm that is the rest of the switch-on day: the deals contracted this month are provisioned before
    the next working day begins. A simulated day lasts about a second, so starting the month at once would
    leave those projects days behind the firm's people (unstaffed, their first weeks of time and milestones
    never logged), which no real switch-on does. Gathering flows still waiting for their inputs to settle do
    not hold the month up; after ``CATCH_UP_TIMEOUT_S`` the month starts whatever is left.
    """
    started = time.monotonic()
    seen: int | None = None
    quiet_since = started
    while time.monotonic() - started < CATCH_UP_TIMEOUT_S:
        await asyncio.sleep(0.25)
        with concord.store.transaction() as tx:
            recorded, backlog, busy = tx.events.count(), tx.partitions.backlog(), tx.outbox.has_unsettled()
        if recorded != seen or backlog or busy or not recorded:
            seen, quiet_since = recorded, time.monotonic()
        elif time.monotonic() - quiet_since >= CATCH_UP_QUIET_S:
            break
    return round(time.monotonic() - started, 1)


def run_month(scenario: MonthScenario, hooks: Hooks | None = None) -> tuple[MonthRun, Callable[[], None]]:
    """Run the month; returns what happened and how to release it (stop an own sandbox, close Concord).

    The returned run's ``concord`` stays open for the summary until the release is called.
    """
    hooks = hooks or Hooks()
    scenario.workdir.mkdir(parents=True, exist_ok=True)
    (scenario.workdir / "concord.db").unlink(missing_ok=True)
    started = time.monotonic()
    sandbox = _sandbox(scenario, hooks)
    state = sandbox.__enter__()
    try:
        _tokens_in_real_time(state)
        info = state.access().connection_info()
        switched_on = _platform_now(state.urls["kantata"])
        provision_from = switched_on.date().replace(day=1)
        hooks.stage("Configuring Concord from the platforms' reference data")
        concord = bootstrap_from_settings(
            settings_for(scenario, info, provision_from),
            log_to_stderr=False,
            business_clock=PlatformClock(state.urls["kantata"]),
        )
        # The live display is the console's; Concord's warnings (each exception opened) go to a file.
        configure_logging("WARNING", file=scenario.workdir.resolve() / "concord.log")
        run = MonthRun(scenario, concord, switched_on, provision_from, info, dict(state.urls))
        _switch_on(concord, switched_on)
        hooks.stage("Aligning the firm's people between Kantata and NetSuite by e-mail")
        assert concord.xref is not None
        run.alignment = asyncio.run(
            align_by_key(concord.connectors, concord.xref, "Resource", "email", ("netsuite", "kantata"))
        )
        hooks.stage(f"Simulating {scenario.days} days of the firm with Concord switched on")
        asyncio.run(_month(run, SandboxTargets.from_data_dir(state.data_dir), hooks))
        run.elapsed_s = time.monotonic() - started
    except BaseException:
        sandbox.__exit__(None, None, None)
        raise

    def release() -> None:
        run.concord.close()
        sandbox.__exit__(None, None, None)

    return run, release
