"""What a test target received and what took effect, kept where a test can count it.

The target honours idempotency keys like a real one (NetSuite's idempotency key, an upsert by external
id): a key seen before returns the first result and has no new effect. ``SqliteLedger`` survives the
process that writes to it being killed, so crash tests can count effects afterwards.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson


@dataclass(frozen=True, slots=True)
class Effect:
    """One effect at the target, in the order they took place."""

    seq: int
    idempotency_key: str
    action: str
    ordering_key: str
    payload: dict[str, Any]
    applied_at: float


class Ledger(Protocol):
    """Where a test target keeps its calls and effects."""

    def call(self, idempotency_key: str, attempt: int) -> None: ...

    def apply(
        self, idempotency_key: str, action: str, ordering_key: str, payload: dict[str, Any]
    ) -> bool: ...

    def effects(self) -> list[Effect]: ...

    def calls(self) -> list[tuple[str, int, float]]: ...


class MemoryLedger:
    """A ledger in memory (single process)."""

    def __init__(self) -> None:
        self._effects: dict[str, Effect] = {}
        self._calls: list[tuple[str, int, float]] = []
        self._lock = threading.Lock()

    def call(self, idempotency_key: str, attempt: int) -> None:
        with self._lock:
            self._calls.append((idempotency_key, attempt, time.monotonic()))

    def apply(self, idempotency_key: str, action: str, ordering_key: str, payload: dict[str, Any]) -> bool:
        """Apply once per key; returns whether this call had the effect."""
        with self._lock:
            if idempotency_key in self._effects:
                return False
            seq = len(self._effects) + 1
            self._effects[idempotency_key] = Effect(
                seq, idempotency_key, action, ordering_key, payload, time.time()
            )
            return True

    def effects(self) -> list[Effect]:
        with self._lock:
            return sorted(self._effects.values(), key=lambda e: e.seq)

    def calls(self) -> list[tuple[str, int, float]]:
        with self._lock:
            return list(self._calls)


class SqliteLedger:
    """A ledger in its own SQLite file: it outlives a killed process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, "
            "action TEXT, ordering_key TEXT, payload TEXT, applied_at REAL)"
        )
        self._conn.execute("CREATE TABLE IF NOT EXISTS calls (key TEXT, attempt INTEGER, at REAL)")

    def call(self, idempotency_key: str, attempt: int) -> None:
        with self._lock:
            self._conn.execute("INSERT INTO calls VALUES (?, ?, ?)", (idempotency_key, attempt, time.time()))

    def apply(self, idempotency_key: str, action: str, ordering_key: str, payload: dict[str, Any]) -> bool:
        with self._lock:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO effects (key, action, ordering_key, payload, applied_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (idempotency_key, action, ordering_key, orjson.dumps(payload).decode(), time.time()),
            )
            return cursor.rowcount == 1

    def effects(self) -> list[Effect]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, key, action, ordering_key, payload, applied_at FROM effects ORDER BY seq"
            ).fetchall()
        return [Effect(r[0], r[1], r[2], r[3], orjson.loads(r[4]), r[5]) for r in rows]

    def calls(self) -> list[tuple[str, int, float]]:
        with self._lock:
            return [(r[0], r[1], r[2]) for r in self._conn.execute("SELECT key, attempt, at FROM calls")]

    def close(self) -> None:
        self._conn.close()
