"""How fast the engine moves changes through record → decide → act, against what the store allows.

For each backend (SQLite in a temporary file, PostgreSQL in a fresh schema of the local server) it runs
the two-step mirror flow over N changes with the in-process test connector, every guarantee on (durable
commits, inbox dedupe, transactional outbox, per-record ordering, leases), and reports changes per second.

In the same run it measures the ceiling: the same store taking, in plain batched inserts of 1,000 rows per
transaction through the raw driver, all the rows the engine writes for one change (1 inbox + 1 event +
1 flow state + 2 outbox commands + 2 command results = 7 rows), expressed as changes per second.

Each backend runs in a child process so that its peak RSS is its own. The last line is one JSON object.
Run: ``.venv/bin/python bench/engine_throughput.py [--quick] [--changes N] [--backends sqlite,postgresql]
[--governed]`` (``--governed`` adds the shipped authority matrix's change gate and write screen, which
leave the ungoverned ``TestRecord`` alone: the figures show what they cost when they have nothing to do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS_PER_CHANGE = 7
PG_URL = os.environ.get("CONCORD_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")


def engine_rate(url: str, changes: int, governed: bool = False) -> float:
    from concord.bootstrap import bootstrap
    from concord.settings import DeliverySettingsModel, Settings
    from concord.testing.connector import TestConnector
    from concord.testing.mirror_flow import MIRROR_FLOW, MIRROR_SOURCE, generate_changes, mirror_schemas

    feed = generate_changes(changes, records=max(changes // 5, 1))
    connector = TestConnector(feed=feed)
    settings = Settings(
        database_url=url,
        dispatch_batch=2000,
        delivery=DeliverySettingsModel(batch_size=1000, connector_batch=500),
    )
    concord = bootstrap(
        settings,
        connectors={"test": connector},
        flows=[MIRROR_FLOW],
        schemas=mirror_schemas(),
        sources=[MIRROR_SOURCE.__class__("test", "TestRecord", page_size=2000)],
        log_to_stderr=False,
        **_governance(governed),
    )
    started = time.perf_counter()
    concord.worker.idle_sleep_s = 0.001
    asyncio.run(concord.worker.run(until_idle=True))
    elapsed = time.perf_counter() - started
    effects = connector.ledger.effects()
    assert len(effects) == 2 * changes, f"expected {2 * changes} effects, got {len(effects)}"
    concord.close()
    return changes / elapsed


def _governance(governed: bool) -> dict[str, Any]:
    """The shipped authority matrix's change gate and write screen (``TestRecord`` is not governed)."""
    if not governed:
        return {}
    from concord.governance import AuthorityGate, EchoScreen, load_authority

    matrix = load_authority()
    return {"gate": AuthorityGate(matrix), "screen": EchoScreen(matrix)}


def ceiling_rate(url: str, changes: int) -> float:
    """Changes/s the store accepts as plain batched inserts of the engine's rows (raw driver)."""
    rows = changes * ROWS_PER_CHANGE
    payload = '{"key":"R00001","version":1,"value":"value 1","amount":"12.34"}'
    batch = [(f"k{n:012d}", payload, "2026-01-01T00:00:00+00:00") for n in range(1000)]
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE ceiling (k TEXT PRIMARY KEY, payload TEXT, at TEXT)")
        started = time.perf_counter()
        for start in range(0, rows, 1000):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO ceiling VALUES (?, ?, ?)", [(f"{start}-{k}", p, a) for k, p, a in batch]
            )
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", "")) as pg:
            pg.execute("CREATE TABLE ceiling (k TEXT PRIMARY KEY, payload TEXT, at TIMESTAMPTZ)")
            pg.commit()
            started = time.perf_counter()
            with pg.cursor() as cursor:
                for start in range(0, rows, 1000):
                    cursor.executemany(
                        "INSERT INTO ceiling VALUES (%s, %s, %s)",
                        [(f"{start}-{k}", p, a) for k, p, a in batch],
                    )
                    pg.commit()
            elapsed = time.perf_counter() - started
    return rows / elapsed / ROWS_PER_CHANGE


def child(backend: str, changes: int, governed: bool) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="concord-bench-"))
    if backend == "sqlite":
        engine_url = f"sqlite:///{workdir / 'engine.db'}"
        ceiling_url = f"sqlite:///{workdir / 'ceiling.db'}"
        schemas: list[str] = []
    else:
        import psycopg

        schemas = [f"bench_{secrets.token_hex(4)}", f"bench_{secrets.token_hex(4)}"]
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"CREATE SCHEMA {schema}")
        engine_url = f"{PG_URL}?options=-csearch_path%3D{schemas[0]}"
        ceiling_url = f"{PG_URL}?options=-csearch_path%3D{schemas[1]}"
    try:
        engine = engine_rate(engine_url, changes, governed)
        ceiling = ceiling_rate(ceiling_url, changes)
    finally:
        if schemas:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                for schema in schemas:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "engine_per_s": round(engine, 1),
        "ceiling_per_s": round(ceiling, 1),
        "ratio": round(engine / ceiling, 3),
        "peak_rss_mb": round(peak_mb, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under 45 s)")
    parser.add_argument("--changes", type=int, default=None)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--governed", action="store_true", help="run with the shipped authority gate and write screen"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    changes = args.changes or (3000 if args.quick else 20000)
    if args.child:
        print(json.dumps(child(args.child, changes, args.governed)))
        return
    results: dict[str, dict[str, float]] = {}
    for backend in args.backends.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--child", backend, "--changes", str(changes)]
            + (["--governed"] if args.governed else []),
            check=True,
            capture_output=True,
            text=True,
        )
        results[backend] = json.loads(out.stdout.strip().splitlines()[-1])
    header = f"{'backend':<12}{'engine/s':>12}{'ceiling/s':>12}{'ratio':>8}{'peak RSS MB':>14}"
    print(f"{header}   ({changes} changes)")
    for backend, r in results.items():
        print(
            f"{backend:<12}{r['engine_per_s']:>12.0f}{r['ceiling_per_s']:>12.0f}{r['ratio']:>8.3f}"
            f"{r['peak_rss_mb']:>14.0f}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
