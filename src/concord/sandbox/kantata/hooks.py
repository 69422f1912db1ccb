"""The rule hooks a resource can declare, and the read-only view of the data they are given."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from concord.sandbox.kantata.errors import ErrorItem

Record = dict[str, Any]
"""A stored record: the attributes Kantata renders, ids as strings."""

Predicate = Callable[[Record], bool]


class RecordReader(Protocol):
    """Read access to the emulator's records, given to hooks and filters."""

    def get(self, collection: str, record_id: str) -> Record | None:
        """The record with ``record_id`` in ``collection`` (including soft-deleted ones), if any."""
        ...

    def find(self, collection: str, attribute: str, value: str | bool) -> list[Record]:
        """Records of ``collection`` whose ``attribute`` equals ``value``."""
        ...


@dataclass(frozen=True)
class WriteContext:
    """What a write hook knows besides the record.

    Attributes:
        reader: the current data.
        now: the emulator clock, rendered as Kantata timestamps are.
        today: the emulator clock's UTC date.
        user_id: the user the bearer token belongs to.
    """

    reader: RecordReader
    now: str
    today: date
    user_id: str


PrepareHook = Callable[[Record, Record | None, WriteContext], None]
"""Fill defaults and derived attributes on ``new`` in place (``old`` is ``None`` on create)."""

ValidateHook = Callable[[Record, Record | None, WriteContext], list[ErrorItem]]
"""Cross-field and cross-record checks on ``new`` (``old`` is ``None`` on create)."""

DeleteHook = Callable[[Record, WriteContext], list[ErrorItem]]
"""Reasons a record cannot be deleted (empty when it can)."""

ScopeHook = Callable[[Mapping[str, str], RecordReader], Predicate | None]
"""An endpoint's default filters: a predicate hiding records unless the query asks for them."""

FilterFactory = Callable[[str, RecordReader], Predicate]
"""Build the predicate for one filter parameter value; raise ``ValueError`` for a malformed value."""


def _no_prepare(new: Record, old: Record | None, ctx: WriteContext) -> None:
    return None


def _no_errors(new: Record, old: Record | None, ctx: WriteContext) -> list[ErrorItem]:
    return []


def _deletable(record: Record, ctx: WriteContext) -> list[ErrorItem]:
    return []


def _no_scope(params: Mapping[str, str], reader: RecordReader) -> Predicate | None:
    return None


@dataclass(frozen=True)
class ResourceHooks:
    """Resource-specific rules; every hook defaults to doing nothing.

    Attributes:
        prepare: defaults and derived attributes.
        validate: checks beyond single-attribute casting.
        before_delete: refuses a delete by returning errors.
        default_scope: records hidden unless asked for (archived projects, deleted tasks...).
        filters: filter parameter name → predicate factory, on top of the common filters.
    """

    prepare: PrepareHook = _no_prepare
    validate: ValidateHook = _no_errors
    before_delete: DeleteHook = _deletable
    default_scope: ScopeHook = _no_scope
    filters: Mapping[str, FilterFactory] = field(default_factory=dict)
