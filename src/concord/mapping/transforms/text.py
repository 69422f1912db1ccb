"""Text that is joined or split: ``concat`` (first and last name → name) and ``split`` (a street block
with one line per row → address lines)."""

from __future__ import annotations

from typing import Any

from concord.mapping.canonical import Kind
from concord.mapping.paths import is_missing
from concord.mapping.transforms.base import BadValue, BuildContext, Reader, Transform, Writer, show

__all__ = ["Concat", "Split", "build_concat", "build_split"]


def _text(value: Any) -> str:
    if isinstance(value, bool | dict | list | tuple):
        raise BadValue(f"{show(value)} is not text")
    return str(value).strip()


class Concat(Transform):
    """Several platform fields joined with a separator; empty ones are left out."""

    name = "concat"
    produces = frozenset({Kind.TEXT})
    many_inputs = True

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def outbound_problem(self) -> str | None:
        return (
            "a joined value cannot be split back reliably; add `direction: inbound` (or a hook for writing)"
        )

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return self.separator.join(_text(part) for part in value if not is_missing(part))

    def to_platform(self, value: Any, writer: Writer) -> Any:  # pragma: no cover - refused at load
        raise BadValue("a joined value cannot be written back")


def build_concat(args: Any, ctx: BuildContext) -> Transform | None:
    separator = " " if args is None else args
    if not isinstance(separator, str):
        ctx.report.fail(
            f"`concat` takes the separator as text, such as {{concat: ' '}}, not {show(separator)}"
        )
        return None
    if len(ctx.platform) < 2:
        ctx.report.fail("`concat` joins several platform fields; list them: platform: [FirstName, LastName]")
        return None
    return Concat(separator)


class Split(Transform):
    """One platform text ↔ a list of lines (blank lines dropped), joined again when written."""

    name = "split"
    produces = frozenset({Kind.LIST})

    def __init__(self, separator: str) -> None:
        self.separator = separator

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return [part.strip() for part in _text(value).split(self.separator) if part.strip()]

    def to_platform(self, value: Any, writer: Writer) -> Any:
        if not isinstance(value, list | tuple):
            raise BadValue(f"{show(value)} is not a list")
        return self.separator.join(_text(part) for part in value)


def build_split(args: Any, ctx: BuildContext) -> Transform | None:
    separator = "\n" if args is None else args
    if not isinstance(separator, str) or not separator:
        ctx.report.fail(
            f"`split` takes the separator as text, such as {{split: ', '}}, not {show(separator)}"
        )
        return None
    return Split(separator)
