"""The revenue configuration is data: the shipped file loads and builds the three flows; a file that cannot
be used is refused with every problem as file:line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.domain.billing import MilestoneTrigger
from concord.domain.objects import RecognitionBasis
from concord.domain.revenue import CompletionMethod, RevenueAccounts
from concord.flows.revenue import revenue_flows
from concord.flows.revenue_config import RevenueConfig, load_revenue
from concord.settings import ConfigError


def test_the_shipped_configuration_loads_and_builds_the_flows() -> None:
    config = load_revenue()
    assert config == RevenueConfig()  # the file says what the defaults say
    assert config.completion_method is CompletionMethod.HOURS
    assert config.milestone_trigger is MilestoneTrigger.COMPLETION
    assert config.accounts.of(RecognitionBasis.STRAIGHT_LINE) == RevenueAccounts(
        "deferred_revenue", "subscription_revenue"
    )
    flows = revenue_flows(config)
    assert [flow.name for flow in flows] == [
        "revenue_delivery",
        "revenue_milestones",
        "revenue_subscriptions",
    ]
    assert [sorted(flow.triggers) for flow in flows] == [
        ["TimeEntryChanged"],
        ["MilestoneChanged"],
        ["AccountingPeriodChanged"],
    ]
    assert all(flow.gather is not None for flow in flows)


BAD = """\
completion_method: effort
accounts:
  as_delivered: {debit: services_revenue, credit: services_revenue}
  straight_line: {debit: Deferred Revenue, credit: subscription_revenue}
settle: {quiet_s: 10, max_wait_s: 5}
"""


def test_a_file_that_cannot_be_used_names_each_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "revenue.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as refused:
        load_revenue(path)
    message = str(refused.value)
    assert message.startswith("4 problems in the revenue configuration:")
    assert f"{path}:1: completion_method:" in message
    assert f"{path}:3: accounts.as_delivered: debit and credit are both 'services_revenue'" in message
    assert f"{path}:4: accounts.straight_line.debit:" in message
    assert f"{path}:5: settle: max_wait_s (5.0) must be at least quiet_s (10.0)" in message
