"""How approved change orders reach the PSA and the ERP (domain.md §3.6), as configuration: the systems
that play each part, whether a fixed-fee change order's one unpriced milestone bills its value, and how
long Concord lets a contract's change orders settle before it applies them.

It is data, a YAML file (``change_orders.yaml`` beside this module is the shipped default; point
``change_orders`` in concord.toml at your own). A file that cannot be used is refused at start-up with
every problem as ``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path

from concord.flows.config_file import load_config_file
from concord.flows.config_parts import Settle, Strict, Text
from concord.settings import SHIPPED_CHANGE_ORDERS

__all__ = ["ChangeOrderConfig", "ChangeOrderSystems", "load_change_orders"]


class ChangeOrderSystems(Strict):
    """The configured connectors that play each part (names as in concord.toml)."""

    crm: Text = "salesforce"
    psa: Text = "kantata"
    erp: Text = "netsuite"


class ChangeOrderConfig(Strict):
    """The firm's change order policy."""

    systems: ChangeOrderSystems = ChangeOrderSystems()
    single_milestone_bills_value: bool = True
    """A change order to a contract billed by milestones that names one new milestone without a fee bills
    its value (what its other new milestones do not) on that milestone."""
    settle: Settle = Settle(quiet_s=2.0, max_wait_s=30.0)


def load_change_orders(path: Path | None = None) -> ChangeOrderConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(ChangeOrderConfig, path or SHIPPED_CHANGE_ORDERS, "change order configuration")
