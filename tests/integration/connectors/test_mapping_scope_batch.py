"""A connector maps a batch of writes with each referenced record looked up once (every posting of a batch
names the same project), and afresh for the next batch."""

from __future__ import annotations

from typing import Any

from platform_support import services
from sqlalchemy import event

from concord.connectors.platform import MappingScope
from concord.domain.ids import new_id
from concord.storage.sql.store import SqlStore


def test_a_batch_looks_each_referenced_record_up_once_and_the_next_batch_afresh(store: SqlStore) -> None:
    shared = services(store)
    scope = MappingScope(shared, "netsuite", "netsuite")
    project, other = new_id(), new_id()
    shared.xref.link(project, "netsuite", "Project", "11")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "xref" in statement:
            statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with scope.batch():
            found = [scope.system_id("netsuite", "Project", project) for _ in range(5)]
            missing = [scope.system_id("netsuite", "Project", other) for _ in range(3)]
        in_batch = len(statements)
        shared.xref.link(other, "netsuite", "Project", "12")  # written to NetSuite since
        after = scope.system_id("netsuite", "Project", other)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert found == ["11"] * 5 and missing == [None] * 3
    assert after == "12"
    # One look-up per record in the batch (the same record asked again is not asked of the store).
    lone = MappingScope(shared, "netsuite", "netsuite")
    statements.clear()
    event.listen(store.engine, "before_cursor_execute", count)
    try:
        lone.system_id("netsuite", "Project", project)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert in_batch == 2 * len(statements)
