"""``concord demo``: a month of a generated firm with Concord switched on, with a live progress display and
the summary a COO reads at the end (see ``concord.demo``)."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from concord.cli.common import console
from concord.demo.month import Hooks, MonthScenario, run_month
from concord.demo.summary import summarise
from concord.domain.sla import format_duration
from concord.engine.runtime import Progress as EngineProgress
from concord.sandbox.simulator.report import DayReport

__all__ = ["run_month_demo"]


def run_month_demo(scenario: MonthScenario, summary_json: Path | None, wait: bool) -> dict[str, Any]:
    """Run the month with a live display, print the summary, write it as JSON when asked."""
    console.print(
        f"[bold]Concord month demo[/]: the '{scenario.firm}' firm (seed {scenario.seed}) for {scenario.days} "
        "days, Concord embedded on SQLite"
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        days = bar.add_task("simulated days", total=scenario.days)
        engine = bar.add_task("Concord: changes recorded / commands settled", total=None)

        def show_day(report: DayReport) -> None:
            bar.advance(days)

        def show_engine(progress: EngineProgress) -> None:
            bar.update(
                engine,
                completed=progress.settled,
                description=(
                    f"Concord: {progress.recorded} changes recorded, {progress.settled} commands settled"
                ),
            )

        hooks = Hooks(stage=lambda text: bar.console.print(f"- {text}"), day=show_day, engine=show_engine)
        run, release = run_month(scenario, hooks)
    try:
        console.print("- Reading the summary from Concord and the platforms")
        summary = summarise(run)
        if wait and sys.stdin.isatty():
            _print(summary)
            console.input("Press Enter to finish (the sandbox's data can be inspected until then). ")
        else:
            _print(summary)
    finally:
        release()
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary, indent=2, default=str))
        console.print(f"Summary written to {summary_json}")
    return summary


def _print(summary: dict[str, Any]) -> None:
    scenario, deals, time = summary["scenario"], summary["deals"], summary["time"]
    business = summary.get("business", {}).get("totals", {})
    table = Table(title="The month with Concord", show_header=False)
    table.add_row("firm / days / seed", f"{scenario['firm']} / {scenario['days']} / {scenario['seed']}")
    table.add_row(
        "run time", f"{scenario['elapsed_s']} s ({'all work done' if scenario['drained'] else 'work left'})"
    )
    table.add_row("people aligned (Kantata <-> NetSuite)", str(summary.get("people_aligned")))
    table.add_row("deals won in the month (simulated)", str(business.get("deals_won", "-")))
    table.add_row("contracted deals Concord saw", str(deals["contracted_seen"]))
    table.add_row("deals provisioned (PSA project + ERP contract)", str(deals["provisioned"]))
    table.add_row("deals refused or failed (see exceptions)", str(deals["refused_or_failed"]))
    lag = deals["seen_to_provisioned_s"]
    table.add_row("opportunity to project (Concord), p50 / p90", f"{lag['p50']} s / {lag['p90']} s")
    table.add_row(
        "time entries approved in the month (simulated)", str(business.get("entries_approved", "-"))
    )
    table.add_row("time entries posted to NetSuite", f"{time['entries_posted']} ({time['hours_posted']} h)")
    cost = ", ".join(f"{amount} {currency}" for currency, amount in time["cost_posted"].items()) or "-"
    table.add_row("labour cost posted", cost)
    table.add_row("journal entries / reversals", f"{time['journal_entries']} / {time['reversals']}")
    table.add_row("time entries held (exceptions)", f"{time['entries_held']} ({time['hours_held']} h)")
    expenses = summary.get("expenses", {})
    posted = (
        ", ".join(f"{amount} {currency}" for currency, amount in expenses.get("posted", {}).items()) or "-"
    )
    table.add_row("expenses posted to NetSuite", f"{expenses.get('expenses_posted', 0)} ({posted})")
    for basis, figures in summary.get("invoices", {}).items():
        totals = ", ".join(f"{amount} {currency}" for currency, amount in figures["totals"].items())
        table.add_row(f"invoices: {basis.replace('_', ' ')}", f"{figures['invoices']} ({totals})")
    for basis, totals in summary.get("revenue", {}).items():
        amounts = ", ".join(f"{amount} {currency}" for currency, amount in totals.items())
        table.add_row(f"revenue recognised: {basis.replace('_', ' ')}", amounts)
    changes = summary.get("change_orders", {})
    table.add_row("contracts changed by change orders", f"{changes.get('contracts', 0)}")
    console.print(table)
    exceptions = Table("category", "team", "open", "resolved", "example", title="Exceptions by category")
    for category, figures in summary["exceptions"].items():
        exceptions.add_row(
            category, figures["team"], str(figures["open"]), str(figures["resolved"]), figures["example"]
        )
    console.print(exceptions if summary["exceptions"] else "No exceptions.")
    levels = Table(
        "measure",
        "target",
        "done",
        "open",
        "p50",
        "p90",
        "over target",
        title="Business SLAs",
        caption="on the firm's clock, where a simulated day passes in seconds",
    )
    for level in summary.get("service_levels", []):
        levels.add_row(
            level["label"],
            _span(level["target_s"]),
            str(level["completed"]),
            str(level["still_open"]),
            _span(level["p50_s"]),
            _span(level["p90_s"]),
            str(level["breaches"]),
        )
    console.print(levels)
    rec = summary["reconciliation"]
    verdict = "[green]balanced[/]" if rec["balanced"] else "[red]NOT balanced[/]"
    console.print(
        f"Reconciliation of approved time: {rec['approved_hours_in_psa']} h approved in Kantata = "
        f"{rec['posted_hours_in_erp']} h posted in NetSuite + {rec['held_hours_with_exceptions']} h held "
        f"with exceptions: {verdict}"
    )


def _span(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(timedelta(seconds=seconds))
