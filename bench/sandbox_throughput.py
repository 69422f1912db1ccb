"""Throughput of the sandbox emulators over real HTTP: simple reads/s and records/s through batch endpoints.

Run: ``.venv/bin/python bench/sandbox_throughput.py [--quick] [--clients N] [--seconds S]``.

The sandbox runs in a background process (as ``concord sandbox up --detach`` starts it) so that the
emulators and this load generator each get a core; a few httpx clients (one thread each, keep-alive)
send requests for a fixed time per measurement:

- reads: ``GET`` of one record by id, random among a few hundred (Salesforce sObject, Kantata time
  entry, NetSuite customer);
- batch: Salesforce sObject Collections (200 Accounts a call), Kantata bulk create (100 time entries a
  call), NetSuite single-record ``POST`` (its REST Record API has no batch create);
- the HTTP floor: ``GET /__sandbox/health``, which does no emulator work, shows what the HTTP stack alone
  allows on this machine.

The last line printed is one JSON object ``{"salesforce": {"reads_per_s", "batch_records_per_s"}, ...}``.
Figures depend on the machine and on whatever else runs on it; the header line says how busy it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from concord.sandbox.launch import (
    LaunchOptions,
    SandboxAccess,
    fetch_tokens,
    ports_from,
    start_detached,
    stop,
)

SF_API = "/services/data/v60.0"
NS_RECORDS = "/services/rest/record/v1"
Request = Callable[[httpx.Client, random.Random], int]
"""Sends one request; returns how many records it handled (0 when it failed)."""


def hammer(base_url: str, token: str, request: Request, clients: int, seconds: float) -> tuple[float, int]:
    """Run ``request`` in a loop on ``clients`` threads for ``seconds``; records per second and failures."""
    handled = [0] * clients
    failed = [0] * clients
    barrier = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def worker(index: int) -> None:
        rng = random.Random(index)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
            request(client, rng)  # warm the connection
            barrier.wait()
            while time.perf_counter() < deadline[0]:
                count = request(client, rng)
                handled[index] += count
                failed[index] += count == 0

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.perf_counter() + seconds)
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    return sum(handled) / (time.perf_counter() - started), sum(failed)


def _ok(response: httpx.Response, count: int = 1) -> int:
    return count if response.status_code < 300 else 0


# -- setup: a few records to read ----------------------------------------------------------------------


def salesforce_fixture(http: httpx.Client, access: SandboxAccess, token: str) -> list[str]:
    records = [{"attributes": {"type": "Account"}, "Name": f"Read target {n}"} for n in range(200)]
    response = http.post(
        access.salesforce_url + SF_API + "/composite/sobjects",
        json={"allOrNone": True, "records": records},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return [row["id"] for row in response.json()]


def kantata_fixture(http: httpx.Client, access: SandboxAccess, token: str) -> tuple[str, list[str]]:
    headers = {"Authorization": f"Bearer {token}"}
    api = access.kantata_url + "/api/v1"
    made = http.post(
        f"{api}/workspaces.json",
        json={"workspace": {"title": "Bench", "creator_role": "maven"}},
        headers=headers,
    )
    workspace = made.json()["results"][0]["id"]
    member = {"participation": {"workspace_id": workspace, "user_id": "1", "role": "maven"}}
    http.post(f"{api}/participations.json", json=member, headers=headers).raise_for_status()
    entries = [_kantata_entry(workspace, n) for n in range(100)]
    bulk = http.post(f"{api}/time_entries.json", json={"time_entries": entries}, headers=headers)
    bulk.raise_for_status()
    return workspace, [ref["id"] for ref in bulk.json()["results"]]


def _kantata_entry(workspace: str, n: int) -> dict[str, Any]:
    return {
        "workspace_id": workspace,
        "date_performed": f"2026-03-{1 + n % 28:02d}",
        "time_in_minutes": 30 + n % 90,
    }


def netsuite_fixture(http: httpx.Client, access: SandboxAccess, token: str) -> tuple[str, list[str]]:
    headers = {"Authorization": f"Bearer {token}"}
    base = access.netsuite_url + NS_RECORDS
    made = http.post(f"{base}/subsidiary", json={"name": "Bench Inc.", "country": "US"}, headers=headers)
    subsidiary = made.headers["location"].rsplit("/", 1)[-1]
    ids = []
    for n in range(100):
        body = {"companyName": f"Read target {n}", "subsidiary": {"id": subsidiary}}
        ids.append(
            http.post(f"{base}/customer", json=body, headers=headers).headers["location"].rsplit("/", 1)[-1]
        )
    return subsidiary, ids


# -- the measurements ----------------------------------------------------------------------------------


def measure(access: SandboxAccess, clients: int, seconds: float) -> dict[str, dict[str, float]]:
    tokens = asyncio.run(_tokens(access))
    with httpx.Client(timeout=30.0) as http:
        sf_ids = salesforce_fixture(http, access, tokens["salesforce"])
        workspace, kt_ids = kantata_fixture(http, access, tokens["kantata"])
        subsidiary, ns_ids = netsuite_fixture(http, access, tokens["netsuite"])

    sf_batch = [
        {"attributes": {"type": "Account"}, "Name": f"Batch account {n}", "Industry": "Retail"}
        for n in range(200)
    ]
    kt_batch = [_kantata_entry(workspace, n) for n in range(100)]
    plans: dict[str, tuple[Request, Request, int]] = {
        "salesforce": (
            lambda c, r: _ok(c.get(f"{SF_API}/sobjects/Account/{r.choice(sf_ids)}")),
            lambda c, r: _ok(
                c.post(f"{SF_API}/composite/sobjects", json={"allOrNone": False, "records": sf_batch}), 200
            ),
            200,
        ),
        "kantata": (
            lambda c, r: _ok(c.get(f"/api/v1/time_entries/{r.choice(kt_ids)}.json")),
            lambda c, r: _ok(c.post("/api/v1/time_entries.json", json={"time_entries": kt_batch}), 100),
            100,
        ),
        "netsuite": (
            lambda c, r: _ok(c.get(f"{NS_RECORDS}/customer/{r.choice(ns_ids)}")),
            lambda c, r: _ok(
                c.post(
                    f"{NS_RECORDS}/customer",
                    json={"companyName": f"Bench {r.random()}", "subsidiary": {"id": subsidiary}},
                )
            ),
            1,
        ),
    }
    results: dict[str, dict[str, float]] = {}
    print(f"{'emulator':<11}{'HTTP floor/s':>14}{'reads/s':>11}{'batch':>7}{'records/s':>12}{'failed':>8}")
    for name, (read, write, batch) in plans.items():
        base = access.base_url(name)
        floor, _ = hammer(
            base, tokens[name], lambda c, r: _ok(c.get("/__sandbox/health")), clients, seconds / 2
        )
        reads, read_failures = hammer(base, tokens[name], read, clients, seconds)
        records, write_failures = hammer(base, tokens[name], write, clients, seconds)
        results[name] = {
            "reads_per_s": round(reads, 1),
            "batch_records_per_s": round(records, 1),
            "batch_size": batch,
        }
        failures = read_failures + write_failures
        print(f"{name:<11}{floor:>14.0f}{reads:>11.0f}{batch:>7}{records:>12.0f}{failures:>8}")
    return results


async def _tokens(access: SandboxAccess) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        return await fetch_tokens(client, access)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Short measurements (whole run under ~45 s).")
    parser.add_argument("--clients", type=int, default=4, help="Concurrent httpx clients (threads).")
    parser.add_argument("--seconds", type=float, default=None, help="Length of each measurement.")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    load = os.getloadavg()[0]
    print(
        f"sandbox throughput: {os.cpu_count()} CPUs, load average {load:.2f} at start, "
        f"{args.clients} clients, {seconds:g} s per measurement"
    )
    with tempfile.TemporaryDirectory(prefix="concord-bench-") as folder:
        data_dir = Path(folder) / ".sandbox"
        started = time.perf_counter()
        state = start_detached(LaunchOptions(data_dir=data_dir, ports=ports_from(0)))
        print(f"sandbox process {state.pid} up in {time.perf_counter() - started:.1f} s")
        try:
            results = measure(state.access(), args.clients, seconds)
        finally:
            stop(data_dir)
    print(f"load average at the end {os.getloadavg()[0]:.2f}; targets: 1,000 reads/s, 20,000 batch records/s")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
