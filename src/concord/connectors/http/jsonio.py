"""JSON to and from platform APIs with exact numbers.

Numbers with a fraction decode to ``Decimal`` (money never passes through a float), and ``Decimal`` values
encode with their exact digits. Dates and datetimes encode as ISO-8601 (orjson's RFC 3339 form).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson

from concord.engine.errors import CannotEncode


def loads(data: bytes | str) -> Any:
    """Decode a JSON document, fractions as ``Decimal``.

    Raises:
        ValueError: the document is not valid JSON (``json.JSONDecodeError`` is a ``ValueError``).
    """
    return json.loads(data, parse_float=Decimal)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CannotEncode(f"cannot send the non-finite number {value} to a JSON API")
        return orjson.Fragment(format(value, "f").encode("ascii"))
    raise CannotEncode(f"cannot send a {type(value).__name__} value to a JSON API: {value!r:.80}")


def dumps(value: Any) -> bytes:
    """Encode ``value`` as JSON bytes, ``Decimal`` with its exact digits.

    Raises:
        CannotEncode: a value has no JSON form (a non-finite ``Decimal``, an arbitrary object).
    """
    try:
        return orjson.dumps(value, default=_default)
    except orjson.JSONEncodeError as exc:
        if isinstance(exc.__cause__, CannotEncode):
            raise exc.__cause__ from None
        raise CannotEncode(f"cannot encode the request body as JSON: {exc}") from exc
