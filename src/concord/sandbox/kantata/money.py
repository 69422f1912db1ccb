"""Currencies, workspace status keys and money conversions (Decimal and integer subunits only)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Subunits per unit; currencies not listed use 100. Zero-decimal currencies per ISO 4217.
_BASE_UNITS = {"JPY": 1, "KRW": 1, "CLP": 1, "ISK": 1, "VND": 1, "HUF": 100}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "$", "AUD": "$", "CHF": "CHF", "INR": "₹"}

# Kantata's project status keys: a status is a hash {color, key, message}. The key/message/color table
# is not published in the sources read for the reference; this set is an assumption [U], built around
# the one documented example (key 501, "Cancelled", red).
WORKSPACE_STATUSES: dict[int, tuple[str, str]] = {
    100: ("Prospect", "grey"),
    105: ("Estimate", "grey"),
    200: ("Not Started", "light_green"),
    300: ("In Progress", "green"),
    310: ("Almost Done", "green"),
    400: ("On Hold", "yellow"),
    410: ("At Risk", "yellow"),
    500: ("Completed", "blue"),
    501: ("Cancelled", "red"),
}
DEFAULT_STATUS_KEY = 200


def base_unit(currency: str) -> int:
    """How many subunits make one unit of ``currency`` (100 for USD, 1 for JPY)."""
    return _BASE_UNITS.get(currency.upper(), 100)


def symbol(currency: str) -> str:
    """The display symbol of ``currency`` (its code when no symbol is known)."""
    return _SYMBOLS.get(currency.upper(), currency.upper())


def to_subunits(amount: str, currency: str) -> int:
    """``"1234.50"`` USD → 123450; refuses amounts finer than the currency's subunit.

    Raises:
        ValueError: when ``amount`` is not a number or has too many decimals.
    """
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {amount!r}") from exc
    scaled = value * base_unit(currency)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    return int(scaled)


def from_subunits(subunits: int, currency: str) -> str:
    """123450 USD → ``"1234.50"`` (exact decimal text)."""
    unit = base_unit(currency)
    if unit == 1:
        return str(subunits)
    places = len(str(unit)) - 1
    return str((Decimal(subunits) / Decimal(unit)).quantize(Decimal(1).scaleb(-places)))


def status_hash(key: int) -> dict[str, str | int]:
    """The ``status`` hash rendered on a workspace for ``key``."""
    message, color = WORKSPACE_STATUSES.get(key, WORKSPACE_STATUSES[DEFAULT_STATUS_KEY])
    return {"color": color, "key": key, "message": message}
