"""How approved time is posted to the ERP (time-to-ERP), as configuration: the systems, the posting
granularity, what happens to time in a closed ERP period, the approval policy, and how long Concord lets
a burst of approvals settle before it posts.

It is data, a YAML file (``time_posting.yaml`` beside this module is the shipped default; point
``time_posting`` in concord.toml at your own). A file that cannot be used is refused at start-up with every
problem as ``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from concord.domain.posting_lines import PostingGranularity
from concord.domain.time_posting import ApproverRule, ClosedPeriodPolicy, PostingPolicy
from concord.engine.flows import Gathering
from concord.flows.config_file import load_config_file
from concord.settings import SHIPPED_TIME_POSTING

__all__ = ["PostingSystems", "Settle", "TimePostingConfig", "load_time_posting"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PostingSystems(_Strict):
    """The configured connectors that play each part (names as in concord.toml)."""

    psa: Text = "kantata"
    erp: Text = "netsuite"


class Settle(_Strict):
    """How long a burst of approvals settles before it is posted."""

    quiet_s: float = Field(default=5.0, ge=0, le=3600)
    max_wait_s: float = Field(default=60.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _order(self) -> Settle:
        if self.max_wait_s < self.quiet_s:
            raise ValueError(f"max_wait_s ({self.max_wait_s}) must be at least quiet_s ({self.quiet_s})")
        return self


class TimePostingConfig(_Strict):
    """The firm's time posting policy."""

    systems: PostingSystems = PostingSystems()
    granularity: PostingGranularity = PostingGranularity.PER_DAY
    closed_period: ClosedPeriodPolicy = ClosedPeriodPolicy.REDATE
    redate_needs_finance_approval: bool = False
    approver: ApproverRule = ApproverRule.ANYONE
    self_approval_allowed: bool = False
    billable_needs_contract: bool = False
    settle: Settle = Settle()

    def policy(self) -> PostingPolicy:
        """The domain's posting policy for these settings."""
        return PostingPolicy(
            closed_period=self.closed_period,
            redate_needs_finance_approval=self.redate_needs_finance_approval,
            approver=self.approver,
            self_approval_allowed=self.self_approval_allowed,
            billable_needs_contract=self.billable_needs_contract,
        )

    def gathering(self) -> Gathering:
        """How the flow's instances wait for a burst to settle."""
        return Gathering(quiet_s=self.settle.quiet_s, max_wait_s=self.settle.max_wait_s)


def load_time_posting(path: Path | None = None) -> TimePostingConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(TimePostingConfig, path or SHIPPED_TIME_POSTING, "time posting configuration")
