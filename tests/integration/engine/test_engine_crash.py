"""Kill -9 at random instants: nothing is lost, nothing is doubled, order per record is kept.

A separate ``concord run`` process syncs 5,000 changes through the two-step mirror flow to the test
connector, whose ledger lives in its own SQLite file so that it outlives the killed process. The process
is killed with SIGKILL at 20 random instants and restarted each time; the last run goes until idle.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from concord.testing.ledger import SqliteLedger
from concord.testing.mirror_flow import generate_changes
from support.engine import assert_exactly_once

pytestmark = [pytest.mark.crash, pytest.mark.slow]

CHANGES, RECORDS, SEED, KILLS = 5000, 500, 13, 20


def _config(path: Path, url: str, ledger: Path) -> Path:
    config = path / "concord.toml"
    config.write_text(
        f"""
[concord]
database_url = "{url}"
worker_id = "crash-test"
flows = ["mirror"]

[concord.connectors.test]
kind = "test"
changes = {CHANGES}
records = {RECORDS}
seed = {SEED}
ledger = "{ledger}"
latency_s = 0.03

[concord.retry]
initial_s = 0.01
max_delay_s = 0.2

[concord.delivery]
# Small, slow batches in two lanes: the work must outlast twenty lives whatever the machine's speed.
batch_size = 100
connector_batch = 10
lanes = 2
"""
    )
    return config


def _spawn(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CONCORD_LOG_LEVEL": "ERROR"}
    return subprocess.Popen(
        [sys.executable, "-m", "concord.cli.main", "run", "--until-idle", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_at_random_instants_loses_and_doubles_nothing(store_url: str, tmp_path: Path) -> None:
    ledger_path = tmp_path / "ledger.db"
    config = _config(tmp_path, store_url, ledger_path)
    rng = random.Random(SEED)
    ledger = SqliteLedger(ledger_path)
    kills = 0
    while kills < KILLS:
        process = _spawn(config)
        # Kill at a random instant once this life has started delivering (start-up time differs by backend).
        calls_before = len(ledger.calls())
        deadline = time.monotonic() + 60
        while len(ledger.calls()) == calls_before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.8))
        if process.poll() is not None:  # finished before the kill: the work was shorter than planned
            break
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    assert kills == KILLS, f"only {kills} kills landed before the work was done; slow the target down"
    effects_before_final_run = len(ledger.effects())
    assert 0 < effects_before_final_run < 2 * CHANGES, "the kills should have landed mid-work"

    final = _spawn(config)
    _, stderr = final.communicate(timeout=240)
    assert final.returncode == 0, stderr.decode()[-2000:]

    feed = generate_changes(CHANGES, records=RECORDS, seed=SEED)
    assert_exactly_once(ledger.effects(), feed)
    calls = ledger.calls()
    assert len(calls) >= len(ledger.effects())  # at-least-once delivery, exactly-once effect
    ledger.close()
