"""Field types shared by the canonical objects: identifiers, codes, names, instants and plain decimals.

Each type validates with a message a business person can read and publishes a JSON Schema that says
what the wire format is (decimals are strings, instants are UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from concord.domain.money import DECIMAL_PATTERN, canonical_decimal, to_decimal

__all__ = [
    "Code",
    "CorrelationId",
    "CountryCode",
    "DecimalString",
    "Email",
    "ExternalId",
    "GlobalId",
    "Name",
    "SystemName",
    "Text",
    "UtcDatetime",
]


@dataclass(frozen=True)
class _Pattern:
    """Annotation: a str that must match `pattern`, with a readable message when it does not."""

    pattern: str
    message: str
    description: str
    max_length: int = 255

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        regex = re.compile(self.pattern)

        def validate(value: str) -> str:
            if not regex.fullmatch(value):
                raise PydanticCustomError("format", self.message, {"value": value[:80]})
            return value

        return core_schema.no_info_after_validator_function(
            validate, core_schema.str_schema(max_length=self.max_length)
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": self.pattern,
            "maxLength": self.max_length,
            "description": self.description,
        }


GlobalId: TypeAlias = Annotated[
    str,
    _Pattern(
        r"^[0-9A-HJKMNP-TV-Z]{26}$",
        "'{value}' is not a Concord global id (a 26-character ULID such as 01J9Z3K6T8V2M4N5P7Q8R9S0TA).",
        "Concord global id of a record (ULID, 26 characters, sortable by creation time).",
        max_length=26,
    ),
]
"""The global id Concord gives a record; references between canonical objects use it."""

SystemName: TypeAlias = Annotated[
    str,
    _Pattern(
        r"^[a-z][a-z0-9_]*$",
        "'{value}' is not a system name; use a lower-case word such as 'salesforce' or 'netsuite'.",
        "Name of a connected system, e.g. salesforce, kantata, netsuite.",
        max_length=40,
    ),
]
"""The name of a connected system as configured ("salesforce", "kantata", "netsuite")."""

CorrelationId: TypeAlias = Annotated[
    str,
    _Pattern(
        r"^[0-9a-f]{32}$",
        "'{value}' is not a correlation id (the 32 hexadecimal digits of a W3C trace id).",
        "W3C trace id of the business transaction that produced the record.",
        max_length=32,
    ),
]
"""The trace id (W3C trace context) of the business transaction that produced a record."""

CountryCode: TypeAlias = Annotated[
    str,
    _Pattern(
        r"^[A-Z]{2}$",
        "'{value}' is not a country code; use the two upper-case letters of ISO 3166, such as 'US' or 'DE'.",
        "ISO 3166-1 alpha-2 country code.",
        max_length=2,
    ),
]
"""An ISO 3166-1 alpha-2 country code."""

Code: TypeAlias = Annotated[
    str,
    _Pattern(
        r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
        "'{value}' is not a code; codes are letters and digits, optionally with . _ / -, and no spaces.",
        "A short business code such as US01 or STD-2026.",
        max_length=64,
    ),
]
"""A short business key: a legal entity code, a rate card code, an offering code."""

Email: TypeAlias = Annotated[
    str,
    _Pattern(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        "'{value}' is not an e-mail address.",
        "E-mail address.",
        max_length=320,
    ),
]
"""An e-mail address (checked for shape only; delivery is another system's business)."""

ExternalId: TypeAlias = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
"""An identifier issued by another system (an employee id, a record id, a receipt reference)."""

Name: TypeAlias = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
"""A non-empty name or label, surrounding spaces removed."""

Text: TypeAlias = Annotated[str, StringConstraints(max_length=4000)]
"""Free text such as notes, kept as written."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime: TypeAlias = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An instant with its time zone, stored in UTC so equal instants compare and serialise equal."""


class _DecimalString:
    """Annotation: a Decimal that never accepts a float and serialises as a canonical string."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def validate(value: object) -> Decimal:
            try:
                return to_decimal(value, "number")
            except (TypeError, ValueError) as exc:
                raise PydanticCustomError("decimal_invalid", "{reason}", {"reason": str(exc)}) from exc

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                canonical_decimal, when_used="json-unless-none"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}


DecimalString: TypeAlias = Annotated[Decimal, _DecimalString()]
"""An exact decimal (a ratio, a percentage) that travels as a string, never as a float."""
