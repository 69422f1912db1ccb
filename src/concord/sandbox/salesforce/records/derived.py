"""Fields the platform computes on save: Opportunity probability, closed/won flags and expected revenue
from the stage; Contact and User full names; line item unit and total prices."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from concord.sandbox.salesforce.errors import RecordError
from concord.sandbox.salesforce.schema.catalog import CLOSED_STAGES, OPPORTUNITY_STAGES, WON_STAGES
from concord.sandbox.salesforce.values import Stored

_CENTS = Decimal("0.01")


def _decimal(value: Stored) -> Decimal | None:
    return None if value is None or isinstance(value, bool) else Decimal(str(value))


def _money(value: Decimal) -> str:
    return format(value.quantize(_CENTS, rounding=ROUND_HALF_UP), "f")


def apply_derived(sobject: str, record: dict[str, Stored], supplied: Mapping[str, Stored]) -> None:
    """Recompute ``record``'s derived fields in place after ``supplied`` (this request's fields) was merged.

    Raises:
        RecordError: FIELD_INTEGRITY_EXCEPTION for a line item given both unit and total price.
    """
    if sobject == "Opportunity":
        _opportunity(record, supplied)
    elif sobject in ("Contact", "User"):
        parts = [record.get("FirstName"), record.get("LastName")]
        record["Name"] = " ".join(str(p) for p in parts if p) or None
    elif sobject == "OpportunityLineItem":
        _line_item(record, supplied)


def _opportunity(record: dict[str, Stored], supplied: Mapping[str, Stored]) -> None:
    stage = record.get("StageName")
    if "StageName" in supplied and "Probability" not in supplied and isinstance(stage, str):
        record["Probability"] = str(OPPORTUNITY_STAGES.get(stage, 0))
    record["IsClosed"] = stage in CLOSED_STAGES
    record["IsWon"] = stage in WON_STAGES
    amount, probability = _decimal(record.get("Amount")), _decimal(record.get("Probability"))
    record["ExpectedRevenue"] = (
        None if amount is None or probability is None else _money(amount * probability / Decimal(100))
    )


def _line_item(record: dict[str, Stored], supplied: Mapping[str, Stored]) -> None:
    if supplied.get("UnitPrice") is not None and supplied.get("TotalPrice") is not None:
        raise RecordError(
            "FIELD_INTEGRITY_EXCEPTION",
            "field integrity exception: TotalPrice (cannot specify both unit price and total price)",
            ["TotalPrice"],
        )
    if record.get("UnitPrice") is None and record.get("TotalPrice") is None:
        raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [UnitPrice]", ["UnitPrice"])
    quantity = _decimal(record.get("Quantity"))
    if quantity is None:
        return
    total = _decimal(supplied.get("TotalPrice"))
    if total is not None:
        if quantity == 0:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                "field integrity exception: Quantity (must be nonzero)",
                ["Quantity"],
            )
        record["UnitPrice"] = _money(total / quantity)
        return
    unit = _decimal(record.get("UnitPrice"))
    if unit is not None:
        record["TotalPrice"] = _money(unit * quantity)


def rolled_up_amount(line_items: list[dict[str, Stored]]) -> str:
    """An opportunity's Amount when it has products: the sum of their total prices."""
    total = sum((_decimal(item.get("TotalPrice")) or Decimal(0) for item in line_items), Decimal(0))
    return _money(total)
