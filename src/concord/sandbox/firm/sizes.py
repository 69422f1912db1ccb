"""Firm sizes: how many of everything a ``small``, ``mid`` or ``large`` firm has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SizeName = Literal["small", "mid", "large"]


@dataclass(frozen=True)
class FirmSize:
    """The dimensions of a generated firm.

    Attributes:
        name: ``small``, ``mid`` or ``large``.
        entity_codes: Legal entities, by code (``US``, ``UK``, ``DE``, ``FR``).
        consultants: Employees who deliver projects.
        customers: CRM accounts.
        deals_per_month: Opportunities won per month in the past (each became a legacy project).
        history_months: Months of won deals before the current month.
        awaiting: Deals won this month, not provisioned yet (Concord's first work).
        open_deals: Opportunities still in the pipeline.
        lost_deals: Opportunities lost.
        time_weeks: Full weeks of logged time before the current week.
        erp_share_percent: Share of the other accounts that also exist as NetSuite customers (every
            account with a won deal does).
        variant_percent: Share of NetSuite customers whose name differs slightly from the CRM's.
        dirty_per_kind: How many cases of each dirty kind are planted.
    """

    name: SizeName
    entity_codes: tuple[str, ...]
    consultants: int
    customers: int
    deals_per_month: int
    history_months: int
    awaiting: int
    open_deals: int
    lost_deals: int
    time_weeks: int
    erp_share_percent: int
    variant_percent: int
    dirty_per_kind: int


SIZES: dict[str, FirmSize] = {
    "small": FirmSize(
        name="small",
        entity_codes=("US", "UK"),
        consultants=40,
        customers=30,
        deals_per_month=6,
        history_months=2,
        awaiting=4,
        open_deals=14,
        lost_deals=6,
        time_weeks=1,
        erp_share_percent=30,
        variant_percent=30,
        dirty_per_kind=1,
    ),
    "mid": FirmSize(
        name="mid",
        entity_codes=("US", "UK", "DE"),
        consultants=500,
        customers=300,
        deals_per_month=40,
        history_months=3,
        awaiting=20,
        open_deals=150,
        lost_deals=60,
        time_weeks=2,
        erp_share_percent=30,
        variant_percent=25,
        dirty_per_kind=3,
    ),
    "large": FirmSize(
        name="large",
        entity_codes=("US", "UK", "DE", "FR"),
        consultants=20_000,
        customers=6_000,
        deals_per_month=1_600,
        history_months=3,
        awaiting=400,
        open_deals=4_000,
        lost_deals=1_500,
        time_weeks=1,
        erp_share_percent=30,
        variant_percent=25,
        dirty_per_kind=10,
    ),
}


def firm_size(name: str) -> FirmSize:
    """The size called ``name``.

    Raises:
        ValueError: For an unknown size (the message lists the known ones).
    """
    try:
        return SIZES[name]
    except KeyError:
        raise ValueError(f"unknown firm size {name!r}: use one of {', '.join(SIZES)}") from None
