"""What a load produced: the id each platform assigned to each generated record, and the manifest of
dirty cases resolved to those ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from concord.sandbox.firm.model import Firm


@dataclass
class IdMap:
    """``system → record type → generator key → platform id``."""

    ids: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    def put(self, system: str, kind: str, key: str, platform_id: str) -> None:
        """Remember the id ``system`` gave the record ``key`` of ``kind``."""
        self.ids.setdefault(system, {}).setdefault(kind, {})[key] = platform_id

    def get(self, system: str, kind: str, key: str) -> str:
        """The platform id of a loaded record.

        Raises:
            KeyError: It was not loaded.
        """
        return self.ids[system][kind][key]

    def find(self, system: str, key: str) -> tuple[str, str] | None:
        """``(kind, id)`` of ``key`` in ``system``, whatever its kind."""
        for kind, keys in self.ids.get(system, {}).items():
            if key in keys:
                return kind, keys[key]
        return None

    def counts(self) -> dict[str, dict[str, int]]:
        """Records loaded, per system and record type."""
        return {
            system: {kind: len(keys) for kind, keys in kinds.items()} for system, kinds in self.ids.items()
        }


@dataclass(frozen=True)
class LoadResult:
    """The outcome of loading a firm.

    Attributes:
        ids: Platform ids by system, record type and generator key.
        requests: HTTP requests sent (retries included).
        elapsed_s: Wall time of the load.
    """

    ids: IdMap
    requests: int
    elapsed_s: float

    def manifest(self, firm: Firm) -> list[dict[str, Any]]:
        """The firm's dirty cases with the platform id of each record involved."""
        cases = []
        for case in firm.manifest:
            found = self.ids.find(case.system, case.key)
            related = {}
            for key in case.related:
                hit = self.ids.find(case.system, key)
                related[key] = None if hit is None else {"type": hit[0], "id": hit[1]}
            cases.append(
                {
                    "kind": case.kind.value,
                    "system": case.system,
                    "subject": case.subject,
                    "key": case.key,
                    "id": None if found is None else found[1],
                    "related": related,
                    "description": case.description,
                }
            )
        return cases
