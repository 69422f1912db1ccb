"""Bulk creation at volume: 20,000 time entries in batches of 100 over HTTP."""

from __future__ import annotations

import time

import pytest
from kantata_support import Kantata

pytestmark = pytest.mark.slow


def test_twenty_thousand_time_entries_in_batches_take_well_under_ten_seconds(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    started, cpu_started = time.perf_counter(), time.process_time()
    ids = kantata.time_entries(workspace_id, 20_000, rate_in_cents=12000, billable=True)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert len(ids) == len(set(ids)) == 20_000
    # Client and emulator share this process, so its CPU time is the cost of the whole exchange; it is
    # what "well under 10 s" is held to, because wall time on a shared 2-core machine also measures
    # everybody else's work. The wall-time bound only catches a hang.
    assert cpu < 10.0, f"20,000 time entries cost {cpu:.1f} s of CPU ({elapsed:.1f} s wall)"
    assert elapsed < 60.0, f"20,000 time entries took {elapsed:.1f} s"
    page = kantata.ok(
        "GET", "time_entries.json", params={"per_page": 200, "page": 100, "order": "created_at:asc"}
    )
    assert page["meta"] == {"count": 20_000, "page_count": 100, "page_number": 100, "page_size": 200}
    assert [ref["id"] for ref in page["results"]] == ids[-200:]
    created = kantata.ok(
        "GET", "subscribed_events.json", params={"event_types": "time_entry:created", "per_page": 1}
    )
    assert created["count"] == 20_000
