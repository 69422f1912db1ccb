"""Dotted paths into nested records: reading a platform field such as ``workspace.currency`` or
``Approved_By__r.Name``, and writing ``budget.fees`` into canonical values or ``parent.id`` into a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["ABSENT", "Absent", "PathConflict", "get_path", "is_missing", "put_path"]


class Absent:
    """The marker for a path a record does not contain at all (unlike one holding None)."""

    _instance: Absent | None = None

    def __new__(cls) -> Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = Absent()


def get_path(record: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (None when a step on the way is None, ABSENT when a key is missing)."""
    current: Any = record
    for part in path.split("."):
        if current is None:
            return None
        if not isinstance(current, Mapping) or part not in current:
            return ABSENT
        current = current[part]
    return current


def is_missing(value: Any) -> bool:
    """Whether a platform value counts as "no value": absent, None, or blank text."""
    return value is None or value is ABSENT or (isinstance(value, str) and not value.strip())


class PathConflict(ValueError):
    """Two writes put different values at one path."""

    def __init__(self, path: str, old: Any, new: Any) -> None:
        super().__init__(f"{path} would be both {old!r} and {new!r}")
        self.path = path


def put_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``target``, creating the groups on the way.

    Writing None to a nested path whose group does not exist yet sets the group itself to None (a
    cleared reference is ``"parent": null``, not ``"parent": {"id": null}``).

    Raises:
        PathConflict: the path already holds a different value.
    """
    parts = path.split(".")
    current = target
    for depth, part in enumerate(parts[:-1]):
        below = current.get(part, ABSENT)
        if below is ABSENT or below is None:
            if value is None:
                _set(current, ".".join(parts[: depth + 1]), part, None)
                return
            below = {}
            current[part] = below
        if not isinstance(below, dict):
            raise PathConflict(".".join(parts[: depth + 1]), below, {parts[depth + 1]: value})
        current = below
    _set(current, path, parts[-1], value)


def _set(current: dict[str, Any], path: str, key: str, value: Any) -> None:
    if key in current and current[key] != value:
        raise PathConflict(path, current[key], value)
    current[key] = value
