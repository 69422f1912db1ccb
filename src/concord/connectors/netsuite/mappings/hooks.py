"""Code the NetSuite mapping files call: a contract as NetSuite keeps it, a sales order whose item line
carries the contract value and whose billing schedule carries the billing plan.

A sales order needs a service item on each line; which item the firm sells contracts as differs per
account, so it comes from the reference table ``netsuite_item_id`` (key ``contract``). NetSuite keeps a
billing schedule as a record of its own; the schedule is written inline here and the connector saves it
first, by an external id derived from the contract's (see ``concord.connectors.netsuite.connector``).
Reading a contract back is ``contracts``'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from concord.mapping.context import MappingContext

__all__ = ["DESCRIPTION", "FREQUENCIES", "ITEMS", "SCHEDULE_TYPES", "billing_schedule", "contract_lines"]

ITEMS = "netsuite_item_id"
"""Reference table: what the firm sells (``contract``) → the internal id of its NetSuite service item."""

SCHEDULE_TYPES = {
    "milestone": "FIXED_BID_MILESTONE",
    "time_and_materials_period": "TIME_AND_MATERIALS",
    "subscription_period": "STANDARD",
}
"""Billing basis → NetSuite billing schedule type."""

FREQUENCIES = {"weekly": "WEEKLY", "monthly": "MONTHLY", "quarterly": "QUARTERLY", "annually": "ANNUALLY"}
"""Billing frequency → NetSuite billing schedule frequency."""

DESCRIPTION = "custcol_concord_description"
"""Custom column of a recurrence: the description of its billing plan line."""

_NAMES = {
    "milestone": "Fixed fee by milestone",
    "time_and_materials_period": "Time and materials",
    "subscription_period": "Subscription",
}


def contract_lines(total_value: Any, context: MappingContext) -> Mapping[str, Any]:
    """The sales order's item line: the contract value (an amount, after the ``money`` transform), sold as
    the firm's contract service item.

    Raises:
        LookupError: the reference table names no service item for contracts.
        ValueError: the value is not an amount.
    """
    item = context.reference(ITEMS, "contract")
    if item is None:
        raise LookupError(
            f"the reference table '{ITEMS}' has no 'contract' entry; add the internal id of the NetSuite "
            "service item contracts are sold as"
        )
    amount = Decimal(str(total_value))
    line = {"item": {"id": str(item)}, "description": "Contract value", "quantity": 1, "rate": amount}
    return {"item": {"items": [{**line, "amount": amount}]}}


def billing_schedule(plan: Any, context: MappingContext) -> Mapping[str, Any]:
    """The billing plan as a NetSuite billing schedule: its type, frequency and one recurrence per
    scheduled amount (milestone fees, subscription periods; none for time and materials).

    Raises:
        ValueError: the plan's basis or frequency has no NetSuite form.
    """
    if not isinstance(plan, Mapping) or plan.get("basis") not in SCHEDULE_TYPES:
        raise ValueError(f"{plan!r} is not a billing plan NetSuite knows")
    basis = str(plan["basis"])
    lines = [line for line in plan.get("lines") or () if isinstance(line, Mapping)]
    schedule: dict[str, Any] = {"scheduleType": {"id": SCHEDULE_TYPES[basis]}}
    frequency = plan.get("frequency")
    if frequency is not None:
        if frequency not in FREQUENCIES:
            raise ValueError(f"the billing frequency {frequency!r} has no NetSuite form")
        schedule["frequency"] = {"id": FREQUENCIES[str(frequency)]}
    label = f"{str(frequency).capitalize()} " if frequency else ""
    schedule["name"] = f"{label}{_NAMES[basis].lower() if label else _NAMES[basis]}"
    if lines:
        schedule["name"] += f" ({len(lines)} {'milestones' if basis == 'milestone' else 'periods'})"
        schedule["numberRemaining"] = len(lines)
        schedule["recurrence"] = {"items": [_recurrence(line) for line in lines]}
    return {"billingSchedule": schedule}


def _recurrence(line: Mapping[str, Any]) -> dict[str, Any]:
    recurrence: dict[str, Any] = {"amount": _amount(line.get("amount")), "count": 1}
    if line.get("milestone_name"):
        recurrence["milestone"] = str(line["milestone_name"])
    if line.get("due_date"):
        recurrence["recurrenceDate"] = str(line["due_date"])
    # A recurrence has no description of its own: Concord keeps the line's in a custom column, unless it
    # is the milestone's name (contracts.billing_plan reads it back).
    if line.get("description") and line.get("description") != line.get("milestone_name"):
        recurrence[DESCRIPTION] = str(line["description"])
    return recurrence


def _amount(value: Any) -> Decimal:
    if not isinstance(value, Mapping) or "amount" not in value:
        raise ValueError(f"{value!r} is not an amount")
    return Decimal(str(value["amount"]))
