"""The journal a time posting becomes in NetSuite, from the hooks' side: accounts from the reference table,
a zero-cost entry kept for the drill-back, and amounts written with the cents NetSuite shows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from concord.connectors.netsuite.mappings.ledger import journal_lines
from concord.mapping import MemoryContext

PROJECT = "01HZY8P0Q2R4S6T8V0W2X4Y6ZA"


def context(**accounts: str) -> MemoryContext:
    return MemoryContext(
        {"netsuite": {"Project": {"812": PROJECT}}},
        {"netsuite_account_id": accounts or {"labour_cost": "541", "accrued_labour": "218"}},
    )


def entry(hours: str, amount: str, currency: str = "USD") -> dict[str, Any]:
    return {"entry_id": f"E{hours}", "hours": hours, "cost_amount": {"amount": amount, "currency": currency}}


def test_the_labour_accounts_come_from_the_reference_table() -> None:
    with pytest.raises(LookupError, match="'netsuite_account_id' has no 'accrued_labour' entry"):
        journal_lines(
            [entry("1.00", "62.50")], context(labour_cost="541"), {"project_id": PROJECT, "hours": "1"}
        )


def test_an_entry_without_cost_keeps_its_line_for_the_drill_back() -> None:
    record = {"project_id": PROJECT, "hours": "3.00"}
    lines = journal_lines([entry("1.00", "0.00"), entry("2.00", "125.00")], context(), record)["line"][
        "items"
    ]
    assert [line.get("debit") for line in lines] == [Decimal("0.00"), Decimal("125.00"), None]
    assert lines[-1]["credit"] == Decimal("125.00")


def test_amounts_carry_at_least_cents_and_never_lose_a_digit() -> None:
    record = {"project_id": PROJECT, "hours": "2.00"}
    yen = journal_lines([entry("2.00", "15000", "JPY")], context(), record)["line"]["items"]
    assert str(yen[0]["debit"]) == "15000.00"
    dinar = journal_lines([entry("2.00", "12.345", "KWD")], context(), record)["line"]["items"]
    assert str(dinar[0]["debit"]) == "12.345" and str(dinar[1]["credit"]) == "12.345"
