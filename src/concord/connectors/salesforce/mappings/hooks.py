"""Code the Salesforce mapping files call for what a transform cannot say."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from concord.domain.money import Hours, Money
from concord.mapping.context import MappingContext

__all__ = ["line_items"]


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
