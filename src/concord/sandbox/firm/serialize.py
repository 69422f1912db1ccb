"""A firm as canonical JSON, and its fingerprint (same seed, same bytes, same fingerprint)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import orjson

from concord.sandbox.firm.model import Firm


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def firm_to_json(firm: Firm) -> bytes:
    """The whole firm as JSON: dates as ISO text, money and hours as decimal strings, keys in field order."""
    return orjson.dumps(firm, default=_default)


def fingerprint(firm: Firm) -> str:
    """SHA-256 of :func:`firm_to_json`, in hex."""
    return hashlib.sha256(firm_to_json(firm)).hexdigest()
