"""Money's shortcuts for the common case (an amount already at its currency's decimals, a sum of lines)
give exactly what the general rules give: the same text, the same total with the same exponent, the same
refusals."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Context, Decimal

import pytest

from concord.domain.money import CurrencyMismatch, Money, canonical_decimal

_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


def general_canonical(value: Decimal, places: int) -> str:
    """``canonical_decimal`` by its general rule alone."""
    number = value.normalize(Context(prec=max(len(value.as_tuple().digits), 1)))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        number = number.quantize(Decimal(1).scaleb(-places), context=_EXACT)
    if number.is_zero():
        number = abs(number)
    return format(number, "f")


def general_sum(lines: list[Money], currency: str) -> Money:
    """``Money.sum`` as a running total of rounded lines."""
    total = Money.zero(currency)
    for line in lines:
        total = total + line.round()
    return total


def decimals(rng: random.Random, count: int) -> list[Decimal]:
    values = [Decimal("0"), Decimal("-0.00"), Decimal("1E+2"), Decimal("100.00"), Decimal("0.05")]
    for _ in range(count):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))
        values.append(Decimal(f"{rng.choice(['', '-'])}{digits}E{rng.randint(-8, 4)}"))
    return values


def test_canonical_text_is_the_general_rules_for_every_kind_of_value() -> None:
    for value in decimals(random.Random(11), 20_000):
        for places in (0, 2, 3, 4):
            assert canonical_decimal(value, places) == general_canonical(value, places), (value, places)


def test_a_sum_of_lines_is_the_running_total_of_rounded_lines() -> None:
    rng = random.Random(5)
    for _ in range(3_000):
        currency = rng.choice(["USD", "JPY", "KWD"])
        lines = [Money(value, currency) for value in decimals(rng, rng.randint(0, 6))[5:]]
        total, expected = Money.sum(lines, currency), general_sum(lines, currency)
        assert total == expected and format(total.amount, "f") == format(expected.amount, "f")


def test_a_sum_refuses_what_the_running_total_refuses() -> None:
    with pytest.raises(CurrencyMismatch, match=r"Cannot add USD 0\.00 and EUR 1\.00"):
        Money.sum([Money("1", "EUR")], "USD")
    big = Money(Decimal(10) ** 17 * 9, "USD")
    with pytest.raises(ValueError, match="too large"):
        Money.sum([big, big], "USD")
    with pytest.raises(ValueError, match="too large"):
        general_sum([big, big], "USD")


def test_rounded_means_rounding_changes_nothing() -> None:
    for value in decimals(random.Random(7), 5_000):
        for currency in ("USD", "JPY", "KWD"):
            money = Money(value, currency)
            assert money.is_rounded == (money.round().amount == money.amount), (value, currency)
