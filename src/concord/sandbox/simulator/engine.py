"""``simulate``: run the firm's business day by day against a sandbox, only through the emulators' own
APIs (tokens from their token endpoints, then REST), with the emulators' clocks moved through the
simulated days by their sandbox admin API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import httpx

from concord.sandbox.simulator import approvals, deals, expense_reports, observe
from concord.sandbox.simulator.apis import KantataApi, NetSuiteApi, SalesforceApi, SandboxClocks
from concord.sandbox.simulator.auth import (
    kantata_authenticator,
    netsuite_authenticator,
    salesforce_authenticator,
)
from concord.sandbox.simulator.behaviour import DEFAULT_BEHAVIOUR, Behaviour
from concord.sandbox.simulator.calendar import Checkpoint, is_month_end, is_workday, workday_of_month
from concord.sandbox.simulator.change_orders import run_change_orders
from concord.sandbox.simulator.context import SimContext, record_failure
from concord.sandbox.simulator.expenses import run_expenses
from concord.sandbox.simulator.finance import run_close
from concord.sandbox.simulator.http import ApiError, PlatformClient
from concord.sandbox.simulator.pacer import Pacer
from concord.sandbox.simulator.report import DayReport, SimulationReport
from concord.sandbox.simulator.staffing import run_morning
from concord.sandbox.simulator.targets import SandboxTargets
from concord.sandbox.simulator.timesheets import run_evening
from concord.sandbox.simulator.world import World

ProgressCallback = Callable[[DayReport], None]
"""Called with each simulated day's report as soon as the day is done."""

DEFAULT_CONCURRENCY = 8
CLOCK_UNSET_S = 3600.0
_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class SimulationError(RuntimeError):
    """The simulation could not start (a platform refused the credentials or the first reads)."""


async def _act(report: DayReport, work: Awaitable[None]) -> None:
    # A refused call costs the actor the rest of its turn, never the simulation.
    try:
        await work
    except ApiError as error:
        record_failure(report, error)


async def _simulate_day(ctx: SimContext, pacer: Pacer, day: date) -> DayReport:
    report = DayReport(day)
    await pacer.reach(Checkpoint.MORNING.on(day))
    if not is_workday(day):
        return report  # the clocks pass over the weekend; nobody works
    await _act(report, observe.read_projects(ctx))
    await _act(report, run_morning(ctx, day, report))
    await pacer.reach(Checkpoint.APPROVALS.on(day))
    await _act(report, approvals.run_approvals(ctx, day, report))
    await _act(report, expense_reports.run_expense_approvals(ctx, day, report))
    await pacer.reach(Checkpoint.SALES.on(day))
    await deals.run_sales(ctx, day, report)
    await run_change_orders(ctx, day, report)
    await pacer.reach(Checkpoint.EVENING.on(day))
    await _act(report, run_evening(ctx, day, report))
    await _act(report, run_expenses(ctx, day, report))
    if is_month_end(day):
        await pacer.reach(Checkpoint.MONTH_END.on(day))
        await _act(report, approvals.run_month_end(ctx, day, report))
        await _act(report, expense_reports.run_expense_month_end(ctx, day, report))
    if workday_of_month(day) == ctx.behaviour.close_workday:
        await pacer.reach(Checkpoint.CLOSE.on(day))
        await run_close(ctx, day, report)
    ctx.collect_errors(report)
    return report


async def _default_start(ctx: SimContext, clocks: SandboxClocks) -> date:
    """The day after the latest logged time when the sandbox clock runs on real time (a freshly seeded
    firm), else the sandbox clock's day (a previous simulation left it there)."""
    now, offset_s = await clocks.read()
    latest = await observe.latest_time_entry_day(ctx)
    after_latest = latest + timedelta(days=1) if latest else now.date()
    if abs(offset_s) < CLOCK_UNSET_S:
        return after_latest
    return max(now.date(), after_latest)


