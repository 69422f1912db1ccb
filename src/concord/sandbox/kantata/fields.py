"""Writable attributes of Kantata resources: their kinds and how request values are coerced.

Kantata is a Rails application: JSON and form bodies are both accepted and values are type-cast the
Rails way (``"90"`` is a valid integer, ``"true"``/``"1"`` are booleans). A value that cannot be cast
is a 422 ``validation`` error naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from concord.sandbox.kantata.timefmt import parse_date


class FieldKind(Enum):
    """How a request value is cast and checked."""

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    REFERENCE = "reference"
    CHOICE = "choice"
    CURRENCY = "currency"
    ID_LIST = "id_list"
    DECIMAL = "decimal"
    OBJECT = "object"


class FieldValueError(ValueError):
    """A value that cannot be cast to its field's kind (the message is Rails-style, no attribute name)."""


@dataclass(frozen=True)
class FieldSpec:
    """One writable attribute.

    Attributes:
        name: the attribute name in request and response bodies.
        kind: how the value is cast.
        required: must be present and non-blank on create.
        creatable: accepted on create (ignored otherwise, as Rails ignores unpermitted keys).
        updatable: accepted on update.
        target: for REFERENCE / ID_LIST, the collection the ids must exist in.
        choices: for CHOICE, the accepted values.
        max_length: for STRING, the longest accepted value.
        minimum: for INTEGER, the smallest accepted value.
    """

    name: str
    kind: FieldKind
    required: bool = False
    creatable: bool = True
    updatable: bool = True
    target: str | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int | None = None

    @cached_property
    def caster(self) -> Callable[[FieldSpec, Any], Any]:
        """The function casting a request value for this field's kind (looked up once)."""
        return _CASTERS[self.kind]


_TRUE = {"true", "1", "t", "yes", "on"}
_FALSE = {"false", "0", "f", "no", "off"}
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def is_blank(value: Any) -> bool:
    """Rails' ``blank?`` for the values a JSON or form body can carry."""
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def coerce(spec: FieldSpec, value: Any) -> Any:
    """Cast a request value to the stored form of ``spec``'s kind.

    References are stored as strings (Kantata renders every id as a string); ``None`` and blank strings
    clear a field.

    Raises:
        FieldValueError: when the value cannot be cast.
    """
    if value is None or (isinstance(value, str) and not value.strip() and spec.kind is not FieldKind.STRING):
        return None
    return spec.caster(spec, value)


def _cast_string(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool | dict | list):
        raise FieldValueError("is not a valid string")
    text = str(value)
    if spec.max_length is not None and len(text) > spec.max_length:
        raise FieldValueError(f"is too long (maximum is {spec.max_length} characters)")
    return text


def _cast_integer(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool):
        raise FieldValueError("is not a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise FieldValueError("must be an integer" if isinstance(value, Decimal) else "is not a number")
    if spec.minimum is not None and number < spec.minimum:
        raise FieldValueError(f"must be greater than or equal to {spec.minimum}")
    return number


def _cast_boolean(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldValueError("is not a valid boolean")


def _cast_date(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldValueError("is not a valid date")
    try:
        return parse_date(value).isoformat()
    except ValueError as exc:
        raise FieldValueError("is not a valid date (expected YYYY-MM-DD)") from exc


def _cast_reference(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise FieldValueError("is not a valid id")
    text = str(value).strip()
    if not _INTEGER.match(text) or int(text) <= 0:
        raise FieldValueError("is not a valid id")
    return str(int(text))


def _cast_choice(spec: FieldSpec, value: Any) -> str:
    text = str(value)
    if text not in spec.choices:
        raise FieldValueError("is not included in the list")
    return text


def _cast_currency(spec: FieldSpec, value: Any) -> str:
    text = str(value).strip().upper()
    if not _CURRENCY.match(text):
        raise FieldValueError("is not a valid ISO 4217 currency code")
    return text


def _cast_id_list(spec: FieldSpec, value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise FieldValueError("must be a list of ids")
    return [_cast_reference(spec, item) for item in items]


def _cast_decimal(spec: FieldSpec, value: Any) -> str:
    # Money arrives as a number (bodies are parsed with Decimal floats) or a string; it is kept as a
    # decimal string and never becomes a float.
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise FieldValueError("is not a number")
    text = str(value).strip()
    if not _DECIMAL.match(text):
        raise FieldValueError("is not a number")
    return text


def _cast_object(spec: FieldSpec, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldValueError("must be an object")
    return value


_CASTERS = {
    FieldKind.STRING: _cast_string,
    FieldKind.INTEGER: _cast_integer,
    FieldKind.BOOLEAN: _cast_boolean,
    FieldKind.DATE: _cast_date,
    FieldKind.REFERENCE: _cast_reference,
    FieldKind.CHOICE: _cast_choice,
    FieldKind.CURRENCY: _cast_currency,
    FieldKind.ID_LIST: _cast_id_list,
    FieldKind.DECIMAL: _cast_decimal,
    FieldKind.OBJECT: _cast_object,
}
