"""How Concord bills (the billing flows), as configuration: the systems, the billing period of a contract
whose ERP billing schedule names none, when a fixed-fee milestone is billed, how time appears on an
invoice, whether subscription fees are billed in advance, and how long a burst of changes settles.

It is data, a YAML file (``billing.yaml`` beside this module is the shipped default; point ``billing`` in
concord.toml at your own). A file that cannot be used is refused at start-up with every problem as
``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from concord.domain.billing import MilestoneTrigger, TimeLineDetail
from concord.domain.objects import BillingFrequency
from concord.flows.config_file import load_config_file
from concord.flows.config_parts import PsaErpSystems, Settle, Strict
from concord.settings import SHIPPED_BILLING

__all__ = ["BillingConfig", "BillingSettle", "load_billing"]


class BillingSettle(Settle):
    """How long a burst of changes settles before Concord bills (longer, by default, than for the other
    flows)."""

    quiet_s: float = Field(default=60.0, ge=0, le=86400)
    max_wait_s: float = Field(default=900.0, ge=0, le=7 * 86400)


class BillingConfig(Strict):
    """The firm's billing policy."""

    systems: PsaErpSystems = PsaErpSystems()
    default_frequency: BillingFrequency = BillingFrequency.MONTHLY
    """The billing period of a time-and-materials or subscription contract whose billing schedule in the
    ERP names none (one set up by hand there)."""
    milestone_trigger: MilestoneTrigger = MilestoneTrigger.COMPLETION
    time_lines: TimeLineDetail = TimeLineDetail.PER_ENTRY
    subscription_in_advance: bool = False
    """Bill a subscription period when it begins instead of when it has ended."""
    settle: BillingSettle = BillingSettle()


def load_billing(path: Path | None = None) -> BillingConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(BillingConfig, path or SHIPPED_BILLING, "billing configuration")
