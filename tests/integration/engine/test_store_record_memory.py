"""Record memory in the store: bulk reads by key, inserts and updates, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from concord.engine.errors import ConcurrentWrite
from concord.engine.gates import MemoryKey, RememberedRecord
from concord.storage.sql.store import SqlStore

GIDS = ["01J9Z3K6T8V2M4N5P7Q8R9S0TA", "01J9Z3K6T8V2M4N5P7Q8R9S0TB"]
AT = datetime(2026, 3, 2, 9, 0, 1, 250000, tzinfo=UTC)


def test_memories_round_trip_and_update_in_place(store_url: str) -> None:
    store = SqlStore.open(store_url)
    golden = {"name": {"d": "ab12", "v": "Acme", "at": AT.isoformat(), "by": "salesforce"}}
    with store.transaction() as tx:
        tx.memory.save_many(
            [
                RememberedRecord("netsuite", "Customer", GIDS[0], "NS-1", {"name": "ab12"}, AT),
                RememberedRecord("concord", "Customer", GIDS[0], seen=golden),
                RememberedRecord("netsuite", "Customer", GIDS[1], written={"name": {"d": "cd34", "c": "C1"}}),
            ]
        )
    keys = [MemoryKey("netsuite", "Customer", g) for g in GIDS] + [
        MemoryKey("concord", "Customer", GIDS[0]),
        MemoryKey("salesforce", "Customer", GIDS[0]),  # never stored
    ]
    with store.transaction() as tx:
        found = tx.memory.get_many(keys, lock=True)
        assert set(found) == set(keys[:3])
        first = found[keys[0]]
        assert (first.system_id, first.seen, first.seen_at, first.written, first.stored) == (
            "NS-1",
            {"name": "ab12"},
            AT,
            {},
            True,
        )
        assert found[keys[2]].seen == golden
        first.written = {"name": {"d": "ef56", "c": "C2"}}
        first.written_at = AT
        tx.memory.save_many([first])
    with store.transaction() as tx:
        again = tx.memory.get_many([keys[0]])[keys[0]]
    assert again.written == {"name": {"d": "ef56", "c": "C2"}} and again.seen == {"name": "ab12"}
    store.close()


def test_two_workers_creating_the_same_memory_is_a_concurrent_write(store_url: str) -> None:
    store = SqlStore.open(store_url)
    with store.transaction() as tx:
        tx.memory.save_many([RememberedRecord("netsuite", "Customer", GIDS[0])])
    with pytest.raises(ConcurrentWrite), store.transaction() as tx:
        tx.memory.save_many([RememberedRecord("netsuite", "Customer", GIDS[0], seen={"name": "x"})])
    store.close()
