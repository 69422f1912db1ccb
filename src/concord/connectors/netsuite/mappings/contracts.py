"""Code the contract mapping calls to read a contract back from NetSuite: what ``hooks.contract_lines`` and
``hooks.billing_schedule`` write, parsed back, and the terms a sales order has no field for.

- The contract value is the sales order's ``total``: the sum of the item lines ``contract_lines`` writes,
  in the order's currency (NetSuite computes it; a line someone adds in NetSuite changes the value, and
  the ERP owns the contract value).
- The billing plan is the order's billing schedule, which the connector reads with the order (as it is
  written: inline, with its recurrences): the schedule type gives the basis, its frequency the billing
  period, and each recurrence one scheduled amount, its milestone and date. A line's description is
  kept in the recurrence's custom column ``custcol_concord_description`` when it is not the milestone's
  name (``hooks.billing_schedule`` writes it).
- What NetSuite has no place for is kept in Concord's custom body fields on the order:
  ``custbody_concord_pricing_model``, ``custbody_concord_revenue_basis``, ``custbody_concord_version``,
  ``custbody_concord_not_to_exceed`` (an amount in the order's currency) and
  ``custbody_concord_opportunity`` (the deal's global id). ``contract_terms`` writes the pricing model and,
  when a whole contract is written, empties the optional terms it does not have: an upsert is the whole
  contract, so a cap a change order removed must not survive in NetSuite. They are emptied with an empty
  value rather than null, so every account that holds Concord's contracts has the columns SuiteQL reads
  ([U] that NetSuite takes "" as empty for a currency field is unverified; the emulator does).

The custom fields must exist in the account: Concord's SuiteCloud customization creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from concord.connectors.netsuite.mappings.hooks import DESCRIPTION, FREQUENCIES, SCHEDULE_TYPES
from concord.mapping.context import MappingContext

__all__ = [
    "CURRENCIES",
    "NOT_TO_EXCEED",
    "OPPORTUNITY",
    "billing_plan",
    "contract_terms",
    "contract_value",
    "not_to_exceed",
]

CURRENCIES = "netsuite_currency"
"""Reference table: internal id of a NetSuite currency → its ISO code."""

NOT_TO_EXCEED: Final = "custbody_concord_not_to_exceed"
OPPORTUNITY: Final = "custbody_concord_opportunity"

_OPTIONAL_TERMS: Final = {"not_to_exceed": NOT_TO_EXCEED, "opportunity_id": OPPORTUNITY}
"""Optional contract fields kept in custom body fields, emptied when a whole contract has none."""
_WHOLE: Final = ("number", "customer_id", "total_value", "billing_plan")
"""Fields a write carries when it writes the whole contract (an upsert), not a few changed ones."""

_BASES: Final = {schedule: basis for basis, schedule in SCHEDULE_TYPES.items()}
_FREQUENCIES: Final = {netsuite: frequency for frequency, netsuite in FREQUENCIES.items()}


# -- outbound ----------------------------------------------------------------------------------------------


def contract_terms(
    pricing_model: Any, context: MappingContext, record: Mapping[str, Any]
) -> Mapping[str, Any]:
    """The pricing model's custom body field; on a whole contract, also the optional terms it does not
    have, emptied (see the module docstring)."""
    fields: dict[str, Any] = {"custbody_concord_pricing_model": pricing_model}
    if all(record.get(name) is not None for name in _WHOLE):
        for name, field in _OPTIONAL_TERMS.items():
            if record.get(name) is None:
                fields[field] = ""
    return fields


# -- inbound -----------------------------------------------------------------------------------------------


def contract_value(record: Mapping[str, Any], context: MappingContext) -> Mapping[str, str] | None:
    """The contract value: the order's total (the sum of its item lines) in the order's currency."""
    return _money(record.get("total"), record, context, "total")


def not_to_exceed(record: Mapping[str, Any], context: MappingContext) -> Mapping[str, str] | None:
    """The not-to-exceed cap, in the order's currency; None when the contract has none."""
    return _money(record.get(NOT_TO_EXCEED), record, context, NOT_TO_EXCEED)


def billing_plan(record: Mapping[str, Any], context: MappingContext) -> Mapping[str, Any] | None:
    """The billing plan, from the billing schedule read with the order.

    Raises:
        LookupError: the schedule was not read with the order (only its id is there).
        ValueError: the schedule's type, frequency or a recurrence has no meaning for Concord.
    """
    schedule = record.get("billingSchedule")
    if _missing(schedule):
        return None
    if not isinstance(schedule, Mapping) or not set(schedule) - {"id", "refName", "links"}:
        raise LookupError(
            "the billing schedule was not read with the sales order (only its id is there); read the order "
            "with its billingSchedule child"
        )
    basis = _choice(schedule.get("scheduleType"), _BASES, "billing schedule type")
    plan: dict[str, Any] = {"basis": basis}
    if not _missing(schedule.get("frequency")):
        plan["frequency"] = _choice(schedule.get("frequency"), _FREQUENCIES, "billing frequency")
    recurrences = _items(schedule.get("recurrence"))
    if recurrences:
        currency = _currency(record, context)
        plan["lines"] = [_line(item, index, currency) for index, item in enumerate(recurrences, 1)]
    return plan


def _line(item: Mapping[str, Any], number: int, currency: str) -> dict[str, Any]:
    milestone = _text(item.get("milestone"))
    due = _text(item.get("recurrenceDate"))
    description = _text(item.get(DESCRIPTION)) or milestone or (f"Billing of {due}" if due else None)
    line: dict[str, Any] = {
        "description": description or f"Billing {number}",
        "amount": {"amount": str(_decimal(item.get("amount"), "recurrence amount")), "currency": currency},
    }
    if milestone:
        line["milestone_name"] = milestone
    if due:
        line["due_date"] = due
    return line


def _money(
    value: Any, record: Mapping[str, Any], context: MappingContext, field: str
) -> Mapping[str, str] | None:
    if _missing(value):
        return None
    return {"amount": str(_decimal(value, field)), "currency": _currency(record, context)}


def _currency(record: Mapping[str, Any], context: MappingContext) -> str:
    currency = record.get("currency")
    if isinstance(currency, Mapping):
        currency = currency.get("id")
    if _missing(currency):
        raise ValueError("the sales order has no currency, so its amounts have none")
    found = context.reference(CURRENCIES, str(currency))
    if found is None:
        raise LookupError(
            f"NetSuite currency {currency} is not in the reference table '{CURRENCIES}'; add it"
        )
    return str(found)


def _choice(value: Any, table: Mapping[str, str], what: str) -> str:
    key = value.get("id") if isinstance(value, Mapping) else value
    found = table.get(str(key).strip().upper()) if key is not None else None
    if found is None:
        known = ", ".join(sorted(table))
        raise ValueError(f"the {what} {key!r} has no meaning for Concord (it knows {known})")
    return found


def _items(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        value = value.get("items")
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _decimal(value: Any, what: str) -> Decimal:
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"the {what} {value!r} is not an amount") from None


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value).strip()


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
