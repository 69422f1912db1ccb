"""DocStore: CRUD, string and integer ids, unique keys, change queries with paging, bulk insert."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from concord.sandbox.core import (
    Clock,
    DocNotFoundError,
    DocStore,
    DuplicateKeyError,
    UnknownCollectionError,
)

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    frozen = Clock()
    frozen.set(T0, frozen=True)
    return frozen


@pytest.fixture
def store(clock: Clock) -> DocStore:
    docs = DocStore(clock=clock)
    docs.define("accounts", id_kind="str", unique=["ext_id"])
    docs.define("projects", id_kind="int", unique=["code"])
    return docs


def test_insert_get_patch_put(store: DocStore, clock: Clock) -> None:
    created = store.insert("projects", {"name": "Alpha", "budget": 10})
    clock.advance(60)
    patched = store.patch("projects", created.id, {"budget": 12, "note": None})
    replaced = store.put("projects", created.id, {"name": "Alpha 2"})

    assert created.id == 1
    assert patched.data == {"name": "Alpha", "budget": 12, "note": None}
    assert patched.created_at == T0
    assert patched.modified_at == T0 + timedelta(seconds=60)
    fetched = store.get("projects", 1)
    assert fetched is not None
    assert fetched.data == replaced.data == {"name": "Alpha 2"}


def test_string_ids_are_given_by_the_caller(store: DocStore) -> None:
    store.insert("accounts", {"Name": "Acme"}, doc_id="001A")

    fetched = store.get("accounts", "001A")
    assert fetched is not None
    assert fetched.data == {"Name": "Acme"}
    with pytest.raises(ValueError, match="string ids"):
        store.insert("accounts", {"Name": "No id"})
    with pytest.raises(TypeError, match="str ids"):
        store.insert("accounts", {}, doc_id=1)
    with pytest.raises(DuplicateKeyError) as duplicate:
        store.insert("accounts", {"Name": "Again"}, doc_id="001A")
    assert (duplicate.value.key, duplicate.value.value) == ("id", "001A")


def test_caller_given_integer_id(store: DocStore) -> None:
    store.insert("projects", {"name": "x"}, doc_id=500)

    assert store.insert("projects", {"name": "y"}).id == 501


def test_unique_key_lookup_and_violation(store: DocStore) -> None:
    store.insert("accounts", {"Name": "Acme", "ext_id": "NS-1"}, doc_id="a1")

    found = store.find_by("accounts", "ext_id", "NS-1")
    assert found is not None
    assert found.id == "a1"
    assert store.find_by("accounts", "ext_id", "NS-2") is None
    with pytest.raises(DuplicateKeyError) as duplicate:
        store.insert("accounts", {"ext_id": "NS-1"}, doc_id="a2")
    assert (duplicate.value.key, duplicate.value.value) == ("ext_id", "NS-1")
    store.insert("accounts", {"ext_id": "NS-3"}, doc_id="a3")
    with pytest.raises(DuplicateKeyError):
        store.patch("accounts", "a3", {"ext_id": "NS-1"})
    # documents without the key do not collide
    store.insert_many("accounts", [{}, {}], ids=["n1", "n2"])
    assert store.count("accounts") == 4


def test_soft_delete_hides_keeps_and_frees_the_key(store: DocStore, clock: Clock) -> None:
    doc = store.insert("projects", {"code": "P-1"})
    clock.advance(5)

    deleted = store.delete("projects", doc.id)

    assert deleted is not None
    assert deleted.deleted_at == T0 + timedelta(seconds=5)
    assert store.get("projects", doc.id) is None
    kept = store.get("projects", doc.id, include_deleted=True)
    assert kept is not None
    assert kept.deleted
    assert store.delete("projects", doc.id) is None
    assert store.count("projects") == 0
    assert store.count("projects", include_deleted=True) == 1
    with pytest.raises(DocNotFoundError):
        store.patch("projects", doc.id, {"x": 1})
    reused = store.insert("projects", {"code": "P-1"})
    assert reused.id != doc.id
    with pytest.raises(DuplicateKeyError):
        store.undelete("projects", doc.id)


def test_upsert_by_creates_then_merges(store: DocStore) -> None:
    first, created = store.upsert_by(
        "accounts", "ext_id", "NS-9", {"Name": "Acme", "City": "Bonn"}, new_id="x9"
    )
    second, created_again = store.upsert_by("accounts", "ext_id", "NS-9", {"City": "Köln"}, new_id="other")

    assert (created, created_again) == (True, False)
    assert second.id == first.id == "x9"
    assert second.data == {"Name": "Acme", "City": "Köln", "ext_id": "NS-9"}


def test_changed_orders_by_modified_then_id_and_pages(store: DocStore, clock: Clock) -> None:
    store.insert_many("projects", [{"n": n} for n in range(1, 6)])  # ids 1..5 at T0
    clock.advance(10)
    store.patch("projects", 2, {"n": 20})  # 2 moves to T0+10
    store.delete("projects", 4)  # 4 moves to T0+10, deleted
    clock.advance(10)
    store.insert("projects", {"n": 6})  # id 6 at T0+20

    def ids(**kwargs: object) -> list[object]:
        return [doc.id for doc in store.changed("projects", **kwargs)]  # type: ignore[arg-type]

    assert ids() == [1, 3, 5, 2, 6]
    assert ids(include_deleted=True) == [1, 3, 5, 2, 4, 6]
    assert ids(since=T0 + timedelta(seconds=10)) == [2, 6]
    assert ids(since=T0, until=T0 + timedelta(seconds=10)) == [1, 3, 5]
    assert ids(include_deleted=True, limit=2) == [1, 3]
    assert ids(include_deleted=True, limit=2, offset=2) == [5, 2]
    assert ids(include_deleted=True, limit=2, offset=4) == [4, 6]
    assert ids(include_deleted=True, limit=2, offset=6) == []


def test_scan_and_count_filter_on_fields(store: DocStore) -> None:
    store.insert_many(
        "projects", [{"status": "open"}, {"status": "closed"}, {"status": "open"}, {"other": 1}]
    )

    assert [doc.id for doc in store.scan("projects", where={"status": "open"})] == [1, 3]
    assert [doc.id for doc in store.scan("projects", where={"status": None})] == [4]
    assert store.count("projects", where={"status": "closed"}) == 1
    assert [doc.id for doc in store.scan("projects", limit=2, offset=1)] == [2, 3]


def test_failed_bulk_insert_names_the_culprit_and_inserts_nothing(store: DocStore) -> None:
    store.insert("projects", {"code": "taken"})

    with pytest.raises(DuplicateKeyError) as duplicate:
        store.insert_many(
            "projects", [{"code": "new-1"}, {"code": "new-2"}, {"code": "taken"}, {"code": "x"}]
        )

    assert (duplicate.value.key, duplicate.value.value) == ("code", "taken")
    assert store.count("projects") == 1
    assert [doc.id for doc in store.insert_many("projects", [{}, {}])] == [2, 3]


def test_transaction_is_all_or_nothing(store: DocStore) -> None:
    with pytest.raises(DuplicateKeyError), store.transaction():
        store.insert("projects", {"code": "A"})
        store.insert("projects", {"code": "A"})

    assert store.count("projects") == 0
    with store.transaction():
        store.insert("projects", {"code": "B"})
        with pytest.raises(DuplicateKeyError):
            store.insert_many("projects", [{"code": "C"}, {"code": "B"}])
    assert [doc.data["code"] for doc in store.scan("projects")] == ["B"]


def test_bulk_insert_of_20000_documents_is_fast(store: DocStore) -> None:
    docs = [
        {"code": f"P-{n:05d}", "name": f"Project {n}", "budget": Decimal("1234.50")} for n in range(20_000)
    ]

    # CPU time of this process: other work on the shared machine must not fail the test.
    started = time.process_time()
    inserted = store.insert_many("projects", docs)
    elapsed = time.process_time() - started

    assert len(inserted) == 20_000
    assert [doc.id for doc in inserted[:3]] == [1, 2, 3]
    assert store.count("projects") == 20_000
    found = store.find_by("projects", "code", "P-19999")
    assert found is not None
    assert found.id == 20_000
    assert elapsed < 1.0, f"20,000 documents took {elapsed:.2f}s"


def test_decimal_is_stored_with_exact_digits(store: DocStore) -> None:
    doc = store.insert("projects", {"amount": Decimal("0.10"), "when": T0})

    fetched = store.get("projects", doc.id)
    assert fetched is not None
    assert Decimal(str(fetched.data["amount"])) == Decimal("0.10")
    assert fetched.data["when"] == "2025-01-01T09:00:00+00:00"


def test_unknown_collection_and_bad_names(store: DocStore) -> None:
    with pytest.raises(UnknownCollectionError, match=r"define\('nope'\)"):
        store.get("nope", 1)
    with pytest.raises(ValueError, match="collection name"):
        store.define("drop table;")
    with pytest.raises(ValueError, match="field name"):
        store.find_by("projects", "x') OR 1=1 --", 1)


def test_reset_empties_collections_but_keeps_them(store: DocStore) -> None:
    store.insert("projects", {"code": "A"})

    store.reset()

    assert store.count("projects") == 0
    assert store.insert("projects", {"code": "A"}).id == 1


def test_file_store_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "data" / "tiny.db"
    first = DocStore(path)
    first.define("projects", unique=["code"])
    first.insert("projects", {"code": "A"})
    first.close()

    second = DocStore(path)
    second.define("projects", unique=["code"])
    found = second.find_by("projects", "code", "A")
    second.close()

    assert found is not None
    assert found.id == 1


def test_concurrent_writers_from_threads(store: DocStore) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(200):
                doc = store.insert("projects", {"code": f"{worker}-{n}"})
                store.patch("projects", doc.id, {"seen": True})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert store.count("projects", where={"seen": True}) == 800


class _Undo(Exception):
    """Raised inside a transaction level to roll it back."""


def _codes(store: DocStore) -> list[str]:
    return [doc.data["code"] for doc in store.scan("projects")]


def test_a_failed_inner_level_undoes_only_its_own_writes(store: DocStore) -> None:
    # The savepoints are taken lazily: levels opened one inside the other with nothing written in
    # between share one, and a level that wrote nothing has none. Each must still roll back exactly
    # what was written since it opened.
    with store.transaction():
        with store.transaction():  # shares a savepoint with the next level: nothing written in between
            with pytest.raises(_Undo), store.transaction():
                store.insert("projects", {"code": "inner"})
                raise _Undo
            store.insert("projects", {"code": "middle"})
        with pytest.raises(_Undo), store.transaction():
            with store.transaction():
                pass  # wrote nothing: nothing to undo
            raise _Undo
        store.insert("projects", {"code": "outer"})
        with pytest.raises(_Undo), store.transaction():
            store.insert("projects", {"code": "late"})
            with store.transaction():
                store.insert("projects", {"code": "late-inner"})
            raise _Undo

    assert _codes(store) == ["middle", "outer"]


@pytest.mark.parametrize("nested", [False, True])
def test_an_outer_level_undoes_the_inner_levels_that_succeeded(store: DocStore, nested: bool) -> None:
    store.insert("projects", {"code": "before"})
    with store.transaction() if nested else contextlib.nullcontext():
        with pytest.raises(_Undo), store.transaction():
            with store.transaction():
                with store.transaction():
                    store.insert("projects", {"code": "a"})
                store.patch("projects", 1, {"name": "changed"})
            store.insert_many("projects", [{"code": "b"}, {"code": "c"}])
            raise _Undo
        store.insert("projects", {"code": "after"})

    assert _codes(store) == ["before", "after"]
    stored = store.get("projects", 1)
    assert stored is not None and "name" not in stored.data


def test_a_failed_write_inside_a_level_keeps_the_earlier_writes_of_the_transaction(store: DocStore) -> None:
    with store.transaction():
        store.insert("projects", {"code": "kept"})
        with store.transaction():
            store.insert("projects", {"code": "also kept"})
            with pytest.raises(DuplicateKeyError):
                store.insert("projects", {"code": "kept"})  # one statement: undone by itself
        with pytest.raises(DuplicateKeyError), store.transaction():
            store.insert("projects", {"code": "undone"})
            store.insert_many("projects", [{"code": "x"}, {"code": "kept"}])

    assert _codes(store) == ["kept", "also kept"]


def test_scan_after_seeks_past_an_id_and_last_id_sees_deleted_documents(store: DocStore) -> None:
    assert store.last_id("projects") is None
    for code in ("a", "b", "c", "d"):
        store.insert("projects", {"code": code})
    store.insert("projects", {"code": "far"}, doc_id=10)
    store.delete("projects", 10)
    assert [doc.data["code"] for doc in store.scan("projects", after=2)] == ["c", "d"]
    assert [doc.id for doc in store.scan("projects", after=2, include_deleted=True, limit=2)] == [3, 4]
    assert store.last_id("projects") == 10
    assert store.insert("projects", {"code": "next"}).id == 11
    store.insert("accounts", {"ext_id": "x"}, doc_id="b")
    store.insert("accounts", {"ext_id": "y"}, doc_id="a")
    assert store.last_id("accounts") == "b"
    assert [doc.id for doc in store.scan("accounts", after="a")] == ["b"]


def test_a_collection_without_change_index_drops_it_and_still_answers_change_queries(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "log.db"
    first = DocStore(path, clock=clock)
    first.define("log", id_kind="int")
    first.insert("log", {"n": 1})
    first.close()

    def indexes(docs: DocStore) -> list[str]:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'doc_log'"
        rows = docs._conn.execute(sql)
        return [name for (name,) in rows]

    second = DocStore(path, clock=clock)
    second.define("log", id_kind="int", change_index=False)
    assert indexes(second) == []
    clock.advance(timedelta(seconds=5))
    second.insert("log", {"n": 2})
    assert [doc.data["n"] for doc in second.changed("log", since=T0 + timedelta(seconds=1))] == [2]
