"""How approved time is posted to the ERP (time-to-ERP), as configuration: the systems, the posting
granularity, what happens to time in a closed ERP period, the approval policy, and how long Concord lets
a burst of approvals settle before it posts.

It is data, a YAML file (``time_posting.yaml`` beside this module is the shipped default; point
``time_posting`` in concord.toml at your own). A file that cannot be used is refused at start-up with every
problem as ``file:line: what is wrong; how to fix it``. The rules expense posting configures alike are
``PostingRules``.
"""

from __future__ import annotations

from pathlib import Path

from concord.domain.posting_lines import PostingGranularity
from concord.domain.time_posting import ApproverRule, ClosedPeriodPolicy, PostingPolicy
from concord.flows.config_file import load_config_file
from concord.flows.config_parts import PsaErpSystems, Settle, Strict
from concord.settings import SHIPPED_TIME_POSTING

__all__ = ["PostingRules", "TimePostingConfig", "load_time_posting"]


class PostingRules(Strict):
    """What the posting flows (time, expenses) configure alike: the systems, what happens to a record in a
    closed ERP period, and who may approve it."""

    systems: PsaErpSystems = PsaErpSystems()
    closed_period: ClosedPeriodPolicy = ClosedPeriodPolicy.REDATE
    redate_needs_finance_approval: bool = False
    approver: ApproverRule = ApproverRule.ANYONE
    self_approval_allowed: bool = False

    def _policy(self, *, enforce_not_to_exceed: bool, billable_needs_contract: bool) -> PostingPolicy:
        """The domain's posting policy for these rules and the flow's contract checks."""
        return PostingPolicy(
            closed_period=self.closed_period,
            redate_needs_finance_approval=self.redate_needs_finance_approval,
            approver=self.approver,
            self_approval_allowed=self.self_approval_allowed,
            enforce_not_to_exceed=enforce_not_to_exceed,
            billable_needs_contract=billable_needs_contract,
        )


class TimePostingConfig(PostingRules):
    """The firm's time posting policy."""

    granularity: PostingGranularity = PostingGranularity.PER_DAY
    billable_needs_contract: bool = False
    settle: Settle = Settle()

    def policy(self) -> PostingPolicy:
        """The domain's posting policy for these settings."""
        return self._policy(enforce_not_to_exceed=True, billable_needs_contract=self.billable_needs_contract)


def load_time_posting(path: Path | None = None) -> TimePostingConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(TimePostingConfig, path or SHIPPED_TIME_POSTING, "time posting configuration")
