"""Code the NetSuite employee mapping calls: an employee's cost rate, which NetSuite keeps as a bare amount
(``laborCost``) in the base currency of the employee's subsidiary.

Which currency that is comes from the reference table ``netsuite_subsidiary_currency`` (subsidiary
internal id -> ISO code), read from the account's subsidiaries when Concord is set up.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from concord.mapping.context import MappingContext

__all__ = ["SUBSIDIARY_CURRENCY", "employee_cost_rate"]

SUBSIDIARY_CURRENCY = "netsuite_subsidiary_currency"
"""Reference table: subsidiary internal id -> ISO currency code of its base currency."""


def employee_cost_rate(record: Mapping[str, Any], context: MappingContext) -> Mapping[str, str] | None:
    """The employee's hourly cost as money, or None when NetSuite holds no labour cost for them."""
    cost = record.get("laborCost")
    if cost in (None, ""):
        return None
    subsidiary = record.get("subsidiary")
    if isinstance(subsidiary, Mapping):
        subsidiary = subsidiary.get("id")
    currency = context.reference(SUBSIDIARY_CURRENCY, str(subsidiary)) if subsidiary is not None else None
    if currency is None:
        raise ValueError(
            f"subsidiary {subsidiary} is not in the reference table {SUBSIDIARY_CURRENCY}, so the currency "
            "of the labour cost is unknown; add it"
        )
    try:
        amount = Decimal(str(cost))
    except InvalidOperation as error:
        raise ValueError(f"labour cost {cost!r} is not an amount") from error
    return {"amount": str(amount), "currency": str(currency)}
