"""Money: a platform amount and its currency ↔ Concord's ``{"amount": "1234.50", "currency": "USD"}``.

The currency comes from another platform field (``currency_field``), or is fixed (``currency``), or
both (the field, falling back to the fixed one when empty). A platform field that receives only the
amount (NetSuite's time rate) names neither and is written outbound only. Platforms that count in minor
units (Kantata's ``amount_in_cents``) say ``minor_units: true``; the currency's ISO 4217 minor unit
decides the scale (cents for USD, none for JPY). Amounts are never floats.
"""

from __future__ import annotations

from typing import Any

from concord.domain.money import Money, check_currency, minor_unit
from concord.mapping.canonical import Kind
from concord.mapping.paths import is_missing
from concord.mapping.transforms.base import (
    BadValue,
    BuildContext,
    Reader,
    Transform,
    Writer,
    check_options,
    show,
)
from concord.mapping.transforms.scalars import to_number

__all__ = ["MoneyTransform", "build_money"]


class MoneyTransform(Transform):
    """An amount plus its currency."""

    name = "money"
    produces = frozenset({Kind.MONEY})

    def __init__(self, currency_field: str | None, currency: str | None, minor_units: bool) -> None:
        self.currency_field = currency_field
        self.currency = currency
        self.minor_units = minor_units

    def describe(self) -> str:
        source = (
            f"currency from {self.currency_field}"
            if self.currency_field
            else f"in {self.currency}"
            if self.currency
            else "amount only"
        )
        return f"money ({source}{', minor units' if self.minor_units else ''})"

    def inbound_problem(self) -> str | None:
        if self.currency_field is None and self.currency is None:
            return (
                "say where the currency comes from: currency_field: <platform field> (e.g. CurrencyIsoCode) "
                "or currency: USD; or add `direction: outbound` if the platform only receives the amount"
            )
        return None

    def extra_reads(self) -> tuple[str, ...]:
        return (self.currency_field,) if self.currency_field else ()

    def _currency_of(self, reader: Reader) -> str:
        if self.currency_field:
            found = reader.get(self.currency_field)
            if not is_missing(found):
                return str(found).strip()
        if self.currency:
            return self.currency
        raise BadValue(f"the amount has no currency ({self.currency_field} is empty)")

    def to_canonical(self, value: Any, reader: Reader) -> Any:
        currency = self._currency_of(reader)
        number = to_number(value)
        try:
            if self.minor_units:
                number = number.scaleb(-minor_unit(currency))
            return Money(number, currency).to_json()
        except (TypeError, ValueError, KeyError) as exc:
            raise BadValue(f"{show(value)} {currency} is not an amount Concord accepts: {exc}") from None

    def to_platform(self, value: Any, writer: Writer) -> Any:
        try:
            money = Money(value["amount"], value["currency"])
        except (TypeError, ValueError, KeyError) as exc:
            raise BadValue(f"{show(value)} is not an amount with a currency: {exc}") from None
        if self.currency_field:
            writer.put(self.currency_field, money.currency)
        elif self.currency and money.currency != self.currency:
            raise BadValue(f"this field holds {self.currency} amounts only, not {money}")
        if not self.minor_units:
            return money.amount
        scaled = money.amount.scaleb(money.minor_unit)
        if scaled != scaled.to_integral_value():
            raise BadValue(
                f"{money.amount} {money.currency} has more decimals than the platform's minor units"
            )
        return int(scaled)


def build_money(args: Any, ctx: BuildContext) -> Transform | None:
    options = check_options(args, ["currency_field", "currency", "minor_units"], ctx.report, "money")
    if options is None:
        return None
    currency_field = options.get("currency_field")
    currency = options.get("currency")
    minor_units = options.get("minor_units", False)
    failed = ctx.report.count
    if currency_field is not None and not isinstance(currency_field, str):
        ctx.report.fail("currency_field names a platform field, such as CurrencyIsoCode", "currency_field")
    if currency is not None:
        try:
            check_currency(currency)
        except ValueError as exc:
            ctx.report.fail(f"{exc}", "currency")
    if not isinstance(minor_units, bool):
        ctx.report.fail("minor_units is true or false", "minor_units")
    if ctx.report.count > failed:
        return None
    return MoneyTransform(currency_field, currency, bool(minor_units))
