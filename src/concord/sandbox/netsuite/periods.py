"""Accounting period rules: which period a transaction posts to, and when posting is refused.

NetSuite derives a posting transaction's ``postingPeriod`` from its ``tranDate`` (the base period, not a
quarter or year, whose dates contain it). A closed period refuses every posting and every change to the
transactions already in it; a locked period (``allLocked``, or ``arLocked`` for receivables such as
invoices, ``apLocked`` for payables such as expense reports) refuses them for users without the
"Override Period Restrictions" permission, which an integration role does not have. The detail texts
are [U] reconstructions in NetSuite's wording style.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from concord.sandbox.netsuite.errors import NetSuiteError, user_error

AR_TYPES = frozenset({"invoice"})
AP_TYPES = frozenset({"expenseReport"})

NO_PERIOD = "The transaction date you specified is not within the date range of your accounting period."


@dataclass(frozen=True)
class Period:
    """The facts of one ``accountingPeriod`` record that posting rules need."""

    id: str
    name: str
    start: str
    end: str
    base: bool
    adjust: bool
    inactive: bool
    closed: bool
    all_locked: bool
    ar_locked: bool
    ap_locked: bool

    @classmethod
    def from_record(cls, record_id: str, data: Mapping[str, Any]) -> Period:
        """Build from a stored ``accountingPeriod`` document."""
        return cls(
            id=record_id,
            name=str(data.get("periodName", record_id)),
            start=str(data.get("startDate", "")),
            end=str(data.get("endDate", "")),
            base=not data.get("isYear") and not data.get("isQuarter"),
            adjust=bool(data.get("isAdjust")),
            inactive=bool(data.get("isInactive")),
            closed=bool(data.get("closed")),
            all_locked=bool(data.get("allLocked")),
            ar_locked=bool(data.get("arLocked")),
            ap_locked=bool(data.get("apLocked")),
        )

    def contains(self, day: str) -> bool:
        """Whether the ISO date ``day`` falls inside the period."""
        return self.start <= day <= self.end


def period_for_date(periods: Iterable[Period], day: str) -> Period | None:
    """The base period a transaction dated ``day`` posts to (regular periods win over adjustment ones)."""
    candidates = [p for p in periods if p.base and not p.inactive and p.contains(day)]
    candidates.sort(key=lambda p: (p.adjust, p.start))
    return candidates[0] if candidates else None


def refusal(period: Period, record_type: str) -> str | None:
    """Why ``period`` refuses postings of ``record_type``, or ``None`` when it accepts them."""
    if period.closed:
        return f"The accounting period {period.name} is closed. You cannot post to a closed period."
    if period.all_locked:
        return f"The accounting period {period.name} is locked. You cannot post to a locked period."
    if period.ar_locked and record_type in AR_TYPES:
        return f"The accounting period {period.name} is locked for Accounts Receivable."
    if period.ap_locked and record_type in AP_TYPES:
        return f"The accounting period {period.name} is locked for Accounts Payable."
    return None


def resolve_posting_period(
    record_type: str,
    tran_date: str,
    explicit_period_id: str | None,
    periods: Mapping[str, Period],
) -> str | None:
    """Pick and check the period a posting transaction goes to.

    Args:
        record_type: The REST record type (``invoice``...).
        tran_date: The transaction date (ISO).
        explicit_period_id: The ``postingPeriod`` the request asked for, if any.
        periods: All accounting periods by id.

    Returns:
        The posting period id, or ``None`` when the account has no accounting periods at all.

    Raises:
        NetSuiteError: 400 ``USER_ERROR`` when the period is closed or locked, or no period covers the date.
    """
    if explicit_period_id is not None:
        period = periods.get(explicit_period_id)
        if period is None:
            raise _invalid_period(explicit_period_id)
        _ensure_open(period, record_type, "postingPeriod")
        return period.id
    if not periods:
        return None
    period = period_for_date(periods.values(), tran_date)
    if period is None:
        raise user_error(NO_PERIOD, error_path="tranDate")
    _ensure_open(period, record_type, "tranDate")
    return period.id


def ensure_changeable(record_type: str, current_period_id: str | None, periods: Mapping[str, Period]) -> None:
    """Refuse to change or delete a posted transaction whose period is closed or locked.

    Raises:
        NetSuiteError: 400 ``USER_ERROR``.
    """
    period = periods.get(current_period_id) if current_period_id else None
    if period is None:
        return
    reason = refusal(period, record_type)
    if reason is not None:
        raise user_error(
            f"{reason} You may not make changes to this transaction.", error_path="postingPeriod"
        )


def _ensure_open(period: Period, record_type: str, path: str) -> None:
    reason = refusal(period, record_type)
    if reason is not None:
        raise user_error(reason, error_path=path)


def _invalid_period(period_id: str) -> NetSuiteError:
    return user_error(
        f"You have entered an Invalid Field Value {period_id} for the following field: postingPeriod",
        error_path="postingPeriod",
    )
