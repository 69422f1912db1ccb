"""Records per second the engine-facing connectors pull and push against the sandbox emulators.

Run: ``.venv/bin/python bench/connector_throughput.py [--quick] [--burst] [--pull N] [--push N]
[--only salesforce,kantata,netsuite]``.

Each connector is built as the composition root builds it (mapping files, a cross-reference on a
temporary SQLite store, the platform client) and measured end to end, mapping and cross-reference
included:

- **pull**: ``detect`` (2,000 records a call) page after page until ``more`` is false, from no cursor,
  over N records seeded beforehand: Salesforce Account → Customer through SOQL, Kantata time_entries →
  TimeEntry with its includes, NetSuite customer → Customer through SuiteQL. Every change must map
  cleanly. By default the records form a history (chunks of 500 changed three minutes apart, as a
  backfill finds them); ``--burst`` changes them all at once (a data load), so that every poll also
  re-reads the connectors' two-minute overlap window.
- **push**: ``execute`` of N canonical upserts of new records, a batch at a time: Salesforce Customer →
  sObject Collections upsert (200 a call); NetSuite Customer → upserts by external id, one call per
  record, as many at once as the spec's concurrency allows (NetSuite's REST Record API has no batch
  write, and its asynchronous requests are one record each too); Kantata Project → look-up by external
  reference and create (Kantata takes bulk creates only for time entries and expenses). Kantata's
  batch path is measured too (``bulk``): new time entries through ``bulk_upsert_by_reference`` (one
  look-up per 200 ids, bulk creates of 100), at the client level, since no outbound Kantata mapping
  writes to a collection with bulk creates. Every outcome must be a success.

The sandbox runs in a background process (as ``concord sandbox up --detach`` starts it) so that the
emulators and the connectors each get a core. The Kantata client is unpaced here (its production
default keeps to about 9 calls a second, Kantata's own limit); the others keep their defaults.

The last line printed is one JSON object ``{"salesforce": {"pulled_per_s", "pushed_per_s", ...}, ...}``.
Figures depend on the machine and on whatever else runs on it; the header line says how busy it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from concord.connectors.base import ConnectorServices, PlatformConnector
from concord.connectors.http import GovernorPolicy
from concord.connectors.kantata import KantataClient, KantataSpec
from concord.connectors.kantata.connector import KantataConnector
from concord.connectors.kantata.references import ExternalRef, bulk_upsert_by_reference
from concord.connectors.netsuite import NetSuiteClient, NetSuiteSpec
from concord.connectors.netsuite.connector import NetSuiteConnector
from concord.connectors.salesforce import SalesforceClient, SalesforceSpec
from concord.connectors.salesforce.connector import SalesforceConnector
from concord.domain.ids import new_id
from concord.domain.messages import CommandEnvelope
from concord.domain.tracing import TraceContext
from concord.engine.crossref import CrossReferenceService
from concord.engine.ports import Succeeded, SystemClock
from concord.mapping import MappingSet, load_mappings
from concord.observe.logging import configure_logging
from concord.sandbox.launch import (
    LaunchOptions,
    SandboxAccess,
    fetch_tokens,
    ports_from,
    start_detached,
    stop,
)
from concord.storage.sql.store import SqlStore

CONNECTORS = ("salesforce", "kantata", "netsuite")
PULL_TARGET = 5_000.0
PUSH_TARGET = 2_000.0
PAGE = 2_000
"""Records asked for per ``detect`` (the engine's source page size is configurable; 500 by default)."""
PUSH_BATCH = {"salesforce": 200, "kantata": 100, "netsuite": 100}
"""Commands per ``execute``: one sObject Collections call, one Kantata bulk create, one NetSuite batch."""
SF_API = "/services/data/v60.0"
NS_RECORDS = "/services/rest/record/v1"
KT_API = "/api/v1"
KT_WORKSPACES = 10
CHUNK = 500
"""Records seeded with one emulator clock setting."""
HISTORY_STEP = timedelta(minutes=3)
"""Between two chunks of the history: more than the connectors' two-minute overlap window."""
NS_SUBSIDIARY = "US"


@dataclass(frozen=True)
class Figures:
    """One connector's measurements."""

    pulled: int
    pull_s: float
    pushed: int
    push_s: float
    bulk: int = 0
    bulk_s: float = 0.0

    def as_json(self) -> dict[str, float]:
        figures = {
            "pulled": self.pulled,
            "pulled_per_s": _rate(self.pulled, self.pull_s),
            "pushed": self.pushed,
            "pushed_per_s": _rate(self.pushed, self.push_s),
        }
        if self.bulk:
            figures["bulk_pushed"] = self.bulk
            figures["bulk_pushed_per_s"] = _rate(self.bulk, self.bulk_s)
        return figures


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


# -- seeding the emulators (plain HTTP, not measured) --------------------------------------------------


@dataclass(frozen=True)
class History:
    """When the seeded records were last changed: chunks of ``CHUNK`` records, each ``step`` after the
    one before and ending about now (a backfill's view: changes spread over time), or every record now
    (``step`` zero: a burst, e.g. a data load, where every poll re-reads the overlap window)."""

    step: timedelta

    def moments(self, count: int) -> list[datetime | None]:
        """The emulator clock to set before each chunk (None: leave it running as it is)."""
        chunks = (count + CHUNK - 1) // CHUNK
        if not self.step:
            return [None] * chunks
        first = datetime.now(UTC) - self.step * chunks
        return [first + self.step * k for k in range(chunks)]


def _chunks(count: int) -> list[range]:
    return [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]


def _set_clock(http: httpx.Client, admin_url: str, moment: datetime | None) -> None:
    body = {"reset": True} if moment is None else {"now": moment.isoformat(), "frozen": False}
    http.put(admin_url + "/clock", json=body).raise_for_status()


def seed_salesforce(http: httpx.Client, access: SandboxAccess, count: int, history: History) -> None:
    admin = access.admin_url("salesforce")
    for numbers, moment in zip(_chunks(count), history.moments(count), strict=True):
        _set_clock(http, admin, moment)
        records = [
            {
                "Name": f"Pulled account {n:06d}",
                "BillingStreet": f"{n} High Street",
                "BillingCity": "Leeds",
                "BillingCountry": "United Kingdom",
                "CurrencyIsoCode": "GBP",
                "Industry": "Retail",
            }
            for n in numbers
        ]
        response = http.post(admin + "/salesforce/seed", json={"sobject": "Account", "records": records})
        response.raise_for_status()
    _set_clock(http, admin, None)


def seed_kantata(
    http: httpx.Client, access: SandboxAccess, token: str, count: int, history: History
) -> list[str]:
    """Time entries spread over a few projects (bulk creates of 100); the projects' ids."""
    headers = {"Authorization": f"Bearer {token}"}
    api = access.kantata_url + KT_API
    workspaces = []
    for n in range(KT_WORKSPACES):
        made = http.post(
            f"{api}/workspaces.json",
            json={"workspace": {"title": f"Pulled project {n}", "creator_role": "maven", "currency": "USD"}},
            headers=headers,
        )
        made.raise_for_status()
        workspace = made.json()["results"][0]["id"]
        member = {"participation": {"workspace_id": workspace, "user_id": "1", "role": "maven"}}
        http.post(f"{api}/participations.json", json=member, headers=headers).raise_for_status()
        workspaces.append(workspace)

    def bulk(numbers: range) -> None:
        entries = [
            {
                "workspace_id": workspaces[n % len(workspaces)],
                "date_performed": f"2026-03-{1 + n % 28:02d}",
                "time_in_minutes": 30 + n % 90,
                "billable": n % 3 != 0,
                "notes": f"Work item {n}",
            }
            for n in numbers
        ]
        with httpx.Client(timeout=60.0, headers=headers) as own:
            own.post(f"{api}/time_entries.json", json={"time_entries": entries}).raise_for_status()

    admin = access.admin_url("kantata")
    with ThreadPoolExecutor(4) as pool:
        for numbers, moment in zip(_chunks(count), history.moments(count), strict=True):
            _set_clock(http, admin, moment)
            list(pool.map(bulk, [numbers[k : k + 100] for k in range(0, len(numbers), 100)]))
    _set_clock(http, admin, None)
    return workspaces


def seed_netsuite(http: httpx.Client, access: SandboxAccess, token: str, count: int, history: History) -> str:
    """Customers of one subsidiary, by single POSTs (the REST Record API's only way); the subsidiary's id."""
    headers = {"Authorization": f"Bearer {token}"}
    base = access.netsuite_url + NS_RECORDS
    made = http.post(f"{base}/subsidiary", json={"name": "Bench Inc.", "country": "US"}, headers=headers)
    made.raise_for_status()
    subsidiary = made.headers["location"].rsplit("/", 1)[-1]

    def create(numbers: range) -> None:
        with httpx.Client(timeout=60.0, headers=headers) as own:
            for n in numbers:
                body = {
                    "companyName": f"Pulled customer {n:06d}",
                    "subsidiary": {"id": subsidiary},
                    "currency": {"id": "1"},
                }
                own.post(f"{base}/customer", json=body).raise_for_status()

    admin = access.admin_url("netsuite")
    workers = 6
    with ThreadPoolExecutor(workers) as pool:
        for numbers, moment in zip(_chunks(count), history.moments(count), strict=True):
            _set_clock(http, admin, moment)
            list(pool.map(create, [numbers[w::workers] for w in range(workers)]))
    _set_clock(http, admin, None)
    return subsidiary


# -- the connectors ------------------------------------------------------------------------------------


def services(
    store: SqlStore, mappings: MappingSet, references: dict[str, dict[str, Any]]
) -> ConnectorServices:
    return ConnectorServices(
        mappings=mappings, xref=CrossReferenceService(store, SystemClock()), reference_tables=references
    )


def build(name: str, access: SandboxAccess, services: ConnectorServices) -> PlatformConnector:
    creds = access.credentials
    if name == "salesforce":
        sf_spec = SalesforceSpec(
            login_url=access.salesforce_url,
            auth={
                "kind": "client_credentials",
                "consumer_key": creds.salesforce.client_id,
                "consumer_secret": creds.salesforce.client_secret,
            },
            query_batch_size=PAGE,
        )
        return SalesforceConnector(name, services, SalesforceClient(sf_spec))
    if name == "kantata":
        kt_spec = KantataSpec(
            base_url=access.kantata_url,
            auth={
                "kind": "client_credentials",
                "client_id": creds.kantata.client_id,
                "client_secret": creds.kantata.client_secret,
            },
            rate=GovernorPolicy(max_concurrency=8),
        )
        return KantataConnector(name, services, KantataClient(kt_spec))
    ns_spec = NetSuiteSpec(
        account_id=creds.netsuite.account_id,
        base_url=access.netsuite_url,
        client_id=creds.netsuite.client_id,
        certificate_id=creds.netsuite.certificate_id,
        private_key_path=creds.netsuite.private_key,
        algorithm="ES256",
        scopes=("rest_webservices",),
    )
    return NetSuiteConnector(name, services, NetSuiteClient(ns_spec))


OBJECT_PULLED = {"salesforce": "Customer", "kantata": "TimeEntry", "netsuite": "Customer"}
OBJECT_PUSHED = {"salesforce": "Customer", "kantata": "Project", "netsuite": "Customer"}


def canonical(name: str, n: int) -> dict[str, Any]:
    """The payload of the ``n``-th pushed record, as a flow sends it."""
    envelope = {
        "global_id": new_id(),
        "system_ids": {},
        "source_system": "concord",
        "source_changed_at": datetime.now(UTC).isoformat(),
        "correlation_id": TraceContext.new().trace_id,
    }
    if name == "kantata":
        return {
            **envelope,
            "name": f"Pushed project {n:06d}",
            "customer_id": new_id(),
            "legal_entity_code": NS_SUBSIDIARY,
            "status": "pending",
            "start_date": "2026-04-01",
            "end_date": "2026-09-30",
            "currency": "USD",
            "budget": {"fees": {"amount": "18450.00", "currency": "USD"}},
        }
    customer: dict[str, Any] = {**envelope, "name": f"Pushed customer {n:06d}", "currency": "USD"}
    if name == "salesforce":
        customer["billing_address"] = {"lines": [f"{n} Main St"], "city": "Austin", "country": "US"}
    else:
        customer["legal_entity_code"] = NS_SUBSIDIARY
    return customer


def upserts(name: str, count: int) -> list[CommandEnvelope]:
    commands = []
    for n in range(count):
        key = new_id()
        commands.append(
            CommandEnvelope(
                key,
                f"bench/{key}",
                name,
                "upsert",
                OBJECT_PUSHED[name],
                canonical(name, n),
                TraceContext.new().traceparent,
            )
        )
    return commands


async def pull(connector: PlatformConnector, object_type: str) -> tuple[int, float]:
    """Every record from no cursor; (changes, seconds)."""
    started = time.perf_counter()
    cursor: str | None = None
    count = 0
    while True:
        page = await connector.detect(object_type, cursor, PAGE)
        bad = [c for c in page.changes if "_unmappable" in c.payload]
        if bad:
            raise SystemExit(f"{connector.name}: unmappable record: {bad[0].payload['_unmappable']}")
        count += len(page.changes)
        cursor = page.next_cursor
        if not page.more:
            return count, time.perf_counter() - started


async def push(connector: PlatformConnector, commands: Sequence[CommandEnvelope], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(commands), batch):
        outcomes = await connector.execute(commands[start : start + batch])
        failed = [o for o in outcomes if not isinstance(o, Succeeded)]
        if failed:
            raise SystemExit(f"{connector.name}: push failed: {failed[0]}")
    return time.perf_counter() - started


async def bulk_time_entries(client: KantataClient, workspaces: Sequence[str], count: int) -> float:
    """Kantata's batch path at the client level: new time entries upserted by external reference (one
    look-up per 200 ids, bulk creates of 100), 100 a call; seconds."""
    started = time.perf_counter()
    for start in range(0, count, 100):
        items = [
            (
                ExternalRef("TimeEntry", new_id(), external_message=TraceContext.new().trace_id),
                {
                    "workspace_id": workspaces[n % len(workspaces)],
                    "date_performed": f"2026-04-{1 + n % 28:02d}",
                    "time_in_minutes": 15 + n % 120,
                    "notes": f"Pushed entry {n}",
                },
            )
            for n in range(start, min(start + 100, count))
        ]
        results = await bulk_upsert_by_reference(client, "time_entries", items)
        failed = [r for r in results if not r.success]
        if failed:
            raise SystemExit(f"kantata: bulk push failed: {failed[0].failure}")
    return time.perf_counter() - started


async def _warm(connector: PlatformConnector, object_type: str) -> None:
    """Take the token and open the connection before the clock starts."""
    await connector.detect(object_type, None, 1)


@dataclass(frozen=True)
class Seeded:
    """What the seeding made that the measurements need."""

    count: int
    references: dict[str, dict[str, str]]
    workspaces: list[str]


def measure_one(name: str, access: SandboxAccess, folder: Path, seeded: Seeded, push_count: int) -> Figures:
    store = SqlStore.open(f"sqlite:///{folder}/{name}.db", partitions=1)
    try:
        connector = build(name, access, services(store, load_mappings(), seeded.references))
        commands = upserts(name, push_count)

        async def scenario() -> Figures:
            try:
                await _warm(connector, OBJECT_PULLED[name])
                pulled, pull_s = await pull(connector, OBJECT_PULLED[name])
                push_s = await push(connector, commands, PUSH_BATCH[name])
                bulk_s = 0.0
                if isinstance(connector, KantataConnector):
                    bulk_s = await bulk_time_entries(connector.client, seeded.workspaces, push_count)
            finally:
                await connector.aclose()
            bulk = push_count if bulk_s else 0
            return Figures(pulled, pull_s, len(commands), push_s, bulk, bulk_s)

        figures = asyncio.run(scenario())
    finally:
        store.close()
    if figures.pulled < seeded.count:
        raise SystemExit(f"{name}: pulled {figures.pulled} of the {seeded.count} records seeded")
    return figures


def seed(access: SandboxAccess, names: Sequence[str], count: int, history: History) -> Seeded:
    tokens = asyncio.run(_tokens(access))
    started = time.perf_counter()
    subsidiary = ""
    workspaces: list[str] = []
    with httpx.Client(timeout=60.0) as http:
        if "salesforce" in names:
            seed_salesforce(http, access, count, history)
        if "kantata" in names:
            workspaces = seed_kantata(http, access, tokens["kantata"], count, history)
        if "netsuite" in names:
            subsidiary = seed_netsuite(http, access, tokens["netsuite"], count, history)
    print(f"seeded {count} records per emulator in {time.perf_counter() - started:.1f} s")
    references = {
        "netsuite_currency": {"1": "USD", "2": "GBP", "3": "CAD", "4": "EUR"},
        "netsuite_currency_id": {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4"},
        "netsuite_subsidiary_code": {subsidiary: NS_SUBSIDIARY},
        "netsuite_subsidiary_id": {NS_SUBSIDIARY: subsidiary},
    }
    return Seeded(count, references, workspaces)


def measure(
    access: SandboxAccess, names: Sequence[str], pull_count: int, push_count: int, history: History
) -> dict[str, Figures]:
    seeded = seed(access, names, pull_count, history)
    results: dict[str, Figures] = {}
    print(f"{'connector':<11}{'pulled':>8}{'records/s':>11}{'pushed':>8}{'batch':>7}{'records/s':>11}")
    with tempfile.TemporaryDirectory(prefix="concord-bench-store-") as folder:
        for name in names:
            figures = measure_one(name, access, Path(folder), seeded, push_count)
            results[name] = figures
            row = figures.as_json()
            print(
                f"{name:<11}{figures.pulled:>8}{row['pulled_per_s']:>11.0f}"
                f"{figures.pushed:>8}{PUSH_BATCH[name]:>7}{row['pushed_per_s']:>11.0f}"
            )
            if figures.bulk:
                bulk_rate = row["bulk_pushed_per_s"]
                print(f"{'  bulk':<11}{'':>19}{figures.bulk:>8}{100:>7}{bulk_rate:>11.0f}")
    return results


async def _tokens(access: SandboxAccess) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        return await fetch_tokens(client, access)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Fewer records (whole run well under a minute).")
    parser.add_argument("--pull", type=int, default=None, help="Records seeded and pulled per connector.")
    parser.add_argument("--push", type=int, default=None, help="Records pushed per connector.")
    parser.add_argument(
        "--only", default=",".join(CONNECTORS), help="Connectors to measure (comma-separated)."
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="Seed every record at once (a data load) instead of a history of changes spread over time; "
        "then every poll re-reads the connectors' overlap window.",
    )
    args = parser.parse_args()
    configure_logging("INFO")  # as a Concord process logs: the clients' per-call debug lines are off
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(CONNECTORS))
    if unknown:
        parser.error(f"unknown connector(s) {', '.join(unknown)}; choose among {', '.join(CONNECTORS)}")
    pull_count = args.pull or (2_000 if args.quick else 10_000)
    push_count = args.push or (1_000 if args.quick else 4_000)
    history = History(timedelta(0) if args.burst else HISTORY_STEP)
    print(
        f"connector throughput: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, "
        f"{pull_count} records pulled ({'burst' if args.burst else 'history'}) and {push_count} pushed "
        "per connector"
    )
    with tempfile.TemporaryDirectory(prefix="concord-bench-") as folder:
        data_dir = Path(folder) / ".sandbox"
        started = time.perf_counter()
        state = start_detached(LaunchOptions(data_dir=data_dir, ports=ports_from(0)))
        print(f"sandbox process {state.pid} up in {time.perf_counter() - started:.1f} s")
        try:
            results = measure(state.access(), names, pull_count, push_count, history)
        finally:
            stop(data_dir)
    print(
        f"load average at the end {os.getloadavg()[0]:.2f}; targets: {PULL_TARGET:,.0f} records/s pulled, "
        f"{PUSH_TARGET:,.0f} records/s pushed"
    )
    print(json.dumps({name: figures.as_json() for name, figures in results.items()}))


if __name__ == "__main__":
    main()
