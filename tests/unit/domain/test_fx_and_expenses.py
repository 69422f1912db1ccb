"""Exchange rates, expense conversion and markup, expense posting lines and their reversal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.expenses import billable_expense_amount, expense_posting_line
from concord.domain.fx import ExchangeRate, MissingExchangeRate, RateTable
from concord.domain.money import Money
from concord.domain.posting_lines import plan_postings, posting_dimensions

from .rule_facts import expense, legal_entity, project, resource

RATES = RateTable(
    [
        ExchangeRate("GBP", "USD", Decimal("1.25"), date(2026, 1, 1)),
        ExchangeRate("GBP", "USD", Decimal("1.30"), date(2026, 3, 1)),
        ExchangeRate("USD", "JPY", Decimal("150.5"), date(2026, 1, 1)),
    ]
)


class TestRateTable:
    def test_the_latest_rate_in_force_on_the_day_applies(self) -> None:
        assert RATES.rate("GBP", "USD", date(2026, 2, 28)) == Decimal("1.25")
        assert RATES.rate("GBP", "USD", date(2026, 3, 1)) == Decimal("1.30")
        assert RATES.rate("USD", "USD", date(2020, 1, 1)) == 1

    def test_conversion_rounds_half_up_to_the_target_minor_unit(self) -> None:
        assert RATES.convert(Money("10.01", "GBP"), "USD", date(2026, 3, 2)) == Money("13.01", "USD")
        assert RATES.convert(Money("10.05", "USD"), "JPY", date(2026, 3, 2)) == Money("1513", "JPY")

    def test_the_opposite_rate_is_inverted(self) -> None:
        assert RATES.convert(Money("1505", "JPY"), "USD", date(2026, 3, 2)) == Money("10.00", "USD")

    def test_a_missing_rate_says_what_to_add(self) -> None:
        with pytest.raises(
            MissingExchangeRate, match=r"No exchange rate from EUR to USD is in force on 2026-03-02"
        ):
            RATES.convert(Money("1", "EUR"), "USD", date(2026, 3, 2))
        with pytest.raises(MissingExchangeRate):
            RATES.rate("GBP", "USD", date(2025, 12, 31))

    def test_bad_rates_are_refused(self) -> None:
        with pytest.raises(ValueError, match="must be positive"):
            ExchangeRate("GBP", "USD", Decimal(0), date(2026, 1, 1))
        with pytest.raises(TypeError, match="float"):
            ExchangeRate("GBP", "USD", 1.3, date(2026, 1, 1))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="same day"):
            RateTable([ExchangeRate("GBP", "USD", Decimal(1), date(2026, 1, 1))] * 2)

    @settings(deadline=None)
    @given(
        amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10**7), places=2),
        rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=6),
    )
    def test_every_conversion_is_rounded_and_close_to_exact(self, amount: Decimal, rate: Decimal) -> None:
        table = RateTable([ExchangeRate("GBP", "USD", rate, date(2026, 1, 1))])
        converted = table.convert(Money(amount, "GBP"), "USD", date(2026, 6, 1))
        assert converted.is_rounded
        assert abs(converted.amount - amount * rate) <= Decimal("0.005")


class TestExpenseAmounts:
    def test_billable_amount_converts_then_marks_up_rounding_each_step(self) -> None:
        item = expense(amount=Money("100.01", "GBP"), markup=Decimal("0.15"))
        # 100.01 GBP at 1.30 = 130.013, so 130.01 USD; plus 15 % = 149.5115, so 149.51 USD.
        assert billable_expense_amount(item, "USD", RATES) == Money("149.51", "USD")

    def test_not_billable_is_zero_in_the_target_currency(self) -> None:
        assert billable_expense_amount(expense(billable=False), "EUR", RATES) == Money("0.00", "EUR")

    def test_same_currency_needs_no_rate(self) -> None:
        assert billable_expense_amount(expense(), "USD", RateTable()) == Money("453.53", "USD")


class TestExpensePostingLines:
    def test_the_line_carries_both_currencies_the_rate_and_the_drill_back(self) -> None:
        item = expense(amount=Money("100.00", "GBP"))
        dims = posting_dimensions(item, project(), resource(), legal_entity())
        line = expense_posting_line(item, dims, posting_date=date(2026, 3, 12), currency="USD", rates=RATES)
        assert line.amount == Money("100.00", "GBP")
        assert line.exchange_rate == Decimal("1.30")
        assert line.posted_amount == Money("130.00", "USD")
        assert line.billable_amount == Money("143.00", "USD")
        assert line.item_id == item.global_id and line.receipt_reference == "R-553"
        assert line.dimensions.subsidiary_id == "3" and line.dimensions.billable

    def test_lines_are_deterministic_and_reversible(self) -> None:
        item = expense()
        dims = posting_dimensions(item, project(), resource(), legal_entity())
        line = expense_posting_line(item, dims, posting_date=date(2026, 3, 12), currency="USD", rates=RATES)
        same = expense_posting_line(item, dims, posting_date=date(2026, 3, 12), currency="USD", rates=RATES)
        assert line == same
        edited = item.replace(amount=Money("500.00", "USD"))
        new = expense_posting_line(edited, dims, posting_date=date(2026, 3, 12), currency="USD", rates=RATES)
        plan = plan_postings([new], [line])
        assert [r.reverses for r in plan.reversals] == [line.key]
        assert plan.reversals[0].posted_amount == Money("-412.30", "USD")
        assert plan.postings == (new,)

    def test_a_missing_rate_is_raised_for_the_flow_to_report(self) -> None:
        item = expense(amount=Money("100.00", "CHF"))
        dims = posting_dimensions(item, project(), resource(), legal_entity())
        with pytest.raises(MissingExchangeRate):
            expense_posting_line(item, dims, posting_date=date(2026, 3, 12), currency="USD", rates=RATES)
