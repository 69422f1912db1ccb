"""Reference data: legal entities, roles, rate cards and accounting periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from concord.sandbox.firm.model import AccountingPeriod, LegalEntity, RateCard, RateCardVersion, Role

ENTITIES: dict[str, LegalEntity] = {
    "US": LegalEntity("US", "Concord Consulting Inc.", "US", "USD", "North America"),
    "UK": LegalEntity("UK", "Concord Consulting Ltd", "GB", "GBP", "UK"),
    "DE": LegalEntity("DE", "Concord Consulting GmbH", "DE", "EUR", "DACH"),
    "FR": LegalEntity("FR", "Concord Conseil SAS", "FR", "EUR", "EMEA"),
}
"""Every legal entity a firm may have, by code; each serves one CRM region."""

ORPHAN_REGIONS = ("LATAM", "APAC")
"""CRM regions no legal entity serves (opportunities there cannot be provisioned)."""

ORPHAN_CURRENCY = "USD"

ROLES: tuple[Role, ...] = (
    Role("R-ANL", "Analyst", 1),
    Role("R-CON", "Consultant", 2),
    Role("R-SCN", "Senior Consultant", 3),
    Role("R-MGR", "Manager", 4),
    Role("R-ARC", "Solution Architect", 5),
    Role("R-SMG", "Senior Manager", 5),
    Role("R-PRN", "Principal", 6),
    Role("R-PTR", "Partner", 7),
)

ROLE_WEIGHTS = {
    "R-ANL": 18,
    "R-CON": 30,
    "R-SCN": 20,
    "R-MGR": 14,
    "R-ARC": 5,
    "R-SMG": 7,
    "R-PRN": 4,
    "R-PTR": 2,
}
"""Headcount mix of a consulting firm's pyramid."""

_BILL_RATES_USD = {
    "R-ANL": 120,
    "R-CON": 165,
    "R-SCN": 210,
    "R-MGR": 250,
    "R-ARC": 275,
    "R-SMG": 290,
    "R-PRN": 340,
    "R-PTR": 420,
}
COST_RATES_USD = {
    "R-ANL": Decimal("48.00"),
    "R-CON": Decimal("62.00"),
    "R-SCN": Decimal("78.00"),
    "R-MGR": Decimal("92.00"),
    "R-ARC": Decimal("100.00"),
    "R-SMG": Decimal("108.00"),
    "R-PRN": Decimal("125.00"),
    "R-PTR": Decimal("160.00"),
}
CURRENCY_FACTORS = {"USD": Decimal("1"), "GBP": Decimal("0.80"), "EUR": Decimal("0.92")}
"""Rough price level of each currency against USD, so rates look local."""

_FIVE = Decimal(5)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def round_to_five(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to a multiple of 5, with two decimals (rates are quoted so)."""
    return ((amount / _FIVE).quantize(Decimal(1), rounding=ROUND_HALF_UP) * _FIVE).quantize(Decimal("0.01"))


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def month_end(start: date) -> date:
    """The last day of ``start``'s month."""
    return month_start(start, -1) - timedelta(days=1)


def legal_entities(codes: tuple[str, ...]) -> tuple[LegalEntity, ...]:
    """The legal entities with these codes, in order."""
    return tuple(ENTITIES[code] for code in codes)


def rate_cards(entities: tuple[LegalEntity, ...], effective: date) -> tuple[RateCard, ...]:
    """One standard rate card per entity currency, with a single version starting ``effective``."""
    currencies = sorted({entity.currency for entity in entities} | {ORPHAN_CURRENCY})
    cards = []
    for currency in currencies:
        factor = CURRENCY_FACTORS[currency]
        rates = tuple((key, round_to_five(Decimal(rate) * factor)) for key, rate in _BILL_RATES_USD.items())
        version = RateCardVersion(effective, round_to_five(Decimal(180) * factor), rates)
        cards.append(RateCard(f"RC-{currency}", f"Standard rates {currency}", currency, (version,)))
    return tuple(cards)


def with_new_version(card: RateCard, effective: date, increase_percent: int) -> RateCard:
    """``card`` with a new version from ``effective`` raising every rate by ``increase_percent``."""
    last = card.versions[-1]
    factor = Decimal(100 + increase_percent) / 100
    rates = tuple((key, round_to_five(rate * factor)) for key, rate in last.rates)
    version = RateCardVersion(effective, round_to_five(last.default_rate * factor), rates)
    return replace(card, versions=(*card.versions, version))


def close_cutoff(as_of: date) -> date:
    """Months ending before this day are closed: last month stays open during the first ten days of
    the month (the close is still under way), as finance teams work."""
    return month_start(as_of, 1) if as_of.day <= 10 else month_start(as_of)


def accounting_periods(as_of: date) -> tuple[AccountingPeriod, ...]:
    """Years, quarters and months from last year to next year, parents first; past months closed."""
    cutoff = close_cutoff(as_of)
    periods: list[AccountingPeriod] = []
    for year in range(as_of.year - 1, as_of.year + 2):
        year_key = f"FY{year}"
        year_end = date(year, 12, 31)
        periods.append(
            AccountingPeriod(
                year_key, f"FY {year}", date(year, 1, 1), year_end, "year", None, year_end < cutoff
            )
        )
        for quarter in range(4):
            q_start = date(year, quarter * 3 + 1, 1)
            q_end = month_end(date(year, quarter * 3 + 3, 1))
            periods.append(
                AccountingPeriod(
                    f"Q{quarter + 1}-{year}",
                    f"Q{quarter + 1} {year}",
                    q_start,
                    q_end,
                    "quarter",
                    year_key,
                    q_end < cutoff,
                )
            )
    for year in range(as_of.year - 1, as_of.year + 2):
        for month in range(1, 13):
            start = date(year, month, 1)
            end = month_end(start)
            parent = f"Q{(month - 1) // 3 + 1}-{year}"
            name = f"{_MONTHS[month - 1]} {year}"
            periods.append(
                AccountingPeriod(f"M{year}-{month:02d}", name, start, end, "month", parent, end < cutoff)
            )
    return tuple(periods)
