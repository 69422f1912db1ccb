"""Timestamps and dates as Kantata writes and reads them.

Kantata renders datetimes as ISO-8601 with an offset (``2013-07-31T10:43:32-07:00`` in old recorded
responses). The emulator renders UTC with millisecond precision (``2026-06-02T10:15:30.123Z``) so that
change queries made in quick succession stay distinguishable; the precision is an assumption [U].
Filters accept any ISO-8601 datetime, a bare date meaning its midnight UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def format_timestamp(moment: datetime) -> str:
    """Render an aware datetime as UTC ISO-8601 with milliseconds and ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO-8601 datetime or date into an aware UTC datetime.

    Raises:
        ValueError: when ``text`` is not ISO-8601.
    """
    value = text.strip()
    if not value:
        raise ValueError("empty datetime")
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    # A query string turns '+' into a space unless the client encoded it.
    value = value.replace(" ", "+") if "T" in value and " " in value else value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(text: str) -> date:
    """Parse a ``YYYY-MM-DD`` date.

    Raises:
        ValueError: when ``text`` is not such a date.
    """
    value = text.strip()
    if len(value) != 10:
        raise ValueError(f"not a YYYY-MM-DD date: {text!r}")
    return date.fromisoformat(value)


def parse_date_range(text: str) -> tuple[date, date]:
    """Parse Kantata's ``YYYY-MM-DD:YYYY-MM-DD`` range (both ends inclusive).

    Raises:
        ValueError: when ``text`` is not two colon-separated dates in order.
    """
    start_text, sep, end_text = text.partition(":")
    if not sep:
        raise ValueError(f"expected two colon-separated dates: {text!r}")
    start, end = parse_date(start_text), parse_date(end_text)
    if end < start:
        raise ValueError(f"the range ends before it starts: {text!r}")
    return start, end


def stored_moment(text: str) -> datetime:
    """Parse a timestamp this emulator wrote (always :func:`format_timestamp` output)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
