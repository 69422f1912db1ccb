"""How revenue is recognised in the ERP (the revenue flows), as configuration: the systems, how percentage
of completion is measured, what makes a fixed-fee milestone's revenue due, the ledger accounts of each
recognition basis, and how long Concord lets a burst of changes settle before it recognises.

The accounts are *roles*, not account numbers: each is a key of the ERP connector's reference table (for
NetSuite, ``netsuite_account_id``: role → internal id of the firm's account), so this file stays the same
across charts of accounts and sandboxes.

It is data, a YAML file (``revenue.yaml`` beside this module is the shipped default; point ``revenue`` in
concord.toml at your own). A file that cannot be used is refused at start-up with every problem as
``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import StringConstraints, model_validator

from concord.domain.billing import MilestoneTrigger
from concord.domain.objects import RecognitionBasis
from concord.domain.revenue import CompletionMethod, RevenueAccounts
from concord.flows.config_file import load_config_file
from concord.flows.config_parts import PsaErpSystems, Settle, Strict
from concord.settings import SHIPPED_REVENUE

__all__ = ["LedgerAccounts", "RevenueConfig", "load_revenue"]

Role = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
]
"""An account role: a key of the ERP's account reference table, e.g. ``services_revenue``."""


class Pair(Strict):
    """The account a recognition debits and the one it credits (swapped for a reversal)."""

    debit: Role
    credit: Role

    @model_validator(mode="after")
    def _apart(self) -> Pair:
        if self.debit == self.credit:
            raise ValueError(
                f"debit and credit are both '{self.debit}'; a journal moves between two accounts"
            )
        return self


class LedgerAccounts(Strict):
    """The account pair of each recognition basis."""

    as_delivered: Pair = Pair(debit="unbilled_receivable", credit="services_revenue")
    milestone_acceptance: Pair = Pair(debit="unbilled_receivable", credit="services_revenue")
    percent_complete: Pair = Pair(debit="contract_asset", credit="services_revenue")
    straight_line: Pair = Pair(debit="deferred_revenue", credit="subscription_revenue")

    def of(self, basis: RecognitionBasis) -> RevenueAccounts:
        """The domain's accounts for ``basis``."""
        pair: Pair = getattr(self, basis.value)
        return RevenueAccounts(pair.debit, pair.credit)


class RevenueConfig(Strict):
    """The firm's revenue recognition settings."""

    systems: PsaErpSystems = PsaErpSystems()
    completion_method: CompletionMethod = CompletionMethod.HOURS
    milestone_trigger: MilestoneTrigger = MilestoneTrigger.COMPLETION
    accounts: LedgerAccounts = LedgerAccounts()
    settle: Settle = Settle()


def load_revenue(path: Path | None = None) -> RevenueConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(RevenueConfig, path or SHIPPED_REVENUE, "revenue configuration")
