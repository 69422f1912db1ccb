"""What a mapping consults while it runs: the cross-reference and the reference tables.

``MappingContext`` is the port; connectors pass their own (backed by the store). ``MemoryContext`` keeps
everything in dicts and mints deterministic global ids, for tests, examples and ``concord mappings test``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["MappingContext", "MemoryContext"]

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class MappingContext(Protocol):
    """The cross-reference and reference tables, as a mapping sees them."""

    def global_id(self, system: str, object_type: str, system_id: str) -> str:
        """The global id of ``system``'s record ``system_id`` of canonical ``object_type``; minted if new."""
        ...

    def system_id(self, system: str, object_type: str, global_id: str) -> str | None:
        """The id in ``system`` of the record ``global_id``, or None when the system does not hold it."""
        ...

    def reference(self, table: str, key: str) -> Any | None:
        """The value for ``key`` in reference table ``table`` (region → legal entity...), or None."""
        ...


def deterministic_id(*parts: str) -> str:
    """A global id (26 Crockford base-32 characters, a valid ULID) derived from ``parts``."""
    # 128 bits in 26 characters of 5 bits: the first character stays within 0-7, as a ULID's does.
    number = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:16], "big")
    chars = []
    for _ in range(26):
        number, index = divmod(number, 32)
        chars.append(_CROCKFORD[index])
    return "".join(reversed(chars))


class MemoryContext:
    """A ``MappingContext`` held in memory.

    Args:
        cross_reference: system → canonical object → platform id → global id, known in advance.
        references: table name → key → value.

    Unknown platform ids get a global id derived from (system, object, id), so the same input always
    maps to the same output; the new link is remembered both ways.
    """

    def __init__(
        self,
        cross_reference: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
        references: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._to_global: dict[tuple[str, str, str], str] = {}
        self._to_system: dict[tuple[str, str, str], str] = {}
        self.references = {
            table: {str(k): v for k, v in rows.items()} for table, rows in (references or {}).items()
        }
        for system, objects in (cross_reference or {}).items():
            for object_type, ids in objects.items():
                for system_id, global_id in ids.items():
                    self.link(system, object_type, str(system_id), str(global_id))

    def link(self, system: str, object_type: str, system_id: str, global_id: str) -> None:
        """Record that ``system_id`` in ``system`` is the record ``global_id``."""
        self._to_global[(system, object_type, system_id)] = global_id
        self._to_system[(system, object_type, global_id)] = system_id

    def global_id(self, system: str, object_type: str, system_id: str) -> str:
        key = (system, object_type, system_id)
        found = self._to_global.get(key)
        if found is None:
            found = deterministic_id(system, object_type, system_id)
            self.link(system, object_type, system_id, found)
        return found

    def system_id(self, system: str, object_type: str, global_id: str) -> str | None:
        return self._to_system.get((system, object_type, global_id))

    def reference(self, table: str, key: str) -> Any | None:
        return self.references.get(table, {}).get(key)
