"""How Concord bills (the billing flows), as configuration: the systems, the billing period of a contract
whose ERP billing schedule names none, when a fixed-fee milestone is billed, how time appears on an
invoice, whether subscription fees are billed in advance, and how long a burst of changes settles.

It is data, a YAML file (``billing.yaml`` beside this module is the shipped default; point ``billing`` in
concord.toml at your own). A file that cannot be used is refused at start-up with every problem as
``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from concord.domain.billing import MilestoneTrigger, TimeLineDetail
from concord.domain.objects import BillingFrequency
from concord.engine.flows import Gathering
from concord.flows.config_file import load_config_file
from concord.settings import SHIPPED_BILLING

__all__ = ["BillingConfig", "BillingSystems", "Settle", "load_billing"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BillingSystems(_Strict):
    """The configured connectors that play each part (names as in concord.toml)."""

    psa: Text = "kantata"
    erp: Text = "netsuite"


class Settle(_Strict):
    """How long a burst of changes settles before Concord bills."""

    quiet_s: float = Field(default=60.0, ge=0, le=86400)
    max_wait_s: float = Field(default=900.0, ge=0, le=7 * 86400)

    @model_validator(mode="after")
    def _order(self) -> Settle:
        if self.max_wait_s < self.quiet_s:
            raise ValueError(f"max_wait_s ({self.max_wait_s}) must be at least quiet_s ({self.quiet_s})")
        return self


class BillingConfig(_Strict):
    """The firm's billing policy."""

    systems: BillingSystems = BillingSystems()
    default_frequency: BillingFrequency = BillingFrequency.MONTHLY
    """The billing period of a time-and-materials or subscription contract whose billing schedule in the
    ERP names none (one set up by hand there)."""
    milestone_trigger: MilestoneTrigger = MilestoneTrigger.COMPLETION
    time_lines: TimeLineDetail = TimeLineDetail.PER_ENTRY
    subscription_in_advance: bool = False
    """Bill a subscription period when it begins instead of when it has ended."""
    settle: Settle = Settle()

    def gathering(self) -> Gathering:
        """How the flows' instances wait for a burst to settle."""
        return Gathering(quiet_s=self.settle.quiet_s, max_wait_s=self.settle.max_wait_s)


def load_billing(path: Path | None = None) -> BillingConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(BillingConfig, path or SHIPPED_BILLING, "billing configuration")
