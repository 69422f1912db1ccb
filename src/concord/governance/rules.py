"""The building blocks of the authority matrix: lifecycles, ownership rules, and an object's rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The stages a record goes through, read from one of its fields."""

    field: str
    stages: tuple[str, ...]
    #: field value -> index of its stage; a value not listed is in the first stage.
    values: Mapping[str, int]

    def stage_of(self, record: Mapping[str, Any]) -> int:
        """The index of the stage ``record`` is in."""
        value = record.get(self.field)
        return self.values.get(value, 0) if isinstance(value, str) else 0


@dataclass(frozen=True, slots=True)
class Rule:
    """Who owns a field in stages ``start`` up to (not including) ``end``."""

    kinds: frozenset[str]
    start: int = 0
    end: int | None = None

    def holds(self, stage: int) -> bool:
        """Whether the rule applies to a record in ``stage``."""
        return self.start <= stage and (self.end is None or stage < self.end)


@dataclass(frozen=True, slots=True)
class ObjectAuthority:
    """The rules of one canonical object: a default for every field, and rules for some fields."""

    default: tuple[Rule, ...]
    fields: Mapping[str, tuple[Rule, ...]]
    lifecycle: Lifecycle | None = None
