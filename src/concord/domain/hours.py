"""Hours: a Decimal with exactly 2 places, never negative unless it undoes hours recorded earlier.

`Hours` is a pydantic field type (``SignedHours`` for a field that may hold a reduction or reversal): it
validates from Python values or JSON and serialises to JSON as a string (`"7.50"`). Floats are refused,
as for money (``concord.domain.money``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Annotated, Any, Final, TypeAlias

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from concord.domain.money import to_decimal

__all__ = ["Hours", "SignedHours"]

_EXACT: Final = Context(prec=60, rounding=ROUND_HALF_UP)
_MAX_HOURS: Final = Decimal(10) ** 9
_HOURS_STEP: Final = Decimal("0.01")


class Hours(Decimal):
    """A number of hours, a Decimal with exactly 2 places (rounded half-up). Immutable.

    Hours are never negative unless the value is explicitly a reversal (`reversal=True`, or
    `Hours.reversal_of`). Arithmetic on Hours returns plain Decimals; wrap the result in `Hours` again.
    Business limits (a time entry is more than 0 and at most 24 hours) live with the objects that own
    them, not here.

    Args:
        value: a Decimal, an int or a decimal string; never a float.
        reversal: allow a negative value, because it undoes hours recorded earlier.
    """

    def __new__(cls, value: Decimal | int | str = 0, *, reversal: bool = False) -> Hours:
        number = to_decimal(value, "number of hours")
        if abs(number) >= _MAX_HOURS:
            raise ValueError(f"{number} hours is too large to be a real number of hours.")
        number = number.quantize(_HOURS_STEP, rounding=ROUND_HALF_UP, context=_EXACT)
        if number.is_zero():
            number = abs(number)
        if number < 0 and not reversal:
            raise ValueError(
                f"Hours cannot be negative ({number}) unless they are a reversal of hours recorded earlier."
            )
        return super().__new__(cls, number)

    @classmethod
    def from_minutes(cls, minutes: int) -> Hours:
        """Hours from whole minutes (as some PSAs store time), rounded half-up to 2 places."""
        return cls(Decimal(minutes) / 60, reversal=minutes < 0)

    @classmethod
    def reversal_of(cls, hours: Decimal) -> Hours:
        """The negative of `hours`, marked as a reversal."""
        return cls(-hours, reversal=True)

    @property
    def is_reversal(self) -> bool:
        """Whether these hours undo hours recorded earlier (they are negative)."""
        return self < 0

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_hours, (str(self),))

    def __repr__(self) -> str:
        return f"Hours('{self}')"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _hours_core_schema(signed=False)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _hours_json_schema(signed=False)


def _restore_hours(text: str) -> Hours:
    return Hours(text, reversal=text.startswith("-"))


def _hours_core_schema(*, signed: bool) -> core_schema.CoreSchema:
    def validate(value: object) -> Hours:
        try:
            return Hours(value, reversal=signed)  # type: ignore[arg-type]  # to_decimal checks the type
        except (TypeError, ValueError) as exc:
            raise PydanticCustomError("hours_invalid", "{reason}", {"reason": str(exc)}) from exc

    return core_schema.no_info_plain_validator_function(
        validate,
        serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json-unless-none"),
    )


def _hours_json_schema(*, signed: bool) -> JsonSchemaValue:
    sign = "-?" if signed else ""
    return {
        "type": "string",
        "format": "decimal",
        "pattern": rf"^{sign}\d+(\.\d+)?$",
        "description": "Hours as a decimal string, 2 places (rounded half-up)"
        + ("; negative for a reduction or reversal." if signed else "; never negative."),
    }


class _SignedHoursMarker:
    """Annotation that lets an `Hours` field hold a negative delta or reversal."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _hours_core_schema(signed=True)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _hours_json_schema(signed=True)


SignedHours: TypeAlias = Annotated[Hours, _SignedHoursMarker()]
"""A field of hours that may be negative: a change order's delta, a reversal."""
