"""Money and hours: exact, rounded half-up at the line, totals that are sums of rounded lines, no floats."""

from __future__ import annotations

import pickle
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from concord.domain.hours import Hours, SignedHours
from concord.domain.money import (
    ISO_4217_MINOR_UNITS,
    CurrencyCode,
    CurrencyMismatch,
    Money,
    canonical_decimal,
    line_amount,
    minor_unit,
    split_evenly,
)

CURRENCIES = st.sampled_from(["USD", "EUR", "GBP", "JPY", "KWD", "BHD", "CLF"])
HOURS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(24), places=2).map(Hours)
RATES = st.decimals(min_value=Decimal(0), max_value=Decimal(5000), places=4)
AMOUNTS = st.decimals(min_value=Decimal(-(10**9)), max_value=Decimal(10**9), places=6)


class TestCurrencies:
    def test_minor_units_follow_iso_4217(self) -> None:
        assert (minor_unit("USD"), minor_unit("EUR"), minor_unit("GBP")) == (2, 2, 2)
        assert (minor_unit("JPY"), minor_unit("KRW"), minor_unit("ISK")) == (0, 0, 0)
        assert (minor_unit("KWD"), minor_unit("BHD"), minor_unit("OMR"), minor_unit("TND")) == (3, 3, 3, 3)
        assert minor_unit("CLF") == 4

    def test_the_table_covers_the_common_currencies(self) -> None:
        common = (
            "USD EUR GBP JPY CHF CAD AUD NZD CNY HKD SGD INR SEK NOK DKK PLN CZK HUF MXN BRL ZAR AED SAR ILS"
        )
        assert set(common.split()) <= set(ISO_4217_MINOR_UNITS)
        assert len(ISO_4217_MINOR_UNITS) > 150

    @pytest.mark.parametrize(
        ("code", "message"),
        [("usd", "three-letter upper-case"), ("XYZ", "not an ISO 4217 currency"), ("US", "three-letter")],
    )
    def test_unknown_or_malformed_currency_is_refused(self, code: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            Money("1", code)


class TestConstruction:
    @given(value=st.floats(allow_nan=True, allow_infinity=True))
    def test_a_float_is_never_accepted(self, value: float) -> None:
        with pytest.raises(TypeError, match="is a float; Concord never uses floats"):
            Money(value, "USD")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="float"):
            Hours(value)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="float"):
            _ = Money("1", "USD") * value

    @pytest.mark.parametrize("text", ["1e3", "12,50", " 12", "NaN", "", "1.2.3", "+5"])
    def test_only_plain_decimal_strings_are_accepted(self, text: str) -> None:
        with pytest.raises(ValueError, match="not a decimal number"):
            Money(text, "USD")

    def test_nan_and_infinity_are_refused(self) -> None:
        with pytest.raises(ValueError, match="finite"):
            Money(Decimal("NaN"), "USD")
        with pytest.raises(ValueError, match="finite"):
            Hours(Decimal("Infinity"))

    def test_bool_is_not_a_number_of_anything(self) -> None:
        with pytest.raises(TypeError, match="must be a Decimal"):
            Money(True, "USD")

    def test_absurd_amounts_are_refused(self) -> None:
        with pytest.raises(ValueError, match="too large"):
            Money("1" + "0" * 30, "USD")

    def test_money_is_immutable(self) -> None:
        money = Money("10", "USD")
        with pytest.raises(AttributeError, match="immutable"):
            money.amount = Decimal(11)  # type: ignore[misc]

    def test_business_and_debug_forms(self) -> None:
        assert str(Money("1234.5", "USD")) == "USD 1,234.50"
        assert str(Money("1234567", "JPY")) == "JPY 1,234,567"
        assert repr(Money("1234.5", "USD")) == "Money('1234.5', 'USD')"

    def test_pickles(self) -> None:
        money = Money("12.345", "KWD")
        assert pickle.loads(pickle.dumps(money)) == money


