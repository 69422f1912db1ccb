"""Which team owns an exception: finance, delivery or IT, by category and business object.

Routing is a table, so a firm can read it (and later override it in configuration).
"""

from __future__ import annotations

from enum import StrEnum


class Team(StrEnum):
    """The people an exception is for."""

    FINANCE = "finance"
    DELIVERY = "delivery"
    IT = "it"


FINANCIAL_OBJECTS = frozenset(
    {
        "LegalEntity",
        "Customer",
        "Contract",
        "ChangeOrder",
        "InvoiceEvent",
        "RevenueEvent",
        "PurchaseCommitment",
        "RateCard",
    }
)
DELIVERY_OBJECTS = frozenset(
    {"Project", "Milestone", "Assignment", "Resource", "Opportunity", "ServiceOffering", "Contact"}
)
#: Captured in delivery, booked by finance: who fixes it depends on which side refused it.
POSTED_OBJECTS = frozenset({"TimeEntry", "ExpenseItem"})

#: Categories that are always a technical matter, whatever the object.
TECHNICAL_CATEGORIES = frozenset({"target_unavailable", "mapping"})


def owning_team(category: str, object_type: str) -> Team:
    """The team that should act on an exception of ``category`` about an ``object_type``."""
    if category in TECHNICAL_CATEGORIES:
        return Team.IT
    if object_type in FINANCIAL_OBJECTS:
        return Team.FINANCE
    if object_type in POSTED_OBJECTS:
        # The ERP refusing a posting (closed period, cap) is finance's; a bad entry is delivery's.
        return Team.FINANCE if category in ("target_rejected", "authority") else Team.DELIVERY
    if object_type in DELIVERY_OBJECTS:
        return Team.DELIVERY
    return Team.IT
