"""Single values: the type-driven copy, dates and times, decimals, hours and negation.

``copy`` (a rule with no ``transform``) converts by the canonical field's type: text stays text, a
number becomes decimal text, ``T``/``F`` and ``true``/``false`` become booleans, a choice is checked
against its allowed values. Dates, times, decimals and hours have their own transforms for the cases
that need options (a date format, a time zone, minutes instead of hours).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from concord.domain.hours import Hours
from concord.domain.money import canonical_decimal
from concord.mapping.canonical import Kind, close_to
from concord.mapping.transforms.base import (
    BadValue,
    BuildContext,
    Reader,
    Transform,
    Writer,
    check_options,
    json_ready,
    show,
)

__all__ = [
    "Copy",
    "DateTransform",
    "DatetimeTransform",
    "DecimalTransform",
    "HoursTransform",
    "Negate",
    "build_copy",
    "build_date",
    "build_datetime",
    "build_decimal",
    "build_hours",
    "build_negate",
    "to_number",
]

_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def to_number(value: Any) -> Decimal:
    """A platform number (Decimal, int or numeric text) as a finite Decimal; floats are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise BadValue(f"{show(value)} is not a number")
    try:
        number = Decimal(value.strip().replace(",", "")) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise BadValue(f"{show(value)} is not a number") from None
    if not number.is_finite():
        raise BadValue(f"{show(value)} is not a finite number")
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(f"{show(value)} is not true or false")