class TestArithmetic:
    def test_add_and_subtract_in_one_currency(self) -> None:
        assert Money("10.10", "USD") + Money("0.20", "USD") == Money("10.30", "USD")
        assert Money("10.10", "USD") - Money("0.20", "USD") == Money("9.90", "USD")
        assert -Money("5", "EUR") == Money("-5", "EUR")
        assert abs(Money("-5", "EUR")) == Money("5", "EUR")

    def test_different_currencies_do_not_mix(self) -> None:
        with pytest.raises(
            CurrencyMismatch, match=r"Cannot add USD 1\.00 and EUR 1\.00: .*different currencies"
        ):
            _ = Money("1", "USD") + Money("1", "EUR")
        with pytest.raises(CurrencyMismatch, match="subtract"):
            _ = Money("1", "USD") - Money("1", "GBP")
        with pytest.raises(CurrencyMismatch, match="compare"):
            _ = Money("1", "USD") < Money("1", "GBP")

    def test_adding_a_plain_number_is_refused_with_advice(self) -> None:
        with pytest.raises(TypeError, match=r"Money\.sum"):
            _ = Money("1", "USD") + 1
        with pytest.raises(TypeError, match=r"Money\.sum"):
            _ = 0 + Money("1", "USD")

    def test_multiply_by_decimal_or_int_keeps_full_precision(self) -> None:
        assert Money("150.125", "USD") * Decimal("7.5") == Money("1125.9375", "USD")
        assert 3 * Money("10.01", "USD") == Money("30.03", "USD")
        with pytest.raises(TypeError, match="Money by Money"):
            _ = Money("1", "USD") * Money("1", "USD")

    def test_comparisons_and_equality(self) -> None:
        assert Money("10.0", "USD") == Money("10.00", "USD")
        assert hash(Money("10.0", "USD")) == hash(Money("10.00", "USD"))
        assert Money("10", "USD") != Money("10", "EUR")
        assert Money("10", "USD") != Decimal(10)
        assert Money("9.99", "USD") < Money("10", "USD") <= Money("10", "USD")
        assert Money("10.01", "USD") > Money("10", "USD") >= Money("10", "USD")


class TestRounding:
    @pytest.mark.parametrize(
        ("amount", "currency", "rounded"),
        [
            ("2.345", "USD", "2.35"),
            ("2.344", "USD", "2.34"),
            ("-2.345", "USD", "-2.35"),
            ("0.5", "JPY", "1"),
            ("1.5", "JPY", "2"),
            ("2.5", "JPY", "3"),
            ("-2.5", "JPY", "-3"),
            ("1.0005", "KWD", "1.001"),
            ("1.0004", "BHD", "1.000"),
            ("0.00005", "CLF", "0.0001"),
        ],
    )
    def test_half_up_to_the_minor_unit(self, amount: str, currency: str, rounded: str) -> None:
        result = Money(amount, currency).round()
        assert result.amount == Decimal(rounded)
        assert result.amount.as_tuple().exponent == -minor_unit(currency)

    @given(units=st.integers(min_value=-(10**12), max_value=10**12), currency=CURRENCIES)
    def test_an_exact_half_always_rounds_away_from_zero(self, units: int, currency: str) -> None:
        unit = Decimal(1).scaleb(-minor_unit(currency))
        half = Money(units * unit + unit / 2, currency).round()
        expected = units + 1 if units >= 0 else units
        assert half.amount == expected * unit
        assert (-Money(units * unit + unit / 2, currency)).round() == -half

    @given(amount=AMOUNTS, currency=CURRENCIES)
    def test_rounding_is_idempotent_and_off_by_at_most_half_a_unit(
        self, amount: Decimal, currency: str
    ) -> None:
        money = Money(amount, currency)
        rounded = money.round()
        assert rounded.is_rounded
        assert rounded.round() == rounded
        assert abs(rounded.amount - money.amount) <= Decimal(1).scaleb(-minor_unit(currency)) / 2

    def test_line_amount_rounds_at_the_line(self) -> None:
        assert line_amount(Hours("7.5"), Money("150.125", "USD")) == Money("1125.94", "USD")
        assert line_amount(Hours("3.33"), Money("9999", "JPY")) == Money("33297", "JPY")


class TestTotals:
    @given(lines=st.lists(st.tuples(HOURS, RATES), max_size=40), currency=CURRENCIES)
    def test_a_total_is_exactly_the_sum_of_the_rounded_lines_that_are_sent(
        self, lines: list[tuple[Hours, Decimal]], currency: str
    ) -> None:
        amounts = [line_amount(hours, Money(rate, currency)) for hours, rate in lines]
        total = Money.sum(amounts, currency)
        sent_lines = [Decimal(amount.to_json()["amount"]) for amount in amounts]
        assert Decimal(total.to_json()["amount"]) == sum(sent_lines, Decimal(0))
        assert total.is_rounded

    @given(lines=st.lists(AMOUNTS, max_size=20), currency=CURRENCIES)
    def test_sum_rounds_each_line_before_adding(self, lines: list[Decimal], currency: str) -> None:
        total = Money.sum((Money(line, currency) for line in lines), currency)
        expected = sum((Money(line, currency).round().amount for line in lines), Decimal(0))
        assert total.amount == expected

    def test_sum_of_unrounded_lines_differs_from_rounding_the_sum(self) -> None:
        lines = [Money("0.005", "USD")] * 3
        assert Money.sum(lines, "USD") == Money("0.03", "USD")
        assert (lines[0] + lines[1] + lines[2]).round() == Money("0.02", "USD")

    def test_sum_of_nothing_is_zero_in_the_currency(self) -> None:
        assert Money.sum([], "JPY") == Money.zero("JPY")
        assert Money.zero("KWD").to_json() == {"amount": "0.000", "currency": "KWD"}

    def test_sum_refuses_a_line_in_another_currency(self) -> None:
        with pytest.raises(CurrencyMismatch):
            Money.sum([Money("1", "USD"), Money("1", "EUR")], "USD")

    @given(amount=AMOUNTS, parts=st.integers(min_value=1, max_value=36), currency=CURRENCIES)
    def test_split_evenly_adds_up_exactly(self, amount: Decimal, parts: int, currency: str) -> None:
        total = Money(amount, currency)
        shares = split_evenly(total, parts)
        assert len(shares) == parts
        assert Money.sum(shares, currency) == total.round()
        unit = Decimal(1).scaleb(-minor_unit(currency))
        assert max(s.amount for s in shares) - min(s.amount for s in shares) <= unit

    def test_split_needs_at_least_one_part(self) -> None:
        with pytest.raises(ValueError, match="one or more parts"):
            split_evenly(Money("10", "USD"), 0)


