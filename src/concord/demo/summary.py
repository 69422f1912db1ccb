"""The month in figures a COO reads: deals provisioned and how long it took, time posted, exceptions by
category with one example each, the business SLAs, and the reconciliation of approved time between the PSA
and the ERP.

Figures come from Concord's store (flow instances, the postings it sent, the exception queue) and, for the
reconciliation, straight from the platforms: the hours Kantata holds as approved since Concord was
switched on, against the hours NetSuite's journal entries from Concord hold. Every approved hour is either
posted or held with an open exception, or the month does not reconcile.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from concord.connectors.kantata import KantataClient, KantataSpec
from concord.connectors.kantata.cursor import query_stamp
from concord.connectors.netsuite import NetSuiteClient, NetSuiteSpec
from concord.demo.month import MonthRun
from concord.domain.objects import ExpensePosting, TimeEntry, TimeEntryStatus
from concord.engine.model import InstanceStatus
from concord.engine.sla_report import as_json, sla_report
from concord.flows.change_orders import FLOW_NAME as CHANGE_ORDERS
from concord.flows.change_orders import contract_versions
from concord.flows.expense_posting import PostedExpense
from concord.flows.expenses_to_erp import FLOW_NAME as EXPENSES
from concord.flows.revenue import DELIVERY, MILESTONES, SUBSCRIPTIONS
from concord.flows.revenue_plan import SentRevenue
from concord.flows.sending import SENT
from concord.flows.time_posting import PostedLine
from concord.storage.sql.tables import flow_instances

__all__ = ["summarise"]

_HOUR = Decimal("0.01")


def _percentiles(values: Iterable[float]) -> dict[str, float | None]:
    data = sorted(values)
    if not data:
        return {"p50": None, "p90": None, "max": None}
    if len(data) == 1:
        return {"p50": round(data[0], 2), "p90": round(data[0], 2), "max": round(data[0], 2)}
    cuts = statistics.quantiles(data, n=10, method="inclusive")
    return {"p50": round(statistics.median(data), 2), "p90": round(cuts[8], 2), "max": round(data[-1], 2)}


def _instances(run: MonthRun, flow: str) -> list[dict[str, Any]]:
    with run.concord.store.transaction() as tx:
        rows = tx.conn.execute(select(flow_instances).where(flow_instances.c.flow == flow)).mappings()
        return [dict(row) for row in rows]


def _deals(run: MonthRun) -> dict[str, Any]:
    instances = _instances(run, "opportunity_to_project")
    done = [i for i in instances if i["status"] == InstanceStatus.COMPLETED.value]
    durations = [(i["completed_at"] - i["created_at"]).total_seconds() for i in done if i["completed_at"]]
    return {
        "contracted_seen": len(instances),
        "provisioned": len(done),
        "refused_or_failed": len(instances) - len(done),
        "seen_to_provisioned_s": _percentiles(durations),
    }


def _time(run: MonthRun) -> tuple[dict[str, Any], dict[str, Decimal]]:
    """Postings Concord sent (live ones, after reversals), and the hours of approved entries it holds back."""
    posted_entries: dict[str, Decimal] = {}
    postings = reversals = 0
    cost: dict[str, Decimal] = {}
    held: dict[str, Decimal] = {}
    waits: list[float] = []
    for instance in _instances(run, "time_to_erp"):
        state = instance["state"]
        lines = [PostedLine.from_state(held_line) for held_line in state.get("sent", [])]
        reversed_keys = {line.reverses for line in lines if line.reverses}
        for line in lines:
            if line.reverses:
                reversals += 1
                continue
            postings += 1
            if line.key in reversed_keys:
                continue
            currency = line.posting.cost_amount.currency
            cost[currency] = cost.get(currency, Decimal(0)) + line.posting.cost_amount.amount
            for posted in line.posting.entries:
                posted_entries[posted.entry_id] = Decimal(posted.hours)
        for gathered in state.get("inputs", {}).values():
            entry = TimeEntry.model_validate(gathered["payload"])
            if entry.status is TimeEntryStatus.APPROVED and entry.global_id not in posted_entries:
                held[entry.global_id] = Decimal(entry.hours)
        if instance["completed_at"] and instance["status"] == InstanceStatus.COMPLETED.value:
            waits.append((instance["completed_at"] - instance["updated_at"]).total_seconds())
    figures = {
        "entries_posted": len(posted_entries),
        "hours_posted": str(sum(posted_entries.values(), Decimal(0)).quantize(_HOUR)),
        "cost_posted": {currency: str(amount.quantize(_HOUR)) for currency, amount in sorted(cost.items())},
        "journal_entries": postings,
        "reversals": reversals,
        "entries_held": len(held),
        "hours_held": str(sum(held.values(), Decimal(0)).quantize(_HOUR)),
    }
    return figures, held


def _exceptions(run: MonthRun) -> dict[str, Any]:
    with run.concord.store.transaction() as tx:
        records = tx.exceptions.list(limit=100_000)
    by_category: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: r["created_at"]):
        entry = by_category.setdefault(
            record["category"], {"open": 0, "resolved": 0, "total": 0, "team": record["team"], "example": ""}
        )
        entry["total"] += 1
        entry["open" if record["status"] in ("open", "retrying") else "resolved"] += 1
        if not entry["example"] and record["status"] in ("open", "retrying"):
            entry["example"] = record["message"]
    for entry in by_category.values():
        entry["example"] = entry["example"] or next((r["message"] for r in records if r["category"]), "")
    return dict(sorted(by_category.items()))


async def _platform_hours(run: MonthRun) -> tuple[Decimal, Decimal]:
    """(hours approved in Kantata since switch-on, hours in NetSuite's journal entries from Concord)."""
    options = run.concord.settings.connectors
    kt_spec = KantataSpec.model_validate({k: v for k, v in options["kantata"].items() if k != "kind"})
    ns_spec = NetSuiteSpec.model_validate({k: v for k, v in options["netsuite"].items() if k != "kind"})
    # The very moment Concord's own time cursor starts from (to the millisecond, as Kantata stamps): a filter
    # cut to the second would count the approvals of the last second before switch-on as Concord's.
    since = query_stamp(int(run.switched_on_at.timestamp() * 1000))
    approved = Decimal(0)
    async with KantataClient(kt_spec) as kantata:
        async for entry in kantata.iterate("time_entries", {"updated_after": since}):
            if entry.get("approved"):
                approved += Decimal(int(entry["time_in_minutes"])) / 60
    posted = Decimal(0)
    # Every column: the custom field is known only once a time journal carries it (the emulator's schema
    # follows its records), and revenue journals may come first.
    journals = "SELECT * FROM transaction WHERE type = 'Journal'"
    async with NetSuiteClient(ns_spec) as netsuite:
        async for row in netsuite.query(journals):
            if row.get("custbody_concord_hours"):
                posted += Decimal(str(row["custbody_concord_hours"]))
    return approved.quantize(_HOUR), posted.quantize(_HOUR)


async def _invoices(run: MonthRun) -> dict[str, dict[str, Any]]:
    """Invoices Concord created in NetSuite, by billing basis: how many and their total per currency."""
    options = run.concord.settings.connectors
    ns_spec = NetSuiteSpec.model_validate({k: v for k, v in options["netsuite"].items() if k != "kind"})
    # Every column: the custom fields are known only once an invoice carries them.
    fields = "SELECT * FROM transaction WHERE type = 'CustInvc'"
    by_basis: dict[str, dict[str, Any]] = {}
    currencies = {
        v: k for k, v in run.concord.settings.reference_tables.get("netsuite_currency_id", {}).items()
    }
    async with NetSuiteClient(ns_spec) as netsuite:
        async for row in netsuite.query(fields):
            basis = str(row.get("custbody_concord_billing_basis") or "other")
            figures = by_basis.setdefault(basis, {"invoices": 0, "totals": {}})
            figures["invoices"] += 1
            currency = currencies.get(str(row.get("currency")), str(row.get("currency")))
            amount = Decimal(str(row.get("custbody_concord_amount") or 0))
            figures["totals"][currency] = figures["totals"].get(currency, Decimal(0)) + amount
    for figures in by_basis.values():
        figures["totals"] = {c: str(a.quantize(_HOUR)) for c, a in sorted(figures["totals"].items())}
    return dict(sorted(by_basis.items()))


def _revenue(run: MonthRun) -> dict[str, dict[str, Any]]:
    """Revenue Concord recognised in the ERP, by recognition basis, net of corrections, per currency."""
    by_basis: dict[str, dict[str, Decimal]] = {}
    for flow in (DELIVERY, MILESTONES, SUBSCRIPTIONS):
        for instance in _instances(run, flow):
            for held in instance["state"].get(SENT, []):
                event = SentRevenue.from_state(held).event
                totals = by_basis.setdefault(event.recognition_basis.value, {})
                currency = event.amount.currency
                totals[currency] = totals.get(currency, Decimal(0)) + event.amount.amount
    return {
        basis: {currency: str(amount.quantize(_HOUR)) for currency, amount in sorted(totals.items())}
        for basis, totals in sorted(by_basis.items())
    }


def _expenses(run: MonthRun) -> dict[str, Any]:
    """Expenses Concord posted to the ERP (live postings, net of reversals), in the posting currencies."""
    live: dict[str, ExpensePosting] = {}
    reversals = 0
    for instance in _instances(run, EXPENSES):
        postings = [PostedExpense.from_state(held).posting for held in instance["state"].get(SENT, [])]
        reversed_keys = {p.reverses for p in postings if p.reverses}
        reversals += len(reversed_keys)
        for posting in postings:
            if posting.reverses is None and posting.posting_key not in reversed_keys:
                live[posting.expense_id] = posting
    totals: dict[str, Decimal] = {}
    for posting in live.values():
        currency = posting.posted_amount.currency
        totals[currency] = totals.get(currency, Decimal(0)) + posting.posted_amount.amount
    return {
        "expenses_posted": len(live),
        "posted": {currency: str(amount.quantize(_HOUR)) for currency, amount in sorted(totals.items())},
        "reversals": reversals,
    }


def _change_orders(run: MonthRun) -> dict[str, int]:
    """Contracts changed by approved change orders, and the versions they reached."""
    instances = _instances(run, CHANGE_ORDERS)
    versions = [len(contract_versions(i["state"])) for i in instances]
    return {
        "contracts": sum(1 for v in versions if v > 1),
        "new_versions": sum(max(v - 1, 0) for v in versions),
    }


def summarise(run: MonthRun) -> dict[str, Any]:
    """The month's summary (JSON-ready)."""
    time_figures, held = _time(run)
    approved, posted = asyncio.run(_platform_hours(run))
    held_hours = sum(held.values(), Decimal(0)).quantize(_HOUR)
    simulation = run.simulation.to_json() if run.simulation is not None else {}
    return {
        "scenario": {
            "firm": run.scenario.firm,
            "days": run.scenario.days,
            "seed": run.scenario.seed,
            "switched_on_at": run.switched_on_at.isoformat(),
            "provision_from": run.provision_from.isoformat(),
            "elapsed_s": round(run.elapsed_s, 1),
            "catch_up_s": run.timings.get("catch_up_s"),
            "drained": run.drained,
            "engine_kills": run.kills,
            "faults_injected": run.faults,
        },
        "business": {k: v for k, v in simulation.items() if k in ("totals", "hours", "expenses")},
        "people_aligned": str(run.alignment) if run.alignment else None,
        "deals": _deals(run),
        "time": time_figures,
        "expenses": _expenses(run),
        "invoices": asyncio.run(_invoices(run)),
        "revenue": _revenue(run),
        "change_orders": _change_orders(run),
        "exceptions": _exceptions(run),
        "service_levels": _service_levels(run),
        "reconciliation": {
            "approved_hours_in_psa": str(approved),
            "posted_hours_in_erp": str(posted),
            "held_hours_with_exceptions": str(held_hours),
            "balanced": approved == posted + held_hours,
        },
        "engine": _engine(run),
    }


def _service_levels(run: MonthRun) -> list[dict[str, Any]]:
    """The business SLAs of domain.md §5 as Concord timed them, on the firm's (the platforms') clock, as a
    firm would read them. A simulated month runs days in seconds, so these include the days the simulation
    moved on while Concord worked; ``deals.seen_to_provisioned_s`` is Concord's own share, in real time."""
    clock = run.concord.dispatcher.runner.business_clock
    engine_now = datetime.now(UTC)
    now = clock.now() if clock is not None else engine_now
    targets = run.concord.settings.sla.targets()
    return [as_json(s) for s in sla_report(run.concord.store, targets, now, engine_now)]


def _engine(run: MonthRun) -> dict[str, Any]:
    progress = run.progress
    if progress is None:
        return {}
    return {
        "recorded": progress.recorded,
        "duplicates": progress.duplicates,
        "rejected": progress.rejected,
        "settled": progress.settled,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
