"""The expense posting configuration is data: the shipped file loads and builds the flow, the exchange
rates come from a reference table read at start-up, and what cannot be used is refused with its fix."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from concord.domain.fx import MissingExchangeRate
from concord.domain.time_posting import ClosedPeriodPolicy
from concord.flows.catalog import bundles
from concord.flows.expense_posting_config import ExchangeRates, ExpenseGathering, load_expense_posting
from concord.flows.expenses_to_erp import expenses_to_erp
from concord.settings import ConfigError, Settings

CONNECTORS = {"kantata": {"kind": "kantata"}, "netsuite": {"kind": "netsuite"}}


def test_the_shipped_configuration_loads_and_builds_the_flow() -> None:
    config = load_expense_posting()
    assert config.gather is ExpenseGathering.PER_EMPLOYEE_MONTH
    assert config.closed_period is ClosedPeriodPolicy.REDATE and config.billable_markup == 0
    assert config.exchange_rates.table == "exchange_rates"
    flow = expenses_to_erp(config, config.exchange_rates.rate_table({}))
    assert [step.name for step in flow.steps] == ["read", "post", "accepted"]
    assert flow.triggers == frozenset({"ExpenseItemChanged"}) and flow.gather is not None


def test_dated_and_standing_rates_are_read_from_the_reference_table() -> None:
    table = {"EUR/USD": {"2026-01-01": "1.0837", "2026-06-15": "1.1000"}, "GBP/USD": "1.27"}
    rates = ExchangeRates().rate_table({"exchange_rates": table})
    assert rates.rate("EUR", "USD", date(2026, 6, 14)) == Decimal("1.0837")
    assert rates.rate("EUR", "USD", date(2026, 6, 15)) == Decimal("1.1000")
    assert rates.rate("GBP", "USD", date(1999, 1, 1)) == Decimal("1.27")
    with pytest.raises(MissingExchangeRate):
        rates.rate("EUR", "USD", date(2025, 12, 31))


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"EUR/USD": 1.08}, "reference table 'exchange_rates', EUR/USD: the rate 1.08 is not quoted text"),
        ({"EUR-USD": "1.08"}, "reference table 'exchange_rates', EUR-USD:"),
        ({"EUR/USD": {"June 1": "1.08"}}, "reference table 'exchange_rates', EUR/USD June 1:"),
        ({"EUR/USD": "-1"}, "must be positive"),
    ],
)
def test_a_rate_that_cannot_be_read_is_refused_with_where_it_is_and_how_to_write_it(
    table: dict[str, object], words: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        ExchangeRates().rate_table({"exchange_rates": table})
    assert words in str(refused.value) and 'SOURCE/TARGET ("EUR/USD")' in str(refused.value)


def test_the_catalog_refuses_a_bad_rates_table_at_start_up_and_builds_the_flow_otherwise(
    tmp_path: Path,
) -> None:
    good = Settings(flows=["expenses_to_erp"], connectors=CONNECTORS, reference_tables={})
    (bundle,) = bundles(["expenses_to_erp"], good)
    assert [flow.name for flow in bundle.flows] == ["expenses_to_erp"]
    assert [(s.system, s.object_type) for s in bundle.sources] == [("kantata", "ExpenseItem")]
    bad = Settings(connectors=CONNECTORS, reference_tables={"exchange_rates": {"EUR/USD": 1.08}})
    with pytest.raises(ConfigError, match="not quoted text"):
        bundles(["expenses_to_erp"], bad)


def test_a_file_that_cannot_be_used_names_each_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "expense_posting.yaml"
    path.write_text('gather: per_week\nbillable_markup: "1.5"\nexchange_rate: {table: fx}\n')
    with pytest.raises(ConfigError) as refused:
        load_expense_posting(path)
    message = str(refused.value)
    assert message.startswith("3 problems in the expense posting configuration:")
    assert f"{path}:1: gather:" in message and f"{path}:2: billable_markup:" in message
    assert f"{path}:3: 'exchange_rate' is not a setting here" in message
