"""``enum``: a table of platform values and the canonical value each one means.

Short form, platform value → canonical value::

    transform: {enum: {"Time and Materials": time_and_materials, "Fixed Fee": fixed_fee}}

Long form, when several platform values mean one canonical value (then say which one to write), or
when values the table does not list should pass unchanged::

    transform:
      enum:
        values: {"not started": open, "started": open, "completed": complete}
        outbound: {open: "not started", complete: "completed", accepted: "completed"}
        others: keep

Platform values are compared as text (``1`` and ``"1"`` are the same; booleans as ``true``/``false``).
A value not in the table is an error naming the value and the ones the table knows, unless ``others:
keep``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from concord.mapping.canonical import Kind, close_to
from concord.mapping.transforms.base import (
    BadValue,
    BuildContext,
    Reader,
    Transform,
    Writer,
    json_ready,
    show,
)

__all__ = ["EnumTransform", "build_enum", "value_key"]

_LONG_FORM = frozenset({"values", "outbound", "others"})
_SHOWN = 12


def value_key(value: Any) -> str:
    """How a value is compared in a table: as text, booleans as true/false, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def _listing(values: list[str]) -> str:
    shown = ", ".join(repr(v) for v in values[:_SHOWN])
    return shown + (f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else "")


class EnumTransform(Transform):
    """A value table, read one way and written the other."""

    name = "enum"

    def __init__(
        self, pairs: list[tuple[Any, Any]], outbound: dict[str, Any] | None, keep_others: bool
    ) -> None:
        """``pairs``: (platform value as written in the file, canonical value)."""
        self.inbound = {value_key(platform): canonical for platform, canonical in pairs}
        self.keep_others = keep_others
        self.ambiguous: list[tuple[str, list[str]]] = []
        if outbound is None:
            reverse: dict[str, Any] = {}
            sources: dict[str, list[str]] = {}
            for platform, canonical in pairs:
                key = value_key(canonical)
                sources.setdefault(key, []).append(value_key(platform))
                reverse.setdefault(key, platform)
            self.ambiguous = [(key, found) for key, found in sources.items() if len(found) > 1]
            self.reverse = reverse
        else:
            self.reverse = outbound

    def outbound_problem(self) -> str | None:
        if not self.ambiguous:
            return None
        key, found = self.ambiguous[0]
        return (
            f"'{key}' comes from several platform values ({_listing(found)}), so it cannot be written back; "
            "add an `outbound:` table saying which to write (long form: values/outbound), "
            "or `direction: inbound`"
        )

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        key = value_key(value)
        if key in self.inbound:
            return self.inbound[key]
        if self.keep_others:
            return json_ready(value)
        raise BadValue(
            f"{show(value)} is not a value this mapping knows; it knows {_listing(list(self.inbound))}"
        )

    def to_platform(self, value: Any, writer: Writer) -> Any:
        key = value_key(value)
        if key in self.reverse:
            return self.reverse[key]
        if self.keep_others:
            return value
        raise BadValue(
            f"{show(value)} has no platform value in this mapping; "
            f"it can write {_listing(list(self.reverse))}"
        )


def _table(raw: Any, ctx: BuildContext, loc: tuple[str, ...], what: str) -> list[tuple[Any, Any]] | None:
    """The (key, value) lines of a table, keys as written in the file."""
    if not isinstance(raw, dict) or not raw:
        ctx.report.fail(f"{what} must be a table of `platform value: canonical value` lines", *loc)
        return None
    pairs: list[tuple[Any, Any]] = []
    for key, value in raw.items():
        if key is None:
            ctx.report.fail("an empty value cannot be listed; use `default:` for records without one", *loc)
        elif isinstance(value, dict | list):
            ctx.report.fail(
                f"the value for {show(key)} must be a single value, not a list or table", *loc, key
            )
        else:
            pairs.append((key, value))
    return pairs


def _check_canonical(
    pairs: list[tuple[Any, Any]], ctx: BuildContext, loc: tuple[str, ...]
) -> list[tuple[Any, Any]]:
    target = ctx.target
    checked: list[tuple[Any, Any]] = []
    allowed = target.allowed_values()
    for key, value in pairs:
        if target.kind is Kind.ENUM:
            if value_key(value) in allowed:
                checked.append((key, value_key(value)))
            else:
                hint = close_to(value_key(value), allowed)
                ctx.report.fail(
                    f"{show(value)} is not a {target.path} Concord knows{hint}; "
                    f"use one of {', '.join(allowed)}",
                    *loc,
                    key,
                )
            continue
        try:
            checked.append((key, target.to_json(value)))
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
            ctx.report.fail(f"{show(value)} does not fit {target.path}: {reason}", *loc, key)
    return checked


def build_enum(args: Any, ctx: BuildContext) -> Transform | None:
    if isinstance(args, dict) and "values" in args and set(args) <= _LONG_FORM:
        long_form = True
        raw_values, raw_outbound, others = (
            args.get("values"),
            args.get("outbound"),
            args.get("others", "error"),
        )
    else:
        long_form = False
        raw_values, raw_outbound, others = args, None, "error"
    failed = ctx.report.count
    values_loc: tuple[str, ...] = ("values",) if long_form else ()
    table = _table(raw_values, ctx, values_loc, "`enum`")
    if table is None:
        return None
    pairs = _check_canonical(table, ctx, values_loc)
    outbound: dict[str, Any] | None = None
    if raw_outbound is not None:
        lines = _table(raw_outbound, ctx, ("outbound",), "`outbound`")
        if lines is not None:
            outbound = {value_key(key): value for key, value in lines}
            known = {value_key(v) for _, v in pairs} | set(ctx.target.allowed_values())
            for key, _ in lines:
                if value_key(key) not in known:
                    ctx.report.fail(
                        f"{show(key)} is not a canonical value of {ctx.target.path}", "outbound", key
                    )
    if others not in ("error", "keep"):
        ctx.report.fail(f"others is 'error' (the default) or 'keep', not {show(others)}", "others")
    if ctx.report.count > failed:
        return None
    return EnumTransform(pairs, outbound, others == "keep")
