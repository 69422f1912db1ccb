"""Currency conversion from a table of dated exchange rates: exact Decimals, rounded once per line.

An expense paid in GBP on a USD contract is billed in USD: the amount is converted at the rate in force
on the expense date (the latest rate effective on or before it) and rounded half-up to the target
currency's minor unit, line by line, so totals reconcile to the cent. When only the opposite rate is
known (USD→GBP for a GBP→USD conversion) its inverse is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from concord.domain.money import Money, check_currency, to_decimal

__all__ = ["ExchangeRate", "MissingExchangeRate", "RateTable"]

_EXACT = Context(prec=40)


class MissingExchangeRate(ValueError):
    """No rate in the table converts one currency into another on a day."""

    def __init__(self, source: str, target: str, day: date) -> None:
        super().__init__(
            f"No exchange rate from {source} to {target} is in force on {day.isoformat()}; "
            f"add one to the rates table (effective on or before that day)."
        )
        self.source = source
        self.target = target
        self.day = day


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One unit of `source` is worth `rate` units of `target`, from `effective_from` on."""

    source: str
    target: str
    rate: Decimal
    effective_from: date

    def __post_init__(self) -> None:
        check_currency(self.source)
        check_currency(self.target)
        rate = to_decimal(self.rate, "exchange rate")
        if rate <= 0:
            raise ValueError(f"The {self.source}→{self.target} exchange rate must be positive, not {rate}.")
        object.__setattr__(self, "rate", rate)


class RateTable:
    """Dated exchange rates; the latest rate effective on or before a day applies."""

    def __init__(self, rates: Iterable[ExchangeRate] = ()) -> None:
        self._rates: dict[tuple[str, str], list[ExchangeRate]] = {}
        for rate in rates:
            self._rates.setdefault((rate.source, rate.target), []).append(rate)
        for pair, listed in self._rates.items():
            listed.sort(key=lambda r: r.effective_from)
            days = [r.effective_from for r in listed]
            if len(set(days)) != len(days):
                raise ValueError(
                    f"The rates table has two {pair[0]}→{pair[1]} rates effective on the same day."
                )

    def _direct(self, source: str, target: str, day: date) -> Decimal | None:
        found = [r for r in self._rates.get((source, target), ()) if r.effective_from <= day]
        return found[-1].rate if found else None

    def rate(self, source: str, target: str, day: date) -> Decimal:
        """How many units of `target` one unit of `source` is worth on `day`.

        Raises:
            MissingExchangeRate: when neither the rate nor its opposite is in force on `day`.
        """
        if source == target:
            return Decimal(1)
        direct = self._direct(source, target, day)
        if direct is not None:
            return direct
        opposite = self._direct(target, source, day)
        if opposite is not None:
            return _EXACT.divide(Decimal(1), opposite)
        raise MissingExchangeRate(source, target, day)

    def convert(self, amount: Money, target: str, day: date) -> Money:
        """`amount` in `target` at the rate of `day`, rounded half-up to the target's minor unit.

        Raises:
            MissingExchangeRate: when no rate is in force on `day`.
        """
        if amount.currency == target:
            return amount.round()
        return Money(_EXACT.multiply(amount.amount, self.rate(amount.currency, target, day)), target).round()
