"""Conditions: ``when`` on a rule (map this field only if ...) and ``only_when`` on a mapping (which
platform records it reads, e.g. the stories that are milestones).

A condition looks at one field, of the platform record (``platform: story_type``) or of the canonical
values (``canonical: status``), and tests it with exactly one of ``equals``, ``in`` or ``present``.
Values compare as text, as in ``enum`` tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from concord.mapping.paths import get_path, is_missing
from concord.mapping.transforms.enums import value_key

__all__ = ["Condition"]


@dataclass(frozen=True)
class Condition:
    """A test of one platform or canonical field."""

    side: Literal["platform", "canonical"]
    path: str
    test: Literal["equals", "in", "present"]
    expected: tuple[str, ...] = ()
    """The accepted values as text (for ``equals`` one, for ``in`` several)."""
    present: bool = True

    def holds(self, platform: Mapping[str, Any], canonical: Mapping[str, Any]) -> bool:
        """Whether the condition is true of these platform and canonical values."""
        value = get_path(platform if self.side == "platform" else canonical, self.path)
        if self.test == "present":
            return is_missing(value) != self.present
        return not is_missing(value) and value_key(value) in self.expected

    def describe(self) -> str:
        """The condition in words, for messages and lineage."""
        if self.test == "present":
            return f"{self.path} {'has a value' if self.present else 'is empty'}"
        if self.test == "equals":
            return f"{self.path} is {self.expected[0]!r}"
        return f"{self.path} is one of {', '.join(repr(v) for v in self.expected)}"
