"""The change gate: authority and echo suppression on the way in (``concord.engine.gates.ChangeGate``).

The recorder hands over each page's fresh changes inside its transaction. Changes of objects the matrix
governs are reviewed against record memory (``review``); the memories of the page's records are read
in one query, under a row lock on PostgreSQL, and written back before the transaction commits. Other
objects pass untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from concord.domain.messages import JSON, Change
from concord.engine.gates import Accepted, GateVerdict, MemoryKey, RememberedRecord
from concord.engine.model import ExceptionDraft
from concord.governance.authority import AuthorityMatrix
from concord.governance.golden import GOLDEN
from concord.governance.notices import authority_exception
from concord.governance.review import review_change

if TYPE_CHECKING:
    from concord.storage.sql.store import Transaction

log = structlog.get_logger(__name__)


class AuthorityGate:
    """Decides which fresh changes become events, by the authority matrix and record memory."""

    def __init__(self, matrix: AuthorityMatrix) -> None:
        self.matrix = matrix

    def admit(self, tx: Transaction, changes: Mapping[str, Accepted], now: datetime) -> GateVerdict:
        """Review the governed changes of a page, in order; pass the others untouched."""
        admitted: dict[str, JSON] = {}
        governed: dict[str, Accepted] = {}
        for key, (change, payload) in changes.items():
            if self.governs(change, payload):
                governed[key] = (change, payload)
            else:
                admitted[key] = payload
        if not governed:
            return GateVerdict(admitted=admitted)
        memories = tx.memory.get_many(_keys(governed.values()), lock=True)
        dirty: dict[MemoryKey, RememberedRecord] = {}
        dropped: dict[str, str] = {}
        exceptions: list[ExceptionDraft] = []
        for key, (change, payload) in governed.items():
            memory = _memory(memories, MemoryKey(change.system, change.object_type, payload["global_id"]))
            golden = _memory(memories, MemoryKey(GOLDEN, change.object_type, payload["global_id"]))
            review = review_change(self.matrix, change, payload, memory, golden)
            dirty[memory.key] = memory
            if review.golden_changed:
                dirty[golden.key] = golden
            if review.refused:
                exceptions.append(authority_exception(change, payload, review.refused))
            if review.payload is not None:
                admitted[key] = review.payload
            else:
                dropped[key] = review.outcome
        tx.memory.save_many(list(dirty.values()))
        if dropped:
            log.info("changes not propagated", outcomes=dict(Counter(dropped.values())))
        return GateVerdict(admitted=admitted, dropped=dropped, exceptions=exceptions)

    def governs(self, change: Change, payload: JSON) -> bool:
        """Whether a change is subject to the matrix (a governed object with a global id, not a deletion)."""
        return (
            not change.deleted
            and self.matrix.governs(change.object_type)
            and isinstance(payload.get("global_id"), str)
        )


def _keys(changes: Iterable[Accepted]) -> set[MemoryKey]:
    keys: set[MemoryKey] = set()
    for change, payload in changes:
        keys.add(MemoryKey(change.system, change.object_type, payload["global_id"]))
        keys.add(MemoryKey(GOLDEN, change.object_type, payload["global_id"]))
    return keys


def _memory(memories: dict[MemoryKey, RememberedRecord], key: MemoryKey) -> RememberedRecord:
    """The stored memory, or a new one (kept in ``memories`` so later changes of the page see it)."""
    if key not in memories:
        memories[key] = RememberedRecord(*key)
    return memories[key]
