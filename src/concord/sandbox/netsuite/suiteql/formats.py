"""Oracle-style date format masks (``YYYY-MM-DD HH24:MI:SS``) and the account's display formats.

SuiteQL returns every value as a string. Dates are written in the account's date format (the emulator
uses the US default, ``M/D/YYYY``) and date-times add ``h:mm am``, without seconds, which is why a
careful incremental sync selects ``TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS')``. Times are UTC
in the emulator (a real account shows them in the user's time zone).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime

from concord.sandbox.netsuite.suiteql.lexer import SuiteQLSyntaxError

_MASK_TOKENS = (
    ("YYYY", "%Y"),
    ("HH24", "%H"),
    ("HH12", "%I"),
    ("MONTH", "%B"),
    ("MON", "%b"),
    ("DAY", "%A"),
    ("A.M.", "%p"),
    ("P.M.", "%p"),
    ("YY", "%y"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH", "%I"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("AM", "%p"),
    ("PM", "%p"),
    ("DY", "%a"),
)
_LITERAL = re.compile(r"[\s\-/:.,T]")


@functools.lru_cache(maxsize=256)
def strftime_pattern(mask: str) -> str:
    """Translate an Oracle mask to a ``strftime``/``strptime`` pattern (cached: a query applies the same
    mask to every row).

    Raises:
        SuiteQLSyntaxError: On a mask element the emulator does not know.
    """
    out: list[str] = []
    i, upper = 0, mask.upper()
    while i < len(mask):
        for token, directive in _MASK_TOKENS:
            if upper.startswith(token, i):
                out.append(directive)
                i += len(token)
                break
        else:
            if not _LITERAL.match(mask[i]):
                raise SuiteQLSyntaxError(f"Invalid date format mask '{mask}'")
            out.append("%%" if mask[i] == "%" else mask[i])
            i += 1
    return "".join(out)


def parse_with_mask(text: str, mask: str) -> datetime:
    """``TO_DATE(text, mask)``: an aware UTC datetime.

    Raises:
        SuiteQLSyntaxError: When ``text`` does not match ``mask``.
    """
    try:
        return datetime.strptime(text.strip(), strftime_pattern(mask)).replace(tzinfo=UTC)
    except ValueError as exc:
        raise SuiteQLSyntaxError(f"The value '{text}' does not match the date format '{mask}'") from exc


def format_with_mask(value: date | datetime, mask: str) -> str:
    """``TO_CHAR(value, mask)``."""
    moment = (
        value if isinstance(value, datetime) else datetime(value.year, value.month, value.day, tzinfo=UTC)
    )
    return moment.strftime(strftime_pattern(mask))


def parse_loose(text: str) -> datetime:
    """A date string compared with a date column: the account format (``M/D/YYYY [h:mm am]``) or ISO.

    Raises:
        SuiteQLSyntaxError: When the text is no date in a known format.
    """
    cleaned = text.strip()
    for pattern in ("%m/%d/%Y %I:%M %p", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(cleaned, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SuiteQLSyntaxError(f"The value '{text}' is not a valid date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def display_date(value: date) -> str:
    """The account's date format: ``1/5/2026``."""
    return f"{value.month}/{value.day}/{value.year}"


def display_datetime(value: datetime) -> str:
    """The account's date-time format: ``1/5/2026 3:07 pm``."""
    moment = value.astimezone(UTC)
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{display_date(moment.date())} {hour}:{moment.minute:02d} {suffix}"
