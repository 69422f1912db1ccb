"""Code the NetSuite invoice mapping calls: an invoice event as a NetSuite invoice.

The invoice is created from the contract's sales order (``createdFrom``) and raised against the contract's
project, the NetSuite job, as its customer (NetSuite's customer:project): the job carries the customer and
the subsidiary. Each invoice line sells a service item: which one differs per account, so it comes from the
reference table ``netsuite_item_id``, by what the line bills (``time``, ``expense``, ``milestone``,
``subscription_fee``, ``adjustment``), else the firm's ``contract`` item. A line keeps the drill-back to
what it bills in custom columns: ``custcol_concord_time_entry`` (the time entries' global ids, comma
separated; a long text column, since a line per person lists many), ``custcol_concord_expense``,
``custcol_concord_milestone``, and ``custcol_concord_hours`` for time. Time billed at one rate shows as
hours times rate; any other line as one unit at its amount. Every amount is sent as Concord computed it
(rounded per line), so NetSuite's total is Concord's to the cent.

The custom fields must exist in the account: Concord's SuiteCloud customization creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from concord.connectors.netsuite.mappings.hooks import ITEMS
from concord.mapping.context import MappingContext

__all__ = ["DRILL_BACK", "invoice_customer", "invoice_lines", "invoice_memo"]

DRILL_BACK: Final = {
    "time": "custcol_concord_time_entry",
    "expense": "custcol_concord_expense",
    "milestone": "custcol_concord_milestone",
    "subscription_fee": "custcol_concord_contract",
    "adjustment": "custcol_concord_source",
}
"""What a line bills → the custom column that names its records."""

_BASES: Final = {
    "milestone": "Milestone",
    "time_and_materials_period": "Time and materials",
    "subscription_period": "Subscription",
}
_CENT = Decimal("0.01")


def invoice_customer(job: Any, context: MappingContext) -> Mapping[str, Any]:
    """The invoice's customer: the contract's project (the NetSuite job), also named as the invoice's job."""
    return {"entity": {"id": str(job)}, "job": {"id": str(job)}}


def invoice_memo(basis: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """What the invoice bills, in its custom field and its memo: "Time and materials, 2026-04-01 to ..."."""
    what = _BASES.get(str(basis), str(basis).replace("_", " ").capitalize())
    start, end = record.get("period_start"), record.get("period_end")
    when = "" if not start else f", {start}" if start == end or not end else f", {start} to {end}"
    return {"custbody_concord_billing_basis": basis, "memo": f"{what}{when}"}


def invoice_lines(lines: Any, context: MappingContext) -> Mapping[str, Any]:
    """The invoice's item lines, each with the drill-back to what it bills.

    Raises:
        LookupError: the reference table names no service item for a line.
        ValueError: the lines are not an invoice event's lines.
    """
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        raise ValueError("an invoice needs its lines")
    return {"item": {"items": [_line(line, context) for line in lines]}}


def _line(line: Any, context: MappingContext) -> dict[str, Any]:
    if not isinstance(line, Mapping):
        raise ValueError(f"{line!r} is not an invoice line")
    kind = str(line.get("kind"))
    amount = _amount(line.get("amount"))
    hours, rate = line.get("hours"), line.get("rate")
    priced = hours is not None and isinstance(rate, Mapping)
    written: dict[str, Any] = {
        "item": {"id": _item(context, kind)},
        "description": str(line.get("description") or ""),
        "quantity": Decimal(str(hours)) if priced else 1,
        "rate": _amount(rate) if priced else amount,
        "amount": amount,
    }
    sources = [str(source) for source in line.get("source_ids") or ()]
    if sources:
        written[DRILL_BACK.get(kind, "custcol_concord_source")] = ",".join(sources)
    if hours is not None:
        written["custcol_concord_hours"] = Decimal(str(hours))
    return written


def _item(context: MappingContext, kind: str) -> str:
    found = context.reference(ITEMS, kind)
    if found is None:
        found = context.reference(ITEMS, "contract")
    if found is None:
        raise LookupError(
            f"the reference table '{ITEMS}' has no '{kind}' or 'contract' entry; add the internal id of the "
            "NetSuite service item invoices bill it as"
        )
    return str(found)


def _amount(value: Any) -> Decimal:
    if not isinstance(value, Mapping) or "amount" not in value:
        raise ValueError(f"{value!r} is not an amount")
    amount = Decimal(str(value["amount"]))
    exponent = amount.as_tuple().exponent
    return amount.quantize(_CENT) if isinstance(exponent, int) and exponent > -2 else amount
