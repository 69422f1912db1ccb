"""JSON in and out of the NetSuite emulator without ever passing money through a float.

Request bodies are parsed with ``parse_float=Decimal`` so ``1234.10`` arrives as ``Decimal("1234.10")``.
Responses are written with orjson; a ``Decimal`` is emitted as a raw JSON number (an ``orjson.Fragment``)
so the digits the emulator stored are the digits the client reads, like the real REST API which sends
amounts as JSON numbers.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson


class InvalidJsonError(ValueError):
    """The request body is not a JSON document the emulator can accept."""


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's json module accepts them unless told otherwise.
    raise InvalidJsonError(f"Invalid JSON constant {name}")


def loads_decimal(data: bytes | str) -> Any:
    """Parse JSON, turning every non-integer number into a ``Decimal``.

    Args:
        data: The raw body.

    Returns:
        The parsed document.

    Raises:
        InvalidJsonError: When the body is not valid JSON.
    """
    try:
        return json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidJsonError("The document is not valid JSON or is nested too deeply.") from exc


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"cannot encode non-finite Decimal {value}")
        # "f" format never produces an exponent, which JSON numbers allow but clients rarely expect.
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(document: Any) -> bytes:
    """Serialize a response document; ``Decimal`` values become exact JSON numbers.

    Args:
        document: Any JSON-compatible structure, possibly holding ``Decimal`` values.

    Returns:
        The UTF-8 JSON bytes.
    """
    return orjson.dumps(document, default=_default)