async def _observe(ctx: SimContext) -> None:
    await observe.read_consultants(ctx)
    await observe.read_projects(ctx)
    await asyncio.gather(
        observe.read_drafts(ctx),
        approvals.adopt_open_timesheets(ctx),
        expense_reports.adopt_open_expenses(ctx),
        observe.read_deals(ctx),
        observe.read_sales_reference(ctx),
    )


async def simulate(
    targets: SandboxTargets,
    *,
    days: int,
    speed: float = 0.0,
    seed: int = 1,
    start: date | None = None,
    on_progress: ProgressCallback | None = None,
    behaviour: Behaviour = DEFAULT_BEHAVIOUR,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> SimulationReport:
    """Simulate ``days`` days of the firm's business in the sandbox ``targets`` points at.

    Args:
        targets: The emulators and their credentials.
        days: Simulated calendar days (weekends pass without activity).
        speed: Simulated seconds per real second; 0 (or infinity) runs as fast as possible.
        seed: Same seed and same starting data give the same actions.
        start: The first simulated day; by default the day after the latest logged time on a freshly
            seeded sandbox, or where the sandbox clock stands after an earlier simulation.
        on_progress: Called with each day's report.
        behaviour: Rates and delays of the firm's people.
        concurrency: Requests in flight per platform.

    Returns:
        What was done, per day and overall.

    Raises:
        ValueError: ``days`` is negative or ``speed`` is negative.
        SimulationError: A platform refused the credentials or the first reads.
    """
    if days < 0:
        raise ValueError(f"days must be 0 or more, not {days}")
    began = time.perf_counter()
    limits = httpx.Limits(max_connections=4 * concurrency, max_keepalive_connections=4 * concurrency)
    async with httpx.AsyncClient(timeout=_TIMEOUT, limits=limits) as http:
        sf, kt, ns = targets.salesforce, targets.kantata, targets.netsuite
        clients = {
            "salesforce": PlatformClient(
                http, "salesforce", sf.base_url, salesforce_authenticator(sf), concurrency=concurrency
            ),
            "kantata": PlatformClient(
                http, "kantata", kt.base_url, kantata_authenticator(kt), concurrency=concurrency
            ),
            "netsuite": PlatformClient(
                http, "netsuite", ns.base_url, netsuite_authenticator(ns), concurrency=concurrency
            ),
        }
        clocks = SandboxClocks(http, [target.admin_url() for target in (sf, kt, ns)])
        pacer = Pacer(clocks, speed)
        ctx = SimContext(
            seed=seed,
            start=start or date.today(),
            behaviour=behaviour,
            salesforce=SalesforceApi(clients["salesforce"], sf.api_version),
            kantata=KantataApi(clients["kantata"]),
            netsuite=NetSuiteApi(clients["netsuite"]),
            world=World(),
        )
        try:
            ctx.start = start or await _default_start(ctx, clocks)
            await _observe(ctx)
        except ApiError as error:
            raise SimulationError(f"cannot read the firm from the sandbox: {error}") from error
        except httpx.HTTPError as error:
            raise SimulationError(f"cannot reach the sandbox: {error}") from error
        report = SimulationReport(seed=seed, start=ctx.start)
        for offset in range(days):
            day_report = await _simulate_day(ctx, pacer, ctx.start + timedelta(days=offset))
            report.days.append(day_report)
            if on_progress is not None:
                on_progress(day_report)
        await pacer.release(datetime.combine(ctx.start + timedelta(days=days), datetime.min.time(), UTC))
        report.requests = {name: client.requests for name, client in clients.items()}
    report.elapsed_s = time.perf_counter() - began
    return report


def run_simulation(
    targets: SandboxTargets,
    *,
    days: int,
    speed: float = 0.0,
    seed: int = 1,
    start: date | None = None,
    on_progress: ProgressCallback | None = None,
    behaviour: Behaviour = DEFAULT_BEHAVIOUR,
) -> SimulationReport:
    """:func:`simulate` for synchronous callers (runs its own event loop)."""
    return asyncio.run(
        simulate(
            targets,
            days=days,
            speed=speed,
            seed=seed,
            start=start,
            on_progress=on_progress,
            behaviour=behaviour,
        )
    )
