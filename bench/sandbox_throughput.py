"""Throughput of the sandbox emulators over real HTTP: simple reads/s and records/s through batch endpoints.

Run: ``.venv/bin/python bench/sandbox_throughput.py [--quick] [--connections N] [--seconds S]``.

The sandbox runs in a background process (as ``concord sandbox up --detach`` starts it); this process is
the load generator. It keeps ``N`` HTTP/1.1 keep-alive connections busy from one asyncio loop (uvloop,
responses parsed by httptools), each sending its next request as soon as the previous answer is complete,
for a fixed time per measurement. Every answer is read to its last byte and checked (status, and the
record or the result count it must carry); a request whose answer fails the check counts as failed and
handles no records. An asyncio client costs a few tens of microseconds a request, so on a 2-core machine
it leaves the other core to the sandbox; the ``client ceiling`` line shows what it reaches against a
trivial HTTP server in another process, far above the emulators' figures, so the client is not what
limits them. (A thread-per-client httpx load generator, which this bench used before, topped out near
1,200 requests/s against that same trivial server: it measured itself.)

Measured per emulator:

- reads: ``GET`` of one record by id, random among a few hundred (Salesforce sObject Account, Kantata
  time entry, NetSuite customer); the body must be that record;
- batch: Salesforce sObject Collections create (200 Accounts a call, ``allOrNone: false``, every result
  a success), Kantata bulk create (100 time entries a call, Kantata's maximum), and for NetSuite a
  single-record ``POST`` (204 with the new record's ``Location``), because its REST Record API has no batch
  create;
- NetSuite batch reads: SuiteQL pages of 1,000 customers (``POST /query/v1/suiteql?limit=1000``, the
  largest page the platform serves), counted as rows read per second. This is the batch path the real
  API offers for reading; it is reported on its own, not as a batch create.
- the admin health check (``GET /__sandbox/health``: no platform work, but FastAPI's routing through all of
  the emulator's routes and its dependency injection), for comparison with the emulators' own routes, which
  the core serves on a faster path.

Beside each rate, ``(cores)`` is the CPU time the sandbox process used per second of the measurement,
read from ``/proc``: its Python work holds one interpreter lock, so about 1.0 means it had a core to itself
and the figure is what the machine allows; well below 1.0 means other work on the machine (or, if the
client ceiling were low, the client) held it back. The ``per sandbox CPU second`` figures (rate divided
by cores) are what the emulators do with a whole core, steadier than the rates on a shared machine.

The last line printed is one JSON object ``{"salesforce": {"reads_per_s", "batch_records_per_s",
"batch_size", "reads_per_cpu_s", "batch_records_per_cpu_s"}, "kantata": {...}, "netsuite": {...,
"suiteql_rows_per_s", "suiteql_rows_per_cpu_s", "suiteql_page_size"}, "client_ceiling_per_s",
"connections", "seconds"}``. Figures depend on the machine and on whatever else runs on it; the header
line says how busy it was. Targets on the 2-core reference machine: 1,000 reads/s per emulator and 20,000
records/s through batch endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httptools
import httpx
import orjson
import uvloop

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
NS_SUITEQL = "/services/rest/query/v1/suiteql"
SF_BATCH = 200
KANTATA_BATCH = 100
SUITEQL_PAGE = 1000
NS_CUSTOMERS = 2 * SUITEQL_PAGE
_LOCATION = re.compile(rb"/customer/\d+$")


# -- the load generator ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A complete HTTP response."""

    status: int
    headers: dict[bytes, bytes]
    body: bytes


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request in flight at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[Answer] | None = None
        self._headers: dict[bytes, bytes] = {}
        self._body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a registered subclass

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("the server closed the connection"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = Answer(self._parser.get_status_code(), self._headers, b"".join(self._body))
        self._headers, self._body = {}, []
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(answer)

    async def send(self, request: bytes) -> Answer:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


Build = Callable[[random.Random], tuple[bytes, Any]]
"""Makes one request (raw HTTP bytes) and what its answer must show."""
Check = Callable[[Answer, Any], int]
"""Records an answer handled (0 when it is not the expected answer)."""


def http_request(
    method: str, path: str, host: str, token: str | None, body: bytes | None = None, **headers: str
) -> bytes:
    """Raw HTTP/1.1 request bytes (keep-alive is the default)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def always(request: bytes) -> Build:
    """A ``Build`` sending the same request every time."""
    return lambda rng: (request, None)


def hammer(base_url: str, build: Build, check: Check, connections: int, seconds: float) -> tuple[float, int]:
    """Keep ``connections`` connections busy for ``seconds``; records per second and failed requests."""
    return uvloop.run(_hammer(base_url, build, check, connections, seconds))


class ServerCpu:
    """CPU seconds used by the sandbox process (all its threads), from ``/proc``: how much of a core it
    got during a measurement, and so whether the machine's other load held it back."""

    def __init__(self, pid: int) -> None:
        self._path = Path(f"/proc/{pid}/stat")
        self._tick = os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float:
        """User plus system CPU time so far (0 where ``/proc`` is missing)."""
        try:
            fields = self._path.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self._tick


async def _hammer(
    base_url: str, build: Build, check: Check, connections: int, seconds: float
) -> tuple[float, int]:
    host, port = base_url.split("//", 1)[1].rsplit(":", 1)
    loop = asyncio.get_running_loop()
    handled = [0] * connections
    failed = [0] * connections
    go = asyncio.Event()
    deadline = [0.0]

    async def worker(index: int) -> None:
        rng = random.Random(index)
        _, conn = await loop.create_connection(_Connection, host, int(port))
        try:
            request, expected = build(rng)
            await conn.send(request)  # warm the connection
            await go.wait()
            while time.perf_counter() < deadline[0]:
                request, expected = build(rng)
                count = check(await conn.send(request), expected)
                handled[index] += count
                failed[index] += count == 0
        finally:
            conn.close()

    tasks = [asyncio.create_task(worker(i)) for i in range(connections)]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    deadline[0] = started + seconds
    go.set()
    await asyncio.gather(*tasks)
    return sum(handled) / (time.perf_counter() - started), sum(failed)


# -- the client ceiling: the same load generator against a trivial server in another process -----------


class _TrivialServer(asyncio.Protocol):
    _ANSWER = (
        b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{"status":"ok"}'
    )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._parser = httptools.HttpRequestParser(self)

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_message_complete(self) -> None:
        self._transport.write(self._ANSWER)


def _serve_trivial(sock: socket.socket) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_TrivialServer, sock=sock)
        await server.serve_forever()

    uvloop.run(main())


