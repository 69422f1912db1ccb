"""``concord sync`` backfills Kantata time entries: 50,000 of them, and again after the process is killed
halfway; every entry is recorded exactly once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kantata_client_support import CLIENT_ID, CLIENT_SECRET, Kantata, serve

from concord.sandbox.core import RunningServer

pytestmark = [pytest.mark.slow]

ENTRIES = 50_000


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as running:
        yield running


def _config(tmp_path: Path, kantata: Kantata) -> Path:
    config = tmp_path / "concord.toml"
    config.write_text(
        f"""
[concord]
database_url = "sqlite:///{tmp_path}/concord.db"
log_level = "WARNING"

[concord.connectors.kantata]
kind = "kantata"
base_url = "{kantata.base_url}"
auth = {{ kind = "client_credentials", client_id = "{CLIENT_ID}" }}
rate = {{ max_concurrency = 4 }}
"""
    )
    return config


def _sync(config: Path, *extra: str) -> subprocess.Popen[bytes]:
    # The secret comes from the environment, as it would in production.
    env = {**os.environ, "CONCORD_CONNECTORS__KANTATA__AUTH__CLIENT_SECRET": CLIENT_SECRET}
    command = [
        sys.executable,
        "-m",
        "concord.cli.main",
        "sync",
        "--system",
        "kantata",
        "--object",
        "time_entries",
    ]
    return subprocess.Popen(
        [*command, "--config", str(config), *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _recorded(database: Path) -> tuple[int, int]:
    """(time entry events, distinct time entries among them) in the store."""
    if not database.exists():
        return 0, 0
    with sqlite3.connect(database) as conn:
        try:
            row = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT source_id) FROM events WHERE object_type = 'TimeEntry'"
            ).fetchone()
        except sqlite3.OperationalError:  # the schema is not there yet
            return 0, 0
    return int(row[0]), int(row[1])


def test_a_backfill_killed_halfway_resumes_and_records_every_entry_once(
    tmp_path: Path, kantata: Kantata
) -> None:
    workspace = kantata.workspace("Globex - Backfill", require_time_approvals=True)
    kantata.time_entries(workspace, ENTRIES)
    config = _config(tmp_path, kantata)
    database = tmp_path / "concord.db"

    first = _sync(config, "--page-size", "1000")
    deadline = time.monotonic() + 240
    while _recorded(database)[0] < ENTRIES // 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, "the backfill ended before it could be killed halfway"
    first.send_signal(signal.SIGKILL)
    first.wait()
    halfway = _recorded(database)
    assert ENTRIES // 2 <= halfway[0] < ENTRIES and halfway[0] == halfway[1]

    second = _sync(config, "--page-size", "1000")
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err.decode()[-3000:]
    assert "Resumed and finished" in out.decode()
    assert _recorded(database) == (ENTRIES, ENTRIES)
    with sqlite3.connect(database) as conn:
        (inbox,) = conn.execute("SELECT COUNT(*) FROM inbox").fetchone()
        (open_exceptions,) = conn.execute("SELECT COUNT(*) FROM exceptions").fetchone()
    assert inbox == ENTRIES and open_exceptions == 0

    # Run again: nothing new, nothing doubled.
    third = _sync(config)
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err.decode()[-3000:]
    assert _recorded(database) == (ENTRIES, ENTRIES)
