"""Salesforce-style record ids: 15-character case-sensitive ids and their 18-character forms.

A Salesforce id is a three-character key prefix naming the object (``001`` Account, ``003`` Contact,
``006`` Opportunity ...), a pod/instance part and a base-62 serial. The 18-character form appends a
three-character checksum that encodes which of the first 15 characters are upper case, so the id
survives case-insensitive systems. The emulator issues 18-character ids whose serial part grows
with wall-clock time, so ``ORDER BY Id`` follows creation order as it roughly does on the platform.
"""

from __future__ import annotations

import threading
import time

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_POD = "8d"
_SERIAL_LENGTH = 10
_LOW_DIGITS = 5
_LOW_SPAN = 62**_LOW_DIGITS


_UPPER_AS_BIT = str.maketrans({chr(code): "1" if "A" <= chr(code) <= "Z" else "0" for code in range(128)})
"""Maps an ASCII character to ``1`` when it is upper case, else ``0`` (ids are ASCII alphanumerics)."""


def checksum_suffix(id15: str) -> str:
    """Return the three checksum characters that turn a 15-character id into its 18-character form.

    Each five-character chunk gives one character: bit ``n`` is set when its ``n``-th character is upper
    case (read through a translation table and ``int(..., 2)``: ids are checked on every request).
    """
    bits = id15.translate(_UPPER_AS_BIT)
    return (
        _CHECKSUM_ALPHABET[int(bits[4::-1], 2)]
        + _CHECKSUM_ALPHABET[int(bits[9:4:-1], 2)]
        + _CHECKSUM_ALPHABET[int(bits[14:9:-1], 2)]
    )


def to_18(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character id.

    Raises:
        ValueError: if ``record_id`` is not a well-formed Salesforce id.
    """
    if not is_well_formed(record_id):
        raise ValueError(f"malformed Salesforce id: {record_id!r}")
    if len(record_id) == 18:
        return record_id[:15] + checksum_suffix(record_id[:15])
    return record_id + checksum_suffix(record_id)


def is_well_formed(record_id: str) -> bool:
    """Tell whether ``record_id`` looks like a Salesforce id (15 or 18 alphanumeric characters)."""
    return len(record_id) in (15, 18) and record_id.isascii() and record_id.isalnum()


def normalize(record_id: str) -> str | None:
    """Return the canonical 18-character id, or ``None`` when ``record_id`` is malformed or its
    checksum does not match its first 15 characters."""
    if not is_well_formed(record_id):
        return None
    canonical = to_18(record_id)
    if len(record_id) == 18 and record_id[15:].upper() != canonical[15:]:
        return None
    return canonical


_BASE62_PAIRS = [high + low for high in _BASE62 for low in _BASE62]


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, remainder = divmod(number, 3844)  # two base-62 digits at a time
        digits.append(_BASE62_PAIRS[remainder])
    return "".join(reversed(digits)).rjust(width, "0")[-width:]


#: The organization id of the emulated org (key prefix ``00D``).
ORG_ID = to_18("00D8d0000000SbX")


class IdGenerator:
    """Issue unique, creation-ordered 18-character ids.

    The serial is the wall-clock time in microseconds, bumped by one whenever two ids would collide,
    so ids stay unique across restarts without persisting a counter (the emulator's simulated clock
    is deliberately not used: it may be moved backwards).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        # The id up to its last five characters changes about once a minute (62**5 microseconds), so
        # its text and its checksum character for characters 6-10 are kept for the current stretch.
        self._head: tuple[str, int, str, str] = ("", -1, "", "")

    def new_id(self, key_prefix: str) -> str:
        """Return a fresh id for an object whose key prefix is ``key_prefix`` (three characters)."""
        with self._lock:
            serial = max(self._last + 1, time.time_ns() // 1000)
            self._last = serial
        high, low = divmod(serial, _LOW_SPAN)
        head = self._head
        if head[0] != key_prefix or head[1] != high:
            start = key_prefix + _POD + _base62(high, _SERIAL_LENGTH - _LOW_DIGITS)
            suffix = checksum_suffix(start + "00000")
            head = (key_prefix, high, start, suffix[:2])
            self._head = head
        tail = _base62(low, _LOW_DIGITS)
        bits = tail.translate(_UPPER_AS_BIT)
        return head[2] + tail + head[3] + _CHECKSUM_ALPHABET[int(bits[::-1], 2)]
