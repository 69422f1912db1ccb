"""The billing configuration is data: the shipped file loads and builds both billing flows; a file that
cannot be used is refused with every problem as file:line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.domain.billing import MilestoneTrigger, TimeLineDetail
from concord.domain.objects import BillingFrequency
from concord.flows.billing import billing, subscription_billing
from concord.flows.billing_config import load_billing
from concord.flows.catalog import bundles
from concord.settings import ConfigError, Settings


def test_the_shipped_configuration_loads_and_builds_both_flows() -> None:
    config = load_billing()
    assert (config.systems.psa, config.systems.erp) == ("kantata", "netsuite")
    assert config.default_frequency is BillingFrequency.MONTHLY
    assert config.milestone_trigger is MilestoneTrigger.COMPLETION
    assert config.time_lines is TimeLineDetail.PER_ENTRY and not config.subscription_in_advance
    projects, subscriptions = billing(config), subscription_billing(config)
    assert [s.name for s in projects.steps] == ["read", "read_contract", "bill", "billed"]
    assert projects.triggers == {"TimeEntryChanged", "ExpenseItemChanged", "MilestoneChanged"}
    assert subscriptions.triggers == {"AccountingPeriodChanged"}
    assert projects.gather is not None and projects.gather.quiet_s == 60


BAD = """\
systems: {psa: kantata, crm: salesforce}
milestone_trigger: signature
settle: {quiet_s: 30, max_wait_s: 10}
"""


def test_a_file_that_cannot_be_used_names_each_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "billing.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as refused:
        load_billing(path)
    message = str(refused.value)
    assert "3 problems in the billing configuration" in message
    assert f"{path}:1" in message and "'crm' is not a setting here" in message
    assert f"{path}:2" in message and "milestone_trigger" in message
    assert f"{path}:3" in message and "max_wait_s (10.0) must be at least quiet_s (30.0)" in message


def test_the_catalog_brings_both_flows_with_the_sources_that_start_them() -> None:
    connectors = {
        "kantata": {"kind": "kantata", "detect": ["TimeEntry"]},
        "netsuite": {"kind": "netsuite"},
    }
    (bundle,) = bundles(["billing"], Settings(connectors=connectors))
    assert [flow.name for flow in bundle.flows] == ["billing", "subscription_billing"]
    # Time entries are detected already; the rest is polled for the flows.
    assert [(s.system, s.object_type) for s in bundle.sources] == [
        ("kantata", "ExpenseItem"),
        ("kantata", "Milestone"),
        ("netsuite", "AccountingPeriod"),
    ]
    with pytest.raises(ConfigError, match="needs the connectors psa 'kantata'"):
        bundles(["billing"], Settings(connectors={"netsuite": {"kind": "netsuite"}}))
