"""The shape every transform has, what it is built from, and what it sees while it runs.

A transform converts one value both ways: ``to_canonical`` (platform value → canonical JSON value) and
``to_platform`` (canonical JSON value → platform value). Missing values never reach it: the runtime
handles them (defaults, or nothing at all). A bad value raises ``BadValue`` with a sentence about the
value; the runtime adds which record and field it came from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from concord.mapping.canonical import FieldTarget, Kind
from concord.mapping.context import MappingContext
from concord.mapping.errors import Problem
from concord.mapping.paths import ABSENT, get_path, put_path
from concord.mapping.yamlfile import Loc, YamlFile

__all__ = [
    "BadValue",
    "BuildContext",
    "Reader",
    "Reporter",
    "Transform",
    "TransformFactory",
    "check_options",
    "json_ready",
    "show",
]


class BadValue(ValueError):
    """A value a transform cannot convert; the message describes the value, not where it came from."""


def show(value: Any) -> str:
    """A value as a message quotes it: text in quotes, numbers and the rest as written."""
    if isinstance(value, str):
        return repr(value[:80])
    if isinstance(value, Decimal):
        return format(value, "f")
    return repr(value)[:80]


def json_ready(value: Any) -> Any:
    """``value`` with exact numbers as decimal text, dates as ISO text and tuples as lists."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, float):
        raise BadValue(f"{value!r} is a float; Concord never reads exact values from floats")
    raise BadValue(f"a {type(value).__name__} value cannot be mapped")


@dataclass
class Reporter:
    """Collects load problems at a place in a mapping file."""

    file: YamlFile
    loc: Loc
    problems: list[Problem]

    def fail(self, message: str, *sub: str | int) -> None:
        """Record a problem at this place (or below it, at ``sub``)."""
        self.problems.append(self.file.problem((*self.loc, *sub), message))

    def at(self, *sub: str | int) -> Reporter:
        """A reporter for a place below this one."""
        return Reporter(self.file, (*self.loc, *sub), self.problems)

    @property
    def count(self) -> int:
        """How many problems were recorded so far (to tell whether a step added some)."""
        return len(self.problems)


@dataclass(frozen=True)
class BuildContext:
    """What a transform is built for: the canonical field, the platform fields and the platform."""

    target: FieldTarget
    platform: tuple[str, ...]
    system: str
    report: Reporter


@dataclass
class Reader:
    """The platform record being read (inbound)."""

    record: Mapping[str, Any]
    context: MappingContext
    system: str

    def get(self, path: str) -> Any:
        """The value at a platform path (``ABSENT`` when the record lacks it)."""
        record = self.record
        if type(record) is dict and "." not in path:  # most reads: a top-level field of a plain record
            return record.get(path, ABSENT)
        return get_path(record, path)


@dataclass
class Writer:
    """The platform body being written (outbound)."""

    context: MappingContext
    system: str
    body: dict[str, Any] = field(default_factory=dict)

    def put(self, path: str, value: Any) -> None:
        """Set a platform field (``PathConflict`` when another rule set it differently)."""
        put_path(self.body, path, value)


class Transform(ABC):
    """One named conversion between a platform value and a canonical value."""

    name: ClassVar[str]
    produces: ClassVar[frozenset[Kind] | None] = None
    """The canonical kinds it can make; None for any."""
    many_inputs: ClassVar[bool] = False
    """Whether it reads a list of platform fields (``platform: [a, b]``)."""

    def describe(self) -> str:
        """How lineage names it (``enum``, ``lookup Customer``)."""
        return self.name

    def extra_reads(self) -> tuple[str, ...]:
        """Platform fields it reads besides the rule's own (a money amount's currency field)."""
        return ()

    def inbound_problem(self) -> str | None:
        """Why it cannot run inbound, as a fix-it sentence; None when it can."""
        return None

    def outbound_problem(self) -> str | None:
        """Why it cannot run outbound (it cannot be reversed), as a fix-it sentence; None when it can."""
        return None

    @abstractmethod
    def to_canonical(self, value: Any, reader: Reader) -> Any:
        """The canonical JSON value of a platform value (never missing).

        Raises:
            BadValue: the value cannot be converted.
        """

    @abstractmethod
    def to_platform(self, value: Any, writer: Writer) -> Any:
        """The platform value of a canonical JSON value (never None); may also ``writer.put`` others.

        Raises:
            BadValue: the value cannot be expressed on the platform.
        """


TransformFactory = Callable[[Any, BuildContext], Transform | None]
"""Builds a transform from its arguments in the file, reporting problems; None when it could not."""


def check_options(args: Any, allowed: Sequence[str], report: Reporter, name: str) -> dict[str, Any] | None:
    """``args`` as a dict of options (None counts as empty), or None after reporting what is wrong."""
    if args is None:
        return {}
    if not isinstance(args, dict):
        report.fail(
            f"the options of `{name}` must be a mapping such as {{{allowed[0]}: ...}}, not {show(args)}"
        )
        return None
    unknown = [key for key in args if key not in allowed]
    for key in unknown:
        report.fail(f"`{name}` has no option '{key}'; its options are {', '.join(allowed)}", str(key))
    return None if unknown else args
