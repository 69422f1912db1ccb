"""Month-end time to ERP: a burst of approved time goes from the Kantata emulator to the NetSuite emulator
through Concord embedded (SQLite), posted as summarised journal entries (``time_to_erp``, granularity
``per_period``: one gathering flow instance per employee and month).

Run: ``.venv/bin/python bench/month_end.py [--quick] [--entries N] [--profile instant|realistic|both]
[--cprofile FILE]``. ``--quick`` is 1,000 entries, so that both profiles finish in under 45 s on two cores
(detection over the realistic profile's latency is what takes longest); ``--cprofile`` writes a pstats
profile of the Concord process per profile.

The firm: N/100 employees, each on 1 to 3 of N/500 projects, with 100 time entries each spread over the
working days of June 2026 (about 7.5 h each, in quarter hours; 9 in 10 billable; bill and cost rates in
cents, per employee); June is open in NetSuite, May closed. Every entry is approved before Concord
starts: that moment is the burst.

Seeding (not measured) writes the emulators' state in-process, through the emulators' own services, so
their validation and change events apply as over HTTP but 200,000 entries load in seconds rather than
minutes of API calls: Kantata's ``WriteService`` makes the users, projects, participations and time
entries (bulk creates of 1,000, where the API takes 100 a call), and its ``ApprovalService`` submits one
timesheet per employee, project and week and approves them, employee after employee, as the
administrator (user 1, so never the person who logged the time); NetSuite's ``RecordService.create``
makes the periods, the customer, one job per project and the employees (with ``externalId``). Concord's
cross-reference then links each project and employee across the two systems.

The firm's posting policy (``POLICY``) is printed first. The emulators run in this process (threads);
Concord runs in a child process per profile, so that the two get a core each, and the peak RSS is
Concord's own. Measured, from ``worker.run(until_idle=True)`` until it returns:

- entries/s: approved entries over the time to idle, end to end (polling Kantata, recording, gathering,
  the reads, the postings written to NetSuite);
- approved-to-posted latency (p50, p99): from the burst (Concord's start) to the moment the NetSuite
  emulator created the live journal entry that holds the entry (its ``createdDate``, read at the
  emulator store's microsecond precision rather than the REST field's second);
- peak RSS of the Concord process (``VmHWM``, which is ``ru_maxrss`` without what Linux carries over
  from the parent across ``exec``), the share of a core it kept busy and its CPU time per entry;
- the platform requests each emulator answered (its request log), by kind with the time it spent answering
  them (summed, so concurrent requests overlap), and how many it refused.

Under ``realistic`` (the emulators' realistic profile: latency, concurrency limits, Kantata's per-minute
budget; Concord's connectors keep their production defaults) the run also shows the ceiling of posting
one entry per request: NetSuite's concurrency over its mean per-request latency
(``latency_ms + jitter_ms / 2`` of its platform profile), and the ratio achieved / ceiling. Under
``instant`` the Kantata connector is unpaced (its production pace keeps to Kantata's limit).

Afterwards the bench reconciles: every approved entry is on exactly one line of the live journal entries
(neither a reversal nor reversed; ``custcol_concord_time_entry``), no other entry is, and the cost
posted per entry, summed over every journal (postings less reversals), is its hours times its cost rate
to the cent. It prints ``reconciled: yes/no`` and exits non-zero if not. The last line printed is one
JSON object ``{"instant": {...}, "realistic": {...}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import json
import math
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from concord.bootstrap import bootstrap_from_settings
from concord.domain.ids import new_id
from concord.engine.crossref import CrossReferenceService
from concord.engine.runtime import Progress
from concord.sandbox.core import EmulatorSettings, RunningServer, SandboxState, start_in_thread
from concord.sandbox.kantata import create_app as kantata_app
from concord.sandbox.kantata.approvals import ApprovalService
from concord.sandbox.kantata.catalog import PARTICIPATIONS, TIME_ENTRIES, USERS, WORKSPACES
from concord.sandbox.kantata.service import KantataService
from concord.sandbox.netsuite import NETSUITE_PROFILE, NetSuiteEmulator
from concord.sandbox.netsuite import create_app as netsuite_app
from concord.sandbox.netsuite.catalog import lookup
from concord.sandbox.netsuite.store import collection_of
from concord.settings import Settings

PROFILES = ("instant", "realistic")
MONTH = date(2026, 6, 1)
CLOSED = (date(2026, 5, 1), date(2026, 5, 31))
OPEN = (date(2026, 6, 1), date(2026, 6, 30))
ADMIN = "1"
"""The Kantata administrator every token acts as: the approver of all the time."""
KT_CLIENT = ("concord-bench", "kt-bench-secret")
NS_CLIENT, NS_CERT = "concord-bench", "concord-bench-cert"
CURRENCIES = {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"}
SEED_BULK = 1_000
QUICK = 1_000
POLICY = """\
granularity: per_period
closed_period: redate
settle: {quiet_s: 0.2, max_wait_s: 2}
"""
"""The firm's time posting policy (printed with the figures): a summary per project, employee, billability
and period, which is what a firm that approves at month end chooses (the shipped default is per day); time
in a closed period is re-dated. The settle times are shorter than the shipped 5 s / 60 s, so that a burst
is posted as soon as its approvals stop arriving rather than after a production-sized quiet period."""


# -- the firm ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One time entry of the month."""

    employee: int
    project: int
    day: date
    minutes: int
    billable: bool