def client_ceiling(connections: int, seconds: float) -> float:
    """Requests/s of the load generator against a trivial HTTP server in another process."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = multiprocessing.get_context("fork").Process(target=_serve_trivial, args=(sock,), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        rate, _ = hammer(
            url,
            lambda rng: (http_request("GET", "/", "127.0.0.1", None), None),
            lambda answer, _: int(answer.status == 200 and answer.body == b'{"status":"ok"}'),
            connections,
            seconds,
        )
        return rate
    finally:
        server.kill()
        server.join()
        sock.close()


# -- setup: records to read ------------------------------------------------------------------------------


def salesforce_fixture(http: httpx.Client, access: SandboxAccess, token: str) -> list[str]:
    records = [{"attributes": {"type": "Account"}, "Name": f"Read target {n}"} for n in range(SF_BATCH)]
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
    entries = [_kantata_entry(workspace, n) for n in range(KANTATA_BATCH)]
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
    """A subsidiary and ``NS_CUSTOMERS`` customers (enough for full SuiteQL pages); their ids."""
    headers = {"Authorization": f"Bearer {token}"}
    made = http.post(
        access.netsuite_url + NS_RECORDS + "/subsidiary",
        json={"name": "Bench Inc.", "country": "US"},
        headers=headers,
    )
    subsidiary = made.headers["location"].rsplit("/", 1)[-1]
    created: list[str] = []

    def build(rng: random.Random) -> tuple[bytes, Any]:
        body = orjson.dumps({"companyName": f"Read target {rng.random()}", "subsidiary": {"id": subsidiary}})
        return http_request("POST", f"{NS_RECORDS}/customer", _host(access.netsuite_url), token, body), None

    def keep(answer: Answer, _: Any) -> int:
        location = answer.headers.get(b"location", b"")
        if answer.status != 204 or _LOCATION.search(location) is None:
            return 0
        if len(created) < NS_CUSTOMERS:
            created.append(location.rsplit(b"/", 1)[-1].decode())
        return 1

    while len(created) < NS_CUSTOMERS:
        hammer(access.netsuite_url, build, keep, 8, 0.5)
    return subsidiary, created[:NS_CUSTOMERS]


def _host(base_url: str) -> str:
    return base_url.split("//", 1)[1]


# -- the measurements ------------------------------------------------------------------------------------


def _json(answer: Answer) -> Any:
    try:
        return orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return None


def _sf_read(answer: Answer, record_id: str) -> int:
    body = _json(answer) if answer.status == 200 else None
    return int(isinstance(body, dict) and body.get("Id") == record_id)


def _sf_batch(answer: Answer, size: int) -> int:
    body = _json(answer) if answer.status == 200 else None
    ok = isinstance(body, list) and len(body) == size and all(row.get("success") for row in body)
    return size if ok else 0


def _kantata_read(answer: Answer, record_id: str) -> int:
    body = _json(answer) if answer.status == 200 else None
    if not isinstance(body, dict) or body.get("results") != [{"key": "time_entries", "id": record_id}]:
        return 0
    return int(record_id in body.get("time_entries", {}))


def _kantata_batch(answer: Answer, size: int) -> int:
    body = _json(answer) if answer.status == 200 else None
    ok = isinstance(body, dict) and len(body.get("results", ())) == size == len(body.get("time_entries", ()))
    return size if ok else 0


def _ns_read(answer: Answer, record_id: str) -> int:
    body = _json(answer) if answer.status == 200 else None
    return int(isinstance(body, dict) and body.get("id") == record_id)


def _ns_created(answer: Answer, _: Any) -> int:
    return int(answer.status == 204 and _LOCATION.search(answer.headers.get(b"location", b"")) is not None)


def _ns_page(answer: Answer, size: int) -> int:
    body = _json(answer) if answer.status == 200 else None
    ok = isinstance(body, dict) and body.get("count") == size and len(body.get("items", ())) == size
    return size if ok else 0


@dataclass(frozen=True)
class Plan:
    """What to measure on one emulator."""

    read: tuple[Build, Check]
    batch: tuple[Build, Check]
    batch_size: int
    extra: dict[str, tuple[Build, Check, int]]


def plans(access: SandboxAccess, tokens: dict[str, str]) -> dict[str, Plan]:
    """Fixtures created, the requests to send to each emulator."""
    with httpx.Client(timeout=30.0) as http:
        sf_ids = salesforce_fixture(http, access, tokens["salesforce"])
        workspace, kt_ids = kantata_fixture(http, access, tokens["kantata"])
        subsidiary, ns_ids = netsuite_fixture(http, access, tokens["netsuite"])
    sf, kt, ns = (_host(access.base_url(name)) for name in ("salesforce", "kantata", "netsuite"))
    sf_token, kt_token, ns_token = tokens["salesforce"], tokens["kantata"], tokens["netsuite"]

    sf_batch = orjson.dumps(
        {
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "Name": f"Batch account {n}", "Industry": "Retail"}
                for n in range(SF_BATCH)
            ],
        }
    )
    kt_batch = orjson.dumps({"time_entries": [_kantata_entry(workspace, n) for n in range(KANTATA_BATCH)]})
    pages = len(ns_ids) // SUITEQL_PAGE
    suiteql = orjson.dumps({"q": "SELECT id, companyName, lastModifiedDate FROM customer ORDER BY id"})

    def sf_read(rng: random.Random) -> tuple[bytes, Any]:
        record_id = rng.choice(sf_ids)
        return http_request("GET", f"{SF_API}/sobjects/Account/{record_id}", sf, sf_token), record_id

    def kt_read(rng: random.Random) -> tuple[bytes, Any]:
        record_id = rng.choice(kt_ids)
        return http_request("GET", f"/api/v1/time_entries/{record_id}.json", kt, kt_token), record_id

    def ns_read(rng: random.Random) -> tuple[bytes, Any]:
        record_id = rng.choice(ns_ids)
        return http_request("GET", f"{NS_RECORDS}/customer/{record_id}", ns, ns_token), record_id

    def ns_create(rng: random.Random) -> tuple[bytes, Any]:
        body = orjson.dumps({"companyName": f"Bench {rng.random()}", "subsidiary": {"id": subsidiary}})
        return http_request("POST", f"{NS_RECORDS}/customer", ns, ns_token, body), None

    def ns_page(rng: random.Random) -> tuple[bytes, Any]:
        offset = rng.randrange(pages) * SUITEQL_PAGE
        path = f"{NS_SUITEQL}?limit={SUITEQL_PAGE}&offset={offset}"
        return http_request("POST", path, ns, ns_token, suiteql, Prefer="transient"), SUITEQL_PAGE

    return {
        "salesforce": Plan(
            (sf_read, _sf_read),
            (
                lambda rng: (
                    http_request("POST", f"{SF_API}/composite/sobjects", sf, sf_token, sf_batch),
                    SF_BATCH,
                ),
                _sf_batch,
            ),
            SF_BATCH,
            {},
        ),
        "kantata": Plan(
            (kt_read, _kantata_read),
            (
                lambda rng: (
                    http_request("POST", "/api/v1/time_entries.json", kt, kt_token, kt_batch),
                    KANTATA_BATCH,
                ),
                _kantata_batch,
            ),
            KANTATA_BATCH,
            {},
        ),
        "netsuite": Plan(
            (ns_read, _ns_read),
            (ns_create, _ns_created),
            1,
            {"suiteql": (ns_page, _ns_page, SUITEQL_PAGE)},
        ),
    }


@dataclass(frozen=True)
class Figure:
    """One measurement: records per second, failed requests, and the sandbox's CPU use meanwhile."""

    per_s: float
    failed: int
    cores: float
    """CPU seconds the sandbox used per second of the measurement (about 1 when it had a core to itself:
    its Python work holds one interpreter lock)."""

    @property
    def per_cpu_s(self) -> float:
        """Records per CPU second of the sandbox: what it does with a whole core, whatever else runs."""
        return self.per_s / self.cores if self.cores > 0 else 0.0


