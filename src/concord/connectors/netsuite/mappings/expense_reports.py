"""Code the NetSuite mapping files call for approved expenses posted as expense reports.

An expense posting is an expense report of one line: the employee who incurred it, the legal entity's
subsidiary, and a line dated the day the expense was incurred with the amount as paid (``foreignAmount``
in its ``currency``), the ``exchangeRate`` Concord converted it at and the converted ``amount`` in the
report's currency (``expenseReportCurrency``: the subsidiary's). Concord sends the converted amount
itself, rounded half-up as the domain rounds it, so the ledger holds exactly the figure Concord computed.
The line names the project's NetSuite job as its customer, and carries the expense's global id in the
custom column ``custcol_concord_expense`` (the drill-back from the ledger to the expense) and its billable
amount (markup included) in ``custcol_concord_billable_amount``. A reversal is the same report with every
amount negated; [U] whether every NetSuite account takes a negative expense line is unverified (the
emulator does).

NetSuite keeps expense categories as records of its own: the reference table
``netsuite_expense_category_id`` maps the PSA's category names (``Travel``, ``Lodging``...) to their
internal ids, with an optional ``default`` entry for the categories it does not list.

The report is sent approved (supervisor and accounting approval): the PSA approved the expense already.
The custom fields (``custbody_concord_*``, ``custcol_concord_*``) must exist in the account: Concord's
SuiteCloud customization creates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from concord.connectors.netsuite.mappings.ledger import (
    currency_id,
    job_id,
    money,
    plain,
    posting_memo,
    to_decimal,
)
from concord.mapping.context import MappingContext

__all__ = ["CATEGORIES", "report_currency", "report_lines", "report_memo"]

CATEGORIES = "netsuite_expense_category_id"
"""Reference table: PSA expense category (or ``default``) → internal id of the NetSuite expense category."""

_NO_PROJECT = "an expense line needs the posting's project"
_RATE_DECIMALS = 12
"""NetSuite keeps at most 12 decimals of a decimal field (the emulator refuses more) [U]."""


def report_memo(summary: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The report's memo: the posting's summary, what it reverses, and the date it was moved from."""
    return {"memo": posting_memo(summary, record)}


def report_currency(amount: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The report's currency: that of the posted amount (the subsidiary's).

    Raises:
        LookupError: the reference table has no NetSuite currency for it.
    """
    return {"expenseReportCurrency": {"id": currency_id(context, money(record.get("posted_amount"))[1])}}


def report_lines(expense_id: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The report's one line: the expense as paid, its rate and converted amount, and the drill-back.

    Raises:
        LookupError: the category, a currency or the project is not known in NetSuite.
        ValueError: the posting lacks what a line needs.
    """
    if not expense_id:
        raise ValueError("an expense posting names the expense it posts")
    paid, paid_currency = money(record.get("amount"))
    posted, _ = money(record.get("posted_amount"))
    line: dict[str, Any] = {
        "expenseDate": record.get("expense_date"),
        "category": {"id": _category(context, record.get("category"))},
        "foreignAmount": plain(paid),
        "currency": {"id": currency_id(context, paid_currency)},
        "exchangeRate": _rate(record.get("exchange_rate")),
        "amount": plain(posted),
        "memo": _line_memo(record),
        "customer": {"id": job_id(context, record.get("project_id"), _NO_PROJECT)},
        "isBillable": bool(record.get("billable")),
        "custcol_concord_expense": str(expense_id),
    }
    if record.get("billable_amount") is not None:
        line["custcol_concord_billable_amount"] = plain(money(record["billable_amount"])[0])
    if record.get("receipt_reference"):
        line["custcol_concord_receipt"] = str(record["receipt_reference"])
    return {"expense": {"items": [line]}}


def _line_memo(record: Mapping[str, Any]) -> str:
    what = str(record.get("description") or record.get("category") or "Expense")
    return f"{what} (expense {record.get('expense_id')})"


def _category(context: MappingContext, category: Any) -> str:
    found = context.reference(CATEGORIES, str(category)) or context.reference(CATEGORIES, "default")
    if found is None:
        raise LookupError(
            f"the reference table '{CATEGORIES}' has no '{category}' entry (nor a 'default' one); add the "
            "internal id of the NetSuite expense category it is posted to"
        )
    return str(found)


def _rate(value: Any) -> Decimal:
    rate = to_decimal(value, "an exchange rate")
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -_RATE_DECIMALS:
        return rate.quantize(Decimal(1).scaleb(-_RATE_DECIMALS), rounding=ROUND_HALF_UP)
    return rate