@dataclass(frozen=True)
class Firm:
    """Who works on what, and the month's time (indexes, not platform ids)."""

    employees: int
    projects: int
    staffing: list[list[int]]
    rates: list[tuple[int, int]]
    """Per employee: (bill rate, cost rate) in cents an hour."""
    entries: list[Entry]


def working_days(first: date) -> list[date]:
    days, day = [], first
    while day.month == first.month:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def make_firm(count: int, seed: int = 7) -> Firm:
    rng = random.Random(seed)
    employees = max(2, count // 100)
    projects = max(1, employees // 5)
    staffing = [rng.sample(range(projects), min(projects, rng.randint(1, 3))) for _ in range(employees)]
    rates = [
        (rng.randrange(12_000, 30_001, 500), rng.randrange(5_000, 12_001, 250)) for _ in range(employees)
    ]
    days = working_days(MONTH)
    entries = []
    for employee in range(employees):
        share = count // employees + (1 if employee < count % employees else 0)
        mine = staffing[employee]
        for k in range(share):
            entries.append(
                Entry(
                    employee,
                    mine[k % len(mine)],
                    days[k * len(days) // share],
                    450 + 15 * rng.randint(-4, 4),
                    rng.random() < 0.9,
                )
            )
    return Firm(employees, projects, staffing, rates, entries)


def expected_cost(entry: Entry, firm: Firm) -> Decimal:
    """Hours times the cost rate, to the cent (half up)."""
    cents = Decimal(entry.minutes) * firm.rates[entry.employee][1] / 60
    return (cents / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- the emulators -------------------------------------------------------------------------------------


@dataclass
class Seeded:
    """Platform ids of what was seeded, and what Concord needs to reach it."""

    kantata_url: str
    netsuite_url: str
    subsidiary: str = ""
    customer: str = ""
    workspaces: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    employees: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    """Kantata ids, in the order of ``Firm.entries``."""


@contextmanager
def emulators(public_pem: str) -> Iterator[tuple[RunningServer, RunningServer]]:
    with ExitStack() as stack:
        kt = stack.enter_context(
            start_in_thread(kantata_app(EmulatorSettings(name="kantata", credentials=dict([KT_CLIENT]))))
        )
        ns_settings = EmulatorSettings(name="netsuite", credentials={f"{NS_CLIENT}:{NS_CERT}": public_pem})
        ns = stack.enter_context(start_in_thread(netsuite_app(ns_settings)))
        yield kt, ns


def seed_kantata(service: KantataService, firm: Firm, seeded: Seeded) -> None:
    writes = service.writes
    with service.writing():
        people = [
            {"full_name": f"Consultant {n:05d}", "email_address": f"consultant{n:05d}@firm.example"}
            for n in range(firm.employees)
        ]
        seeded.users = [u["id"] for u in writes.create(USERS, people, service.context(ADMIN), bulk=True)]
        projects = [
            {
                "title": f"Engagement {p:04d}",
                "creator_role": "maven",
                "require_time_approvals": True,
                "status_key": 300,
                "start_date": "2026-01-01",
                "due_date": "2026-12-31",
                "currency": "USD",
            }
            for p in range(firm.projects)
        ]
        made = writes.create(WORKSPACES, projects, service.context(ADMIN), bulk=True)
        seeded.workspaces = [w["id"] for w in made]
        members = [
            {"workspace_id": seeded.workspaces[p], "user_id": seeded.users[e], "role": "maven"}
            for e, mine in enumerate(firm.staffing)
            for p in mine
        ]
        writes.create(PARTICIPATIONS, members, service.context(ADMIN), bulk=True)
        for start in range(0, len(firm.entries), SEED_BULK):
            batch = [_entry_body(e, firm, seeded) for e in firm.entries[start : start + SEED_BULK]]
            saved = writes.create(TIME_ENTRIES, batch, service.context(ADMIN), bulk=True)
            seeded.entries.extend(r["id"] for r in saved)
    approve_all(service, firm, seeded)


def _entry_body(entry: Entry, firm: Firm, seeded: Seeded) -> dict[str, Any]:
    bill, cost = firm.rates[entry.employee]
    return {
        "workspace_id": seeded.workspaces[entry.project],
        "user_id": seeded.users[entry.employee],
        "date_performed": entry.day.isoformat(),
        "time_in_minutes": entry.minutes,
        "billable": entry.billable,
        "rate_in_cents": bill,
        "cost_rate_in_cents": cost,
        "notes": "Client work",
    }


def approve_all(service: KantataService, firm: Firm, seeded: Seeded) -> None:
    """One timesheet per employee, project and ISO week; each employee's approved together."""
    sheets: dict[int, dict[tuple[int, int], list[str]]] = defaultdict(lambda: defaultdict(list))
    for entry, entry_id in zip(firm.entries, seeded.entries, strict=True):
        week = entry.day.isocalendar().week
        sheets[entry.employee][(entry.project, week)].append(entry_id)
    approvals = ApprovalService(service)
    for employee, weeks in sheets.items():
        with service.writing():
            submitted = [
                approvals.submit(
                    {
                        "workspace_id": seeded.workspaces[project],
                        "user_id": seeded.users[employee],
                        "title": f"Week {week}",
                        "line_item_ids": ids,
                    },
                    service.context(seeded.users[employee]),
                )["id"]
                for (project, week), ids in weeks.items()
            ]
            approvals.resolve("approve", submitted, "Month end", service.context(ADMIN))


def seed_netsuite(emulator: NetSuiteEmulator, firm: Firm, seeded: Seeded) -> None:
    create = emulator.service.create
    seeded.subsidiary = create("subsidiary", {"name": "Concord Consulting Inc.", "country": "US"})
    sub = {"id": seeded.subsidiary}
    for (start, end), closed in ((CLOSED, True), (OPEN, False)):
        body = {
            "periodName": start.strftime("%b %Y"),
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
        }
        create("accountingPeriod", {**body, "closed": closed})
    seeded.customer = create("customer", {"companyName": "Globex", "subsidiary": sub})
    seeded.jobs = [
        create(
            "job",
            {
                "companyName": f"Engagement {p:04d}",
                "parent": {"id": seeded.customer},
                "subsidiary": sub,
                "entityStatus": {"id": "2"},
                "startDate": "2026-01-01",
                "currency": {"id": CURRENCIES["USD"]},
            },
        )
        for p in range(firm.projects)
    ]
    seeded.employees = [
        create(
            "employee",
            {
                "firstName": "Consultant",
                "lastName": f"{n:05d}",
                "externalId": f"E-{n:05d}",
                "subsidiary": sub,
                "title": "Consultant",
                "custentity_cost_center": "CC-US-DELIVERY",
            },
        )
        for n in range(firm.employees)
    ]


def journals(emulator: NetSuiteEmulator) -> list[tuple[dict[str, Any], datetime]]:
    """Every journal entry's stored document (body, lines) and when the emulator created it."""
    journal = lookup("journalEntry")
    assert journal is not None
    docs = emulator.repo.store.scan(collection_of(journal), where={"recordType": "journalEntry"})
    return [(doc.data, doc.created_at) for doc in docs]


# -- Concord (in a child process) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What the Concord process needs (picklable)."""

    profile: str
    folder: str
    seeded: Seeded
    private_pem: str
    cprofile: str | None = None


@dataclass(frozen=True)
class Run:
    """What the Concord process measured."""

    started_at: float
    """The burst: wall-clock time (epoch s) when Concord started."""
    elapsed_s: float
    cpu_s: float
    """CPU time (user and system) the Concord process spent until idle."""
    peak_rss_mb: float
    global_ids: dict[str, str]
    """Kantata time entry id → Concord global id."""
    open_exceptions: list[str]


def settings(plan: Plan) -> Settings:
    seeded = plan.seeded
    kantata: dict[str, Any] = {
        "kind": "kantata",
        "base_url": seeded.kantata_url,
        "auth": {"kind": "client_credentials", "client_id": KT_CLIENT[0], "client_secret": KT_CLIENT[1]},
    }
    if plan.profile == "instant":
        kantata["rate"] = {"max_concurrency": 8}  # unpaced: the production pace is Kantata's own limit
    netsuite = {
        "kind": "netsuite",
        "account_id": "1234567",
        "base_url": seeded.netsuite_url,
        "client_id": NS_CLIENT,
        "certificate_id": NS_CERT,
        "private_key": plan.private_pem,
        "algorithm": "ES256",
    }
    references = {
        "netsuite_currency": {v: k for k, v in CURRENCIES.items()},
        "netsuite_currency_id": dict(CURRENCIES),
        "netsuite_subsidiary_code": {seeded.subsidiary: "US"},
        "netsuite_subsidiary_id": {"US": seeded.subsidiary},
        "netsuite_subsidiary_currency": {seeded.subsidiary: "USD"},
        "netsuite_account_id": {"labour_cost": "610", "accrued_labour": "220"},
    }
    policy = Path(plan.folder) / "time_posting.yaml"
    policy.write_text(POLICY)
    return Settings(
        database_url=f"sqlite:///{plan.folder}/concord.db",
        connectors={"kantata": kantata, "netsuite": netsuite},
        flows=["time_to_erp"],
        reference_tables=references,
        time_posting=policy,
        log_level="WARNING",
    )


def link(xref: CrossReferenceService, seeded: Seeded) -> None:
    """The cross-reference an onboarding leaves: each project and employee known in both systems."""
    for object_type, kantata, netsuite in (
        ("Project", seeded.workspaces, seeded.jobs),
        ("Resource", seeded.users, seeded.employees),
    ):
        ids = [new_id() for _ in kantata]
        xref.link_many("kantata", object_type, list(zip(ids, kantata, strict=True)))
        xref.link_many("netsuite", object_type, list(zip(ids, netsuite, strict=True)))
    xref.link(new_id(), "netsuite", "Customer", seeded.customer)


def warm() -> None:
    """Nothing: the child process imports this module (and Concord) while the parent seeds."""


def run_concord(plan: Plan) -> Run:
    concord = bootstrap_from_settings(settings(plan))  # logs warnings and errors only
    assert concord.xref is not None
    link(concord.xref, plan.seeded)
    total = len(plan.seeded.entries)
    shown = [time.perf_counter()]

    def show(progress: Progress) -> None:
        now = time.perf_counter()
        if now - shown[0] >= 5.0:
            shown[0] = now
            print(
                f"  {now - t0:6.1f} s  detected {progress.detected}/{total}  dispatched "
                f"{progress.dispatched}  commands settled {progress.settled}",
                flush=True,
            )

    profiler = cProfile.Profile() if plan.cprofile else None
    cpu = _cpu_s()
    started_at, t0 = time.time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    asyncio.run(concord.worker.run(until_idle=True, on_progress=show))
    elapsed, cpu = time.perf_counter() - t0, _cpu_s() - cpu
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{plan.cprofile}.{plan.profile}")
    ids: dict[str, str] = {}
    for start in range(0, total, 500):
        ids.update(concord.xref.global_ids("kantata", "TimeEntry", plan.seeded.entries[start : start + 500]))
    with concord.store.transaction() as tx:
        found = [str(e["message"]) for e in tx.exceptions.list(limit=1_000_000) if e["status"] == "open"]
    concord.close()
    return Run(started_at, elapsed, cpu, _peak_rss_mb(), ids, found)


def _peak_rss_mb() -> float:
    """This process's own peak RSS. Linux keeps ``ru_maxrss`` across ``exec``, so a spawned child would
    report its parent's size when that is larger; the peak of its own memory is ``VmHWM``."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- one profile ---------------------------------------------------------------------------------------


def keys() -> tuple[str, str]:
    """The NetSuite integration's key pair (ES256), as PEM: private, public."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode(), public.decode()


def measure(profile: str, firm: Firm, cprofile: str | None) -> dict[str, Any]:
    private_pem, public_pem = keys()
    with (
        ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool,
        emulators(public_pem) as (kt, ns),
        tempfile.TemporaryDirectory(prefix="concord-month-end-") as folder,
    ):
        pool.submit(warm)
        seeded = Seeded(kt.base_url, ns.base_url)
        started = time.perf_counter()
        seed_netsuite(ns.app.state.netsuite, firm, seeded)
        seed_kantata(kt.app.state.kantata, firm, seeded)
        print(
            f"[{profile}] seeded {len(seeded.entries)} approved entries of {firm.employees} employees on "
            f"{firm.projects} projects in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        for server in (kt, ns):
            state: SandboxState = server.app.state.sandbox
            state.profile.mode = "instant" if profile == "instant" else "realistic"
            state.requests.clear()
        run = pool.submit(run_concord, Plan(profile, folder, seeded, private_pem, cprofile)).result()
        posted = journals(ns.app.state.netsuite)
        calls = f"Kantata {traffic(kt)}; NetSuite {traffic(ns)}"
    return report(profile, firm, run, reconcile(firm, seeded, run, posted), calls)


def traffic(server: RunningServer) -> str:
    """The platform requests an emulator answered, by method and resource, most frequent first."""
    state: SandboxState = server.app.state.sandbox
    records = state.requests.snapshot()
    kinds = Counter(f"{r.method} {_resource(r.path)}" for r in records)
    busy: Counter[str] = Counter()
    for r in records:
        busy[f"{r.method} {_resource(r.path)}"] += r.duration_ms / 1000
    refused = sum(1 for r in records if r.status == 429)
    shown = ", ".join(f"{kind} {n} ({busy[kind]:.1f} s)" for kind, n in kinds.most_common(4))
    return f"{len(records)} requests ({shown}; {refused} refused with 429)"


def _resource(path: str) -> str:
    parts = path.removesuffix(".json").split("/")
    return parts[parts.index("v1") + 1] if "v1" in parts[:-1] else path


@dataclass
class Verdict:
    """The reconciliation: what does not add up, and each entry's approved-to-posted latency."""

    problems: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    journals: int = 0
    reversals: int = 0


def reconcile(firm: Firm, seeded: Seeded, run: Run, posted: list[tuple[dict[str, Any], datetime]]) -> Verdict:
    verdict = Verdict(journals=len(posted))
    reversed_keys = {d["body"].get("custbody_concord_reverses") for d, _ in posted} - {None}
    verdict.reversals = len(reversed_keys)
    live: Counter[str] = Counter()
    net: dict[str, Decimal] = defaultdict(Decimal)
    posted_at: dict[str, datetime] = {}
    for document, created in posted:
        body = document["body"]
        alive = not body.get("custbody_concord_reverses") and (
            body.get("custbody_concord_posting_key") not in reversed_keys
        )
        for line in (document.get("lines") or {}).get("line", []):
            entry = line.get("custcol_concord_time_entry")
            if not entry:
                continue
            net[entry] += Decimal(str(line.get("debit") or 0)) - Decimal(str(line.get("credit") or 0))
            if alive:
                live[entry] += 1
                posted_at[entry] = created
    approved = set()
    for entry, kantata_id in zip(firm.entries, seeded.entries, strict=True):
        global_id = run.global_ids.get(kantata_id)
        if global_id is None:
            verdict.problems.append(f"Kantata entry {kantata_id} never reached Concord")
            continue
        approved.add(global_id)
        cost = expected_cost(entry, firm)
        if live[global_id] != 1:
            verdict.problems.append(f"entry {kantata_id} is on {live[global_id]} live journal lines")
        elif net[global_id] != cost:
            verdict.problems.append(f"entry {kantata_id}: {net[global_id]} cost posted, {cost} expected")
        else:
            verdict.latencies.append(posted_at[global_id].timestamp() - run.started_at)
    strangers = set(live) - approved
    if strangers:
        verdict.problems.append(f"{len(strangers)} posted entries were never approved, e.g. {min(strangers)}")
    return verdict


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report(profile: str, firm: Firm, run: Run, verdict: Verdict, calls: str) -> dict[str, Any]:
    """Print one profile's figures; the profile's part of the JSON line."""
    count = len(firm.entries)
    result: dict[str, Any] = {
        "entries": count,
        "elapsed_s": round(run.elapsed_s, 2),
        "entries_per_s": round(count / run.elapsed_s, 1),
        "p50_s": round(percentile(verdict.latencies, 0.50), 2),
        "p99_s": round(percentile(verdict.latencies, 0.99), 2),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "cpu_ms_per_entry": round(1000 * run.cpu_s / count, 3),
        "journals": verdict.journals,
        "reconciled": not verdict.problems,
    }
    say = functools.partial(print, f"[{profile}]")
    say(
        f"{count} entries posted in {result['elapsed_s']} s: {result['entries_per_s']} entries/s; "
        f"approved-to-posted p50 {result['p50_s']} s, p99 {result['p99_s']} s; peak RSS "
        f"{result['peak_rss_mb']} MB; Concord busy {run.cpu_s / run.elapsed_s:.0%} of a core, "
        f"{result['cpu_ms_per_entry']} ms of CPU per entry"
    )
    exceptions = len(run.open_exceptions)
    say(f"{verdict.journals} journal entries ({verdict.reversals} reversed); open exceptions: {exceptions}")
    for message in run.open_exceptions[:3]:
        say(f"  exception: {message}")
    say(f"platform calls: {calls}")
    if profile == "realistic":
        latency_s = (NETSUITE_PROFILE.latency_ms + NETSUITE_PROFILE.jitter_ms / 2) / 1000
        concurrency = NETSUITE_PROFILE.max_concurrency or 1
        ceiling = concurrency / latency_s
        result["per_entry_ceiling_per_s"] = round(ceiling, 1)
        result["ratio_to_ceiling"] = round(count / run.elapsed_s / ceiling, 2)
        say(
            f"one entry per request could post at most {concurrency} calls / {latency_s:.3f} s = "
            f"{ceiling:.1f} entries/s (NetSuite's concurrency over its mean latency); achieved "
            f"{result['ratio_to_ceiling']} times that"
        )
    for problem in verdict.problems[:10]:
        say(f"  not reconciled: {problem}")
    say(f"reconciled: {'yes' if not verdict.problems else 'no'}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} entries (whole run under 45 s)")
    parser.add_argument("--entries", type=int, default=None, help="approved time entries (default 200,000)")
    parser.add_argument("--profile", choices=[*PROFILES, "both"], default="both")
    parser.add_argument(
        "--cprofile", metavar="FILE", help="profile the Concord process into FILE.<profile> (pstats)"
    )
    args = parser.parse_args()
    count = args.entries or (QUICK if args.quick else 200_000)
    profiles = PROFILES if args.profile == "both" else (args.profile,)
    print(
        f"month end: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, {count:,} "
        f"approved time entries, profiles {', '.join(profiles)}",
        flush=True,
    )
    policy = ", ".join(line.replace(": ", " ") for line in POLICY.strip().splitlines())
    print(f"posting policy: {policy} (one NetSuite journal entry per posting)", flush=True)
    firm = make_firm(count)
    results = {profile: measure(profile, firm, args.cprofile) for profile in profiles}
    reconciled = all(r["reconciled"] for r in results.values())
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print(f"reconciled: {'yes' if reconciled else 'no'}")
    print(json.dumps(results))
    if not reconciled:
        sys.exit(1)


if __name__ == "__main__":
    main()