def measured(
    cpu: ServerCpu, base: str, build: Build, check: Check, connections: int, seconds: float
) -> Figure:
    wall, before = time.perf_counter(), cpu.seconds()
    per_s, failed = hammer(base, build, check, connections, seconds)
    cores = (cpu.seconds() - before) / (time.perf_counter() - wall)
    return Figure(per_s, failed, cores)


def measure(access: SandboxAccess, pid: int, connections: int, seconds: float) -> dict[str, Any]:
    tokens = asyncio.run(_tokens(access))
    cpu = ServerCpu(pid)
    results: dict[str, Any] = {}
    print(
        f"{'emulator':<11}{'health/s':>10}{'reads/s':>10}{'(cores)':>9}{'batch':>7}{'records/s':>12}"
        f"{'(cores)':>9}{'failed':>8}   per sandbox CPU second: reads, records"
    )
    for name, plan in plans(access, tokens).items():
        base = access.base_url(name)
        health = measured(
            cpu,
            base,
            always(http_request("GET", "/__sandbox/health", _host(base), None)),
            lambda answer, _: int(answer.status == 200),
            connections,
            seconds / 2,
        )
        reads = measured(cpu, base, *plan.read, connections, seconds)
        # Batch reads before batch writes: the writes grow the collections the reads page through.
        extras = {
            label: measured(cpu, base, build, check, connections, seconds)
            for label, (build, check, _) in plan.extra.items()
        }
        batch = measured(cpu, base, *plan.batch, connections, seconds)
        results[name] = {
            "reads_per_s": round(reads.per_s, 1),
            "batch_records_per_s": round(batch.per_s, 1),
            "batch_size": plan.batch_size,
            "reads_per_cpu_s": round(reads.per_cpu_s, 1),
            "batch_records_per_cpu_s": round(batch.per_cpu_s, 1),
        }
        print(
            f"{name:<11}{health.per_s:>10.0f}{reads.per_s:>10.0f}{reads.cores:>9.2f}{plan.batch_size:>7}"
            f"{batch.per_s:>12.0f}{batch.cores:>9.2f}{reads.failed + batch.failed:>8}"
            f"   {reads.per_cpu_s:,.0f}, {batch.per_cpu_s:,.0f}"
        )
        for label, (_, _, size) in plan.extra.items():
            rows = extras[label]
            results[name][f"{label}_rows_per_s"] = round(rows.per_s, 1)
            results[name][f"{label}_rows_per_cpu_s"] = round(rows.per_cpu_s, 1)
            results[name][f"{label}_page_size"] = size
            print(
                f"{'':<11}{label + ' batch reads, rows/s':>36}{rows.per_s:>12.0f}{rows.cores:>9.2f}"
                f"{rows.failed:>8}   {rows.per_cpu_s:,.0f}"
            )
    return results


