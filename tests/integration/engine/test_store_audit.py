"""The audit log's hash chain detects an edited, a deleted and a truncated entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from concord.storage.sql.store import SqlStore
from concord.storage.sql.tables import audit_log


def _store_with_entries(url: str, count: int) -> SqlStore:
    store = SqlStore.open(url)
    with store.transaction() as tx:
        for n in range(count):
            tx.audit.append("ana", "exception.resolve", f"E{n}", {"note": f"fixed {n}"}, datetime.now(UTC))
    return store


def test_an_untouched_chain_verifies(store_url: str) -> None:
    store = _store_with_entries(store_url, 5)
    with store.transaction() as tx:
        report = tx.audit.verify()
    assert report.ok and report.entries == 5
    store.close()


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (
            sa.update(audit_log).where(audit_log.c.seq == 3).values(actor="mallory"),
            "entry 3 (exception.resolve",
        ),
        (sa.delete(audit_log).where(audit_log.c.seq == 2), "entry 3: the entry before it was deleted"),
        (sa.delete(audit_log).where(audit_log.c.seq == 5), "entries after 4 were deleted"),
    ],
    ids=["edited", "deleted", "truncated"],
)
def test_tampering_is_detected(store_url: str, tamper: sa.Executable, problem: str) -> None:
    store = _store_with_entries(store_url, 5)
    with store.engine.begin() as conn:
        conn.execute(tamper)
    with store.transaction() as tx:
        report = tx.audit.verify()
    assert not report.ok
    assert problem in report.problem
    store.close()
