"""Several workers on one PostgreSQL store share the work without doubling or reordering anything."""

from __future__ import annotations

import asyncio
import threading

import pytest

from concord.bootstrap import bootstrap
from concord.settings import DeliverySettingsModel, Settings
from concord.testing.connector import TestConnector
from concord.testing.mirror_flow import MIRROR_FLOW, MIRROR_SOURCE, generate_changes, mirror_schemas
from support.engine import FAST_RETRY, assert_exactly_once

pytestmark = pytest.mark.postgres


def test_three_workers_in_parallel_deliver_everything_once_in_order(pg_schema_url: str) -> None:
    feed = generate_changes(1500, records=150, seed=21)
    connector = TestConnector(feed=feed)  # one target system, shared (its ledger is thread-safe)
    workers = [
        bootstrap(
            Settings(
                database_url=pg_schema_url,
                worker_id=f"worker-{n}",
                partitions_per_worker=3,
                retry=FAST_RETRY,
                delivery=DeliverySettingsModel(batch_size=50, connector_batch=25),
            ),
            connectors={"test": connector},
            flows=[MIRROR_FLOW],
            schemas=mirror_schemas(),
            sources=[MIRROR_SOURCE],
            log_to_stderr=False,
        )
        for n in range(3)
    ]
    settled: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            progress = asyncio.run(workers[index].worker.run(until_idle=True))
            settled[f"worker-{index}"] = progress.settled
        except BaseException as error:  # surfaced to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert errors == []
    assert_exactly_once(connector.ledger.effects(), feed)
    assert sum(settled.values()) == 3000
    assert sum(1 for n in settled.values() if n > 0) >= 2, f"the work was not shared: {settled}"
    for concord in workers:
        concord.close()
