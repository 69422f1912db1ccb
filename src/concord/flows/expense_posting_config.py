"""How approved expenses are posted to the ERP (expenses-to-ERP), as configuration: the systems, how
expenses are gathered, what happens to an expense in a closed ERP period, the approval policy, the billable
markup, where the exchange rates come from, and how long Concord lets a burst of approvals settle.

It is data, a YAML file (``expense_posting.yaml`` beside this module is the shipped default; point
``expense_posting`` in concord.toml at your own). A file that cannot be used is refused at start-up with
every problem as ``file:line: what is wrong; how to fix it``.

The exchange rates themselves are reference data, not policy: they live in a reference table of
concord.toml, which the file names (``exchange_rates.table``)::

    [concord.reference_tables.exchange_rates]
    "EUR/USD" = { "2026-01-01" = "1.0850", "2026-06-01" = "1.0920" }   # dated: the latest in force applies
    "GBP/USD" = "1.2700"                                               # one rate, whatever the date

A pair is read "one EUR is worth 1.0850 USD"; the opposite direction is derived when only one is given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from concord.domain.fx import ExchangeRate, RateTable
from concord.domain.time_posting import PostingPolicy
from concord.flows.config_file import load_config_file
from concord.flows.config_parts import Settle, Strict, Text
from concord.flows.time_posting_config import PostingRules
from concord.settings import SHIPPED_EXPENSE_POSTING, ConfigError

__all__ = [
    "ExchangeRates",
    "ExpenseGathering",
    "ExpensePostingConfig",
    "load_expense_posting",
]


class ExpenseGathering(StrEnum):
    """Which expenses one flow instance gathers and posts together (each expense is one ERP posting)."""

    PER_EMPLOYEE_MONTH = "per_employee_month"
    PER_EXPENSE = "per_expense"


class ExchangeRates(Strict):
    """Where the rates come from that convert an expense into the currency it is posted in."""

    table: Text = "exchange_rates"
    """The reference table of concord.toml that holds them (see the module docstring)."""

    def rate_table(self, tables: Mapping[str, Mapping[str, Any]]) -> RateTable:
        """The rates in the reference table; an absent table gives no rates (same-currency expenses still
        post, the others wait as exceptions that say which rate to add).

        Raises:
            ConfigError: an entry of the table cannot be read; the message names it and the fix.
        """
        return RateTable(_rates(self.table, tables.get(self.table) or {}))


def _rates(table: str, entries: Mapping[str, Any]) -> Iterator[ExchangeRate]:
    for pair, value in entries.items():
        source, _, target = str(pair).partition("/")
        dated = value.items() if isinstance(value, Mapping) else [(date.min.isoformat(), value)]
        for day, rate in dated:
            where = f"reference table '{table}', {pair}" + ("" if day == date.min.isoformat() else f" {day}")
            try:
                yield ExchangeRate(source.strip(), target.strip(), _decimal(rate), _day(day))
            except (TypeError, ValueError) as error:
                raise ConfigError(
                    f'{where}: {error} Write each pair as SOURCE/TARGET ("EUR/USD"), each rate as quoted '
                    'text ("1.0850") so it stays exact, and each date as YYYY-MM-DD.'
                ) from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise TypeError(f"the rate {value!r} is not quoted text.")
    return Decimal(str(value))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class ExpensePostingConfig(PostingRules):
    """The firm's expense posting policy."""

    gather: ExpenseGathering = ExpenseGathering.PER_EMPLOYEE_MONTH
    billable_markup: Annotated[Decimal, Field(ge=0, le=1)] = Decimal(0)
    """Markup on billable expenses whose PSA record carries none (0.10 is 10 %)."""
    exchange_rates: ExchangeRates = ExchangeRates()
    settle: Settle = Settle()

    def policy(self) -> PostingPolicy:
        """The domain's posting policy for these settings (contracts are the billing flow's concern)."""
        return self._policy(enforce_not_to_exceed=False, billable_needs_contract=False)


def load_expense_posting(path: Path | None = None) -> ExpensePostingConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(
        ExpensePostingConfig, path or SHIPPED_EXPENSE_POSTING, "expense posting configuration"
    )