class Copy(Transform):
    """The value as it is, converted to the canonical field's kind."""

    name = "copy"

    def __init__(self, kind: Kind, allowed: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.allowed = allowed

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        kind = self.kind
        if kind is Kind.BOOL:
            return _to_bool(value)
        if kind is Kind.INT:
            number = to_number(value)
            if number != number.to_integral_value():
                raise BadValue(f"{show(value)} is not a whole number")
            return int(number)
        if kind is Kind.DECIMAL:
            return canonical_decimal(to_number(value))
        if kind is Kind.HOURS:
            return str(Hours(to_number(value), reversal=True))
        if kind is Kind.DATE:
            return _parse_date(value, None)
        if kind is Kind.DATETIME:
            return _utc_text(_parse_moment(value, UTC))
        if kind in (Kind.TEXT, Kind.ENUM):
            return self._text(value)
        if kind is Kind.LIST and not isinstance(value, list | tuple):
            raise BadValue(f"{show(value)} is not a list")
        return json_ready(value)

    def _text(self, value: Any) -> str:
        if isinstance(value, bool | dict | list | tuple):
            raise BadValue(f"{show(value)} is not text")
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        if self.allowed and text not in self.allowed:
            raise BadValue(f"{show(text)} is not one of the allowed values: {', '.join(self.allowed)}")
        return text

    def to_platform(self, value: Any, writer: Writer) -> Any:
        if self.kind in (Kind.DECIMAL, Kind.HOURS):
            return to_number(value)
        return value


def build_copy(args: Any, ctx: BuildContext) -> Transform | None:
    if args is not None:
        ctx.report.fail("`copy` takes no options; write `transform: copy` or leave the transform out")
        return None
    if ctx.target.kind is Kind.MONEY:
        ctx.report.fail(
            f"'{ctx.target.path}' is an amount with a currency; use the `money` transform, e.g. "
            "transform: {money: {currency_field: CurrencyIsoCode}}"
        )
        return None
    return Copy(ctx.target.kind, tuple(ctx.target.allowed_values()))


# -- dates and times ----------------------------------------------------------------------------------

_MASK_TOKENS = re.compile(r"YYYY|MM|M|DD|D")
_MASK_GROUPS = {"YYYY": r"(?P<y>\d{4})", "MM": r"(?P<m>\d{2})", "M": r"(?P<m>\d{1,2})", "DD": r"(?P<d>\d{2})"}
_MASK_GROUPS["D"] = r"(?P<d>\d{1,2})"


class DateMask:
    """A date layout written the way people write it: ``M/D/YYYY``, ``DD.MM.YYYY``."""

    def __init__(self, mask: str) -> None:
        self.mask = mask
        parts: list[str] = []
        position = 0
        for match in _MASK_TOKENS.finditer(mask):
            parts.append(re.escape(mask[position : match.start()]))
            parts.append(_MASK_GROUPS[match.group()])
            position = match.end()
        parts.append(re.escape(mask[position:]))
        self.pattern = re.compile("".join(parts))

    @staticmethod
    def problem(mask: str) -> str | None:
        tokens = [t if t in ("YYYY",) else t[0] for t in _MASK_TOKENS.findall(mask)]
        if sorted(tokens) != ["D", "M", "YYYY"]:
            return f"the date format {mask!r} must use YYYY, M or MM, and D or DD once each (e.g. M/D/YYYY)"
        return None

    def parse(self, text: str) -> date | None:
        match = self.pattern.fullmatch(text.strip())
        if match is None:
            return None
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None

    def format(self, day: date) -> str:
        values = {"YYYY": f"{day.year:04d}", "MM": f"{day.month:02d}", "M": str(day.month)}
        values |= {"DD": f"{day.day:02d}", "D": str(day.day)}
        return _MASK_TOKENS.sub(lambda match: values[match.group()], self.mask)


def _parse_date(value: Any, mask: DateMask | None) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        raise BadValue(f"{show(value)} is not a date")
    text = value.strip()
    if mask is not None and (parsed := mask.parse(text)) is not None:
        return parsed.isoformat()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        return _parse_moment(text, UTC).date().isoformat()
    except ValueError:  # BadValue included: the message below says what was expected
        pass
    expected = mask.mask if mask else "YYYY-MM-DD"
    raise BadValue(f"{show(value)} is not a date in the form {expected}")


def _parse_moment(value: Any, zone: ZoneInfo | Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = (
                datetime.combine(date.fromisoformat(text), time())
                if len(text) == 10
                else datetime.fromisoformat(text.replace("Z", "+00:00"))
            )
        except ValueError:
            raise BadValue(f"{show(value)} is not a date and time such as 2026-03-31T14:05:00Z") from None
    else:
        raise BadValue(f"{show(value)} is not a date and time")
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class DateTransform(Transform):
    """A calendar date: ISO (``2026-03-31``) on the canonical side.

    Reading accepts ISO dates, ISO date-times (their date part) and ``read_format`` (``M/D/YYYY``, as
    NetSuite's SuiteQL shows dates); writing uses ``write_format``, ISO unless given. ``format`` sets
    both.
    """

    name = "date"
    produces = frozenset({Kind.DATE})

    def __init__(self, read: DateMask | None, write: DateMask | None) -> None:
        self.read = read
        self.write = write

    def describe(self) -> str:
        return f"date {self.read.mask}" if self.read else "date"

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return _parse_date(value, self.read)

    def to_platform(self, value: Any, writer: Writer) -> Any:
        day = date.fromisoformat(str(value))
        return self.write.format(day) if self.write else day.isoformat()


def _mask(value: Any, ctx: BuildContext, option: str) -> DateMask | str | None:
    """The layout of ``option`` (None for ISO), or "" after reporting a bad one."""
    if value is None or str(value).upper() == "ISO":
        return None
    problem = DateMask.problem(str(value))
    if problem:
        ctx.report.fail(problem, option)
        return ""
    return DateMask(str(value))


def build_date(args: Any, ctx: BuildContext) -> Transform | None:
    allowed = ["format", "read_format", "write_format"]
    options = {"format": args} if isinstance(args, str) else check_options(args, allowed, ctx.report, "date")
    if options is None:
        return None
    both = options.get("format")
    read = _mask(
        options.get("read_format", both), ctx, "read_format" if "read_format" in options else "format"
    )
    write = _mask(
        options.get("write_format", both), ctx, "write_format" if "write_format" in options else "format"
    )
    if isinstance(read, str) or isinstance(write, str):
        return None
    return DateTransform(read, write)


class DatetimeTransform(Transform):
    """An instant: UTC on the canonical side; times without an offset are read in the platform's zone."""

    name = "datetime"
    produces = frozenset({Kind.DATETIME})

    def __init__(self, zone: ZoneInfo | Any) -> None:
        self.zone = zone

    def describe(self) -> str:
        return "datetime" if self.zone is UTC else f"datetime {self.zone}"

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return _utc_text(_parse_moment(value, self.zone))

    def to_platform(self, value: Any, writer: Writer) -> Any:
        moment = _parse_moment(value, UTC).astimezone(self.zone)
        return moment.isoformat().replace("+00:00", "Z")


def build_datetime(args: Any, ctx: BuildContext) -> Transform | None:
    if isinstance(args, str):
        args = {"timezone": args}
    options = check_options(args, ["timezone"], ctx.report, "datetime")
    if options is None:
        return None
    name = options.get("timezone")
    if name is None or str(name).upper() == "UTC":
        return DatetimeTransform(UTC)
    try:
        return DatetimeTransform(ZoneInfo(str(name)))
    except (ZoneInfoNotFoundError, ValueError):
        hint = close_to(str(name), sorted(available_timezones()))
        ctx.report.fail(f"'{name}' is not a time zone{hint}; use an IANA name such as Europe/Berlin or UTC")
        return None


# -- numbers ------------------------------------------------------------------------------------------


class DecimalTransform(Transform):
    """An exact decimal, optionally scaled (a percentage of 15 read as 0.15 with ``divide_by: 100``)."""

    name = "decimal"
    produces = frozenset({Kind.DECIMAL})

    def __init__(self, divide_by: Decimal) -> None:
        self.divide_by = divide_by

    def describe(self) -> str:
        return "decimal" if self.divide_by == 1 else f"decimal ÷ {self.divide_by}"

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return canonical_decimal(to_number(value) / self.divide_by)

    def to_platform(self, value: Any, writer: Writer) -> Any:
        return to_number(value) * self.divide_by


def build_decimal(args: Any, ctx: BuildContext) -> Transform | None:
    options = check_options(args, ["divide_by"], ctx.report, "decimal")
    if options is None:
        return None
    try:
        divide_by = to_number(options.get("divide_by", 1))
    except BadValue as exc:
        ctx.report.fail(f"divide_by: {exc}; give a number such as 100", "divide_by")
        return None
    if divide_by == 0:
        ctx.report.fail("divide_by cannot be 0", "divide_by")
        return None
    return DecimalTransform(divide_by)


_MINUTES_PER_HOUR = Decimal(60)


class HoursTransform(Transform):
    """Hours with two decimals on the canonical side; hours or whole minutes on the platform."""

    name = "hours"
    produces = frozenset({Kind.HOURS})

    def __init__(self, minutes: bool) -> None:
        self.minutes = minutes

    def describe(self) -> str:
        return "hours from minutes" if self.minutes else "hours"

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        number = to_number(value)
        return str(Hours(number / _MINUTES_PER_HOUR if self.minutes else number, reversal=True))

    def to_platform(self, value: Any, writer: Writer) -> Any:
        hours = to_number(value)
        if not self.minutes:
            return hours
        return int((hours * _MINUTES_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def build_hours(args: Any, ctx: BuildContext) -> Transform | None:
    options = {"unit": args} if isinstance(args, str) else check_options(args, ["unit"], ctx.report, "hours")
    if options is None:
        return None
    unit = str(options.get("unit", "hours"))
    if unit not in ("hours", "minutes"):
        ctx.report.fail(f"the unit of `hours` is 'hours' or 'minutes', not {unit!r}")
        return None
    return HoursTransform(unit == "minutes")


class Negate(Transform):
    """The opposite boolean (``disabled`` on the platform is ``active`` in Concord)."""

    name = "negate"
    produces = frozenset({Kind.BOOL})

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        return not _to_bool(value)

    def to_platform(self, value: Any, writer: Writer) -> Any:
        return not _to_bool(value)


def build_negate(args: Any, ctx: BuildContext) -> Transform | None:
    if args is not None:
        ctx.report.fail("`negate` takes no options; write `transform: negate`")
        return None
    return Negate()