async def _tokens(access: SandboxAccess) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        return await fetch_tokens(client, access)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Short measurements (whole run under ~45 s).")
    parser.add_argument(
        "--connections",
        "--clients",
        type=int,
        default=8,
        help="Concurrent keep-alive connections of the load generator.",
    )
    parser.add_argument("--seconds", type=float, default=None, help="Length of each measurement.")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    load = os.getloadavg()[0]
    print(
        f"sandbox throughput: {os.cpu_count()} CPUs, load average {load:.2f} at start, "
        f"{args.connections} connections, {seconds:g} s per measurement"
    )
    ceiling = client_ceiling(args.connections, seconds / 2)
    print(f"client ceiling (the load generator against a trivial server): {ceiling:,.0f} requests/s")
    with tempfile.TemporaryDirectory(prefix="concord-bench-") as folder:
        data_dir = Path(folder) / ".sandbox"
        started = time.perf_counter()
        state = start_detached(LaunchOptions(data_dir=data_dir, ports=ports_from(0)))
        print(f"sandbox process {state.pid} up in {time.perf_counter() - started:.1f} s")
        try:
            results = measure(state.access(), state.pid, args.connections, seconds)
        finally:
            stop(data_dir)
    results.update(client_ceiling_per_s=round(ceiling, 1), connections=args.connections, seconds=seconds)
    print(f"load average at the end {os.getloadavg()[0]:.2f}; targets: 1,000 reads/s, 20,000 batch records/s")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