class TestHours:
    def test_two_places_rounded_half_up(self) -> None:
        assert str(Hours("7.5")) == "7.50"
        assert Hours("0.125") == Decimal("0.13")
        assert Hours(8) == Decimal(8)
        assert Hours.from_minutes(20) == Decimal("0.33")
        assert Hours.from_minutes(50) == Decimal("0.83")

    def test_negative_hours_need_to_be_a_reversal(self) -> None:
        with pytest.raises(ValueError, match=r"cannot be negative .* unless they are a reversal"):
            Hours("-7.5")
        reversal = Hours.reversal_of(Hours("7.5"))
        assert reversal == Decimal("-7.50")
        assert reversal.is_reversal
        assert not Hours("7.5").is_reversal
        assert str(Hours("-0.001", reversal=True)) == "0.00"

    def test_hours_pickle_even_when_negative(self) -> None:
        reversal = Hours.reversal_of(Hours(3))
        assert pickle.loads(pickle.dumps(reversal)) == reversal

    def test_canonical_decimal_gives_one_string_per_value(self) -> None:
        assert canonical_decimal(Decimal("10"), 2) == canonical_decimal(Decimal("10.000"), 2) == "10.00"
        assert canonical_decimal(Decimal("1E+2"), 0) == "100"
        assert canonical_decimal(Decimal("-0.000"), 2) == "0.00"
        assert canonical_decimal(Decimal("150.1250"), 2) == "150.125"


class _Priced(BaseModel):
    price: Money
    hours: Hours
    delta: SignedHours
    currency: CurrencyCode
    discount: Money | None = None


class TestAsPydanticFields:
    def test_json_carries_amounts_as_strings(self) -> None:
        model = _Priced(
            price=Money("99.5", "USD"), hours=Hours(8), delta=Hours.reversal_of(Hours(2)), currency="EUR"
        )
        assert model.model_dump_json() == (
            '{"price":{"amount":"99.50","currency":"USD"},"hours":"8.00","delta":"-2.00",'
            '"currency":"EUR","discount":null}'
        )
        assert _Priced.model_validate_json(model.model_dump_json()) == model

    def test_python_values_are_validated_too(self) -> None:
        model = _Priced.model_validate(
            {"price": {"amount": "1", "currency": "JPY"}, "hours": "7.333", "delta": 3, "currency": "KWD"}
        )
        assert model.price == Money(1, "JPY")
        assert model.hours == Decimal("7.33")
        assert isinstance(model.hours, Hours)

    def test_json_floats_are_refused_with_a_readable_message(self) -> None:
        document = '{"price":{"amount":99.5,"currency":"USD"},"hours":7.5,"delta":"1","currency":"usd"}'
        with pytest.raises(ValidationError) as caught:
            _Priced.model_validate_json(document)
        messages = {error["loc"][0]: error["msg"] for error in caught.value.errors()}
        assert "is a float; Concord never uses floats" in str(messages["price"])
        assert "is a float" in str(messages["hours"])
        assert "three-letter upper-case ISO 4217 code" in str(messages["currency"])

    def test_negative_hours_only_where_the_field_allows_them(self) -> None:
        with pytest.raises(ValidationError, match="cannot be negative"):
            _Priced.model_validate(
                {"price": Money(1, "USD"), "hours": "-1", "delta": "-1", "currency": "USD"}
            )

    def test_money_must_be_an_amount_and_a_currency(self) -> None:
        with pytest.raises(ValidationError, match=re.escape('Money must be an object {"amount"')):
            _Priced.model_validate({"price": "12.50 USD", "hours": 1, "delta": 1, "currency": "USD"})

    def test_json_schema_describes_strings_not_numbers(self) -> None:
        schema = _Priced.model_json_schema()
        money = schema["$defs"]["Money"]
        assert money["properties"]["amount"]["type"] == "string"
        assert money["required"] == ["amount", "currency"]
        assert schema["properties"]["hours"]["format"] == "decimal"
        assert schema["properties"]["delta"]["pattern"].startswith("^-?")
