"""Fingerprints of field values: how Concord recognises a value it has seen or written before.

A digest is a short SHA-256 of the value's canonical JSON (sorted keys, no spaces), so equal values digest
equally whichever system they came from and however their keys were ordered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from concord.domain.objects.base import ENVELOPE_FIELDS

#: Hex digits kept of the SHA-256: 64 bits, ample to tell one field's successive values apart.
DIGEST_LENGTH = 16

_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
"""What ``json.dumps`` with these options builds on every call (a record's page digests thousands of
values): one encoder, the same text."""


_KNOWN: dict[tuple[type, object], str] = {}
"""Digests of short scalar values already seen: the records of a page repeat them (the project, the
person, the day, the status)."""
_KNOWN_LIMIT = 65_536
_SHORT = 256


def digest(value: Any) -> str:
    """The fingerprint of one field value (exact numbers travel as strings, never as floats)."""
    kind = type(value)
    if (kind is str and len(value) <= _SHORT) or kind is int or kind is bool or value is None:
        key = (kind, value)  # the type keeps True apart from 1
        found = _KNOWN.get(key)
        if found is None:
            if len(_KNOWN) >= _KNOWN_LIMIT:
                _KNOWN.clear()
            found = _KNOWN[key] = _digest(value)
        return found
    return _digest(value)


def _digest(value: Any) -> str:
    text = _CANONICAL_JSON.encode(value)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def business_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The business fields of a canonical record's JSON: everything but the envelope."""
    return {name: value for name, value in payload.items() if name not in ENVELOPE_FIELDS}


def fingerprint(payload: Mapping[str, Any]) -> dict[str, str]:
    """Field name → digest, for the business fields of a canonical record's JSON."""
    return {name: digest(value) for name, value in business_fields(payload).items()}
