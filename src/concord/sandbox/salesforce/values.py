"""Field values in their three forms: as a client sends them (JSON), as the emulator stores them
(JSON-safe primitives; numbers as decimal text so money never passes through float), and as SOQL
compares them (str, bool, Decimal, date, aware datetime).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.errors import RecordError
from concord.sandbox.salesforce.schema.fields import ID_TYPES, NUMBER_TYPES, TEXT_TYPES, FieldDef, FieldType

Stored = str | int | bool | None
Typed = str | bool | Decimal | date | datetime | None

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def format_datetime(moment: datetime) -> str:
    """Salesforce's datetime text: ``2024-05-20T20:49:32.000+0000`` (always UTC)."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # isoformat truncates to milliseconds, as the platform shows them; it is on every write's path.
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "+0000"


@functools.lru_cache(maxsize=65_536)
def parse_datetime(text: str) -> datetime | None:
    """Parse an ISO-8601 datetime as Salesforce accepts it (``Z``, ``+0000`` or ``+00:00`` offsets;
    no offset means UTC). Returns None when ``text`` is not one. Cached: queries parse the stored
    ``SystemModstamp`` of every row they filter or sort, again and again."""
    match = _DATETIME.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if offset and offset != "Z":
        digits = offset[1:].replace(":", "")
        shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        try:
            moment = moment - shift if offset[0] == "+" else moment + shift
        except OverflowError:
            return None
    return moment


def parse_date(text: str) -> date | None:
    """Parse ``YYYY-MM-DD``; None when ``text`` is not a valid date."""
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _deserialize_error(field_def: FieldDef, raw: Any) -> RecordError:
    token = (
        "VALUE_STRING" if isinstance(raw, str) else "VALUE_NUMBER" if isinstance(raw, int | Decimal) else ""
    )
    if isinstance(raw, dict):
        token, raw = "START_OBJECT", "{"
    elif isinstance(raw, list):
        token, raw = "START_ARRAY", "["
    elif isinstance(raw, bool):
        token = "VALUE_TRUE" if raw else "VALUE_FALSE"
    type_name = "dateTime" if field_def.type is FieldType.DATETIME else field_def.type.value
    return RecordError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {type_name} from {token} value {raw} "
        "or request may be missing a required field",
        [field_def.name],
    )


def to_stored(field_def: FieldDef, raw: Any) -> Stored:
    """Validate a client-supplied value for ``field_def`` and return its stored form.

    Raises:
        RecordError: with the platform's error code when the value does not fit the field.
    """
    if raw is None:
        return None
    kind = field_def.type
    if kind in TEXT_TYPES or kind in ID_TYPES:
        return _text_to_stored(field_def, raw)
    if kind is FieldType.BOOLEAN:
        return _bool_to_stored(field_def, raw)
    if kind in NUMBER_TYPES:
        return _number_to_stored(field_def, raw)
    if kind is FieldType.DATE:
        parsed_date = parse_date(raw) if isinstance(raw, str) else None
        if parsed_date is None:
            raise _deserialize_error(field_def, raw)
        return parsed_date.isoformat()
    if kind is FieldType.DATETIME:
        parsed = parse_datetime(raw) if isinstance(raw, str) else None
        if parsed is None and isinstance(raw, str) and (only_date := parse_date(raw)) is not None:
            parsed = datetime.combine(only_date, time(), tzinfo=UTC)
        if parsed is None:
            raise _deserialize_error(field_def, raw)
        return format_datetime(parsed)
    raise _deserialize_error(field_def, raw)  # pragma: no cover - every FieldType is handled above


def _text_to_stored(field_def: FieldDef, raw: Any) -> str:
    if isinstance(raw, dict | list):
        raise _deserialize_error(field_def, raw)
    text = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
    if field_def.type in ID_TYPES:
        return _id_to_stored(field_def, text)
    if field_def.length and len(text) > field_def.length:
        raise RecordError(
            "STRING_TOO_LONG",
            f"{field_def.label}: data value too large: {text} (max length={field_def.length})",
            [field_def.name],
        )
    if field_def.type is FieldType.PICKLIST and field_def.restricted and text not in field_def.picklist:
        raise RecordError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{field_def.label}: bad value for restricted picklist field: {text}",
            [field_def.name],
        )
    if field_def.type is FieldType.EMAIL and text and not _EMAIL.match(text):
        raise RecordError(
            "INVALID_EMAIL_ADDRESS", f"{field_def.label}: invalid email address: {text}", [field_def.name]
        )
    return text


def _id_to_stored(field_def: FieldDef, text: str) -> str:
    canonical = ids.normalize(text)
    if canonical is None:
        raise RecordError(
            "MALFORMED_ID", f"{field_def.label}: id value of incorrect type: {text}", [field_def.name]
        )
    return canonical


def _bool_to_stored(field_def: FieldDef, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise _deserialize_error(field_def, raw)


def _number_to_stored(field_def: FieldDef, raw: Any) -> str | int:
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise _deserialize_error(field_def, raw)
    try:
        number = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    except InvalidOperation:
        raise _deserialize_error(field_def, raw) from None
    if not number.is_finite():
        raise _deserialize_error(field_def, raw)
    if field_def.type is FieldType.INT:
        if number != number.to_integral_value():
            raise _deserialize_error(field_def, raw)
        return int(number)
    integer_digits = field_def.precision - field_def.scale
    out_of_range = RecordError(
        "NUMBER_OUTSIDE_VALID_RANGE",
        f"{field_def.label}: value outside of valid range on numeric field: {raw}",
        [field_def.name],
    )
    # Checked before quantizing: a huge exponent would overflow the decimal context.
    if number.adjusted() >= integer_digits:
        raise out_of_range
    rounded = number.quantize(Decimal(1).scaleb(-field_def.scale), rounding=ROUND_HALF_UP)
    if abs(rounded) >= Decimal(10) ** integer_digits:
        raise out_of_range
    return format(rounded, "f")


def to_typed(field_def: FieldDef, stored: Stored) -> Typed:
    """The stored value as SOQL compares it."""
    if stored is None:
        return None
    kind = field_def.type
    if kind in NUMBER_TYPES:
        return Decimal(stored) if not isinstance(stored, bool) else None
    if kind is FieldType.DATE and isinstance(stored, str):
        return date.fromisoformat(stored)
    if kind is FieldType.DATETIME and isinstance(stored, str):
        return parse_datetime(stored)
    return stored if isinstance(stored, str | bool) else Decimal(stored)


def to_json(field_def: FieldDef, stored: Stored) -> Any:
    """The stored value as the REST API renders it (numbers as Decimal, serialised exactly)."""
    if stored is None:
        return None
    if field_def.type in NUMBER_TYPES and field_def.type is not FieldType.INT:
        return Decimal(str(stored))
    return stored
