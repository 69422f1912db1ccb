"""Code the Salesforce mapping files call for what a transform cannot say."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from concord.domain.hours import Hours
from concord.domain.money import Money
from concord.mapping.context import MappingContext

__all__ = ["deal_contract", "line_items", "new_milestones"]

_DUE = re.compile(r"^due\s+(\d{4}-\d{2}-\d{2})$", re.IGNORECASE)
_PARTS = re.compile(r",(?!\d)")
"""Where a line splits: at commas, but not inside an amount (12,000.00)."""
_FEE = re.compile(r"^(?:([A-Z]{3})\s*)?(-?[\d,]*\.?\d+)$")


def line_items(record: Mapping[str, Any], context: MappingContext) -> list[dict[str, Any]]:
    """An opportunity's effort estimate: one line per OpportunityLineItem that names a role.

    Reads the ``OpportunityLineItems`` subquery (``{"records": [...]}``, or None when the deal has no
    products). Products without a role (licences, travel) are not effort and are left out; a line with a
    role but no hours or rate is an error, since the project budget is built from these lines.

    Raises:
        ValueError: a role line lacks its hours or rate.
    """
    children = record.get("OpportunityLineItems")
    rows = children.get("records") if isinstance(children, Mapping) else None
    currency = str(record.get("CurrencyIsoCode") or "USD")
    lines = []
    for row in rows or ():
        role = row.get("Role__c")
        if not role:
            continue
        hours, rate = row.get("Hours__c"), row.get("Rate__c")
        if hours is None or rate is None:
            raise ValueError(f"the line item for {role!r} has no Hours__c or Rate__c")
        lines.append({"role": role, "hours": str(Hours(hours)), "rate": Money(rate, currency).to_json()})
    return lines


def deal_contract(record: Mapping[str, Any], context: MappingContext) -> str:
    """The ERP id of the contract a change order amends: the one written back onto its opportunity
    (``ERP_Contract_Id__c``) when the deal was provisioned.

    Raises:
        ValueError: the opportunity has no ERP contract (yet).
    """
    deal = record.get("Opportunity__r")
    found = deal.get("ERP_Contract_Id__c") if isinstance(deal, Mapping) else None
    if not found:
        raise ValueError(
            "its opportunity has no ERP contract (ERP_Contract_Id__c is empty): the deal is not provisioned "
            "yet, so there is no contract to amend"
        )
    return str(found)


def new_milestones(record: Mapping[str, Any], context: MappingContext) -> list[dict[str, Any]] | None:
    """The milestones a change order adds, one per line of ``New_Milestones__c``.

    A line is the milestone's name, optionally followed by ``, due 2026-06-30`` and by its fee
    (``, 12000.00`` or ``, EUR 12,000.00``, in the change order's currency).

    Raises:
        ValueError: a line's due date or fee cannot be read.
    """
    text = record.get("New_Milestones__c")
    if not isinstance(text, str) or not text.strip():
        return None
    currency = str(record.get("CurrencyIsoCode") or "USD")
    return [_milestone(line.strip(), currency) for line in text.splitlines() if line.strip()]


def _milestone(line: str, currency: str) -> dict[str, Any]:
    parts = [part.strip() for part in _PARTS.split(line)]
    milestone: dict[str, Any] = {}
    # The name may hold commas: the due date and the fee are read from the end of the line.
    while len(parts) > 1:
        due, fee = _DUE.match(parts[-1]), _FEE.match(parts[-1])
        if due and "due_date" not in milestone:
            milestone["due_date"] = _day(due.group(1), line)
        elif fee and "amount" not in milestone:
            milestone["amount"] = _fee(fee, currency, line)
        else:
            break
        parts.pop()
    milestone["name"] = ", ".join(parts)
    return milestone


def _day(text: str, line: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"the new milestone {line!r} has a due date that is not a date ({text})") from None


def _fee(found: re.Match[str], currency: str, line: str) -> dict[str, str]:
    written = found.group(1)
    if written and written != currency:
        raise ValueError(
            f"the new milestone {line!r} has a fee in {written}, not in the change order's {currency}"
        )
    try:
        amount = Decimal(found.group(2).replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"the new milestone {line!r} has a fee that is not an amount") from None
    return Money(amount, currency).to_json()
