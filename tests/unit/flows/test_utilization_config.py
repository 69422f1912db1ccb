"""The utilization configuration is data: the shipped file loads and builds the flow, the catalog brings
the PSA's assignments and time and refuses a missing sink, and what cannot be used is refused by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.domain.objects import TimeEntryStatus
from concord.flows.catalog import bundles
from concord.flows.utilization import utilization
from concord.flows.utilization_config import load_utilization
from concord.settings import ConfigError, Settings

CONNECTORS = {"kantata": {"kind": "kantata"}, "netsuite": {"kind": "netsuite"}}


def test_the_shipped_configuration_loads_and_builds_the_flow() -> None:
    config = load_utilization()
    assert (config.systems.psa, config.systems.erp, config.systems.analytics) == (
        "kantata",
        "netsuite",
        "analytics",
    )
    assert config.counted_statuses == {TimeEntryStatus.APPROVED, TimeEntryStatus.SUBMITTED}
    flow = utilization(config)
    assert [step.name for step in flow.steps] == ["read", "write", "written"]
    assert flow.triggers == frozenset({"AssignmentChanged", "TimeEntryChanged"}) and flow.gather is not None


def test_the_catalog_brings_assignments_and_time_and_needs_the_analytics_sink() -> None:
    with pytest.raises(ConfigError, match="analytics 'analytics', which are not configured"):
        bundles(["utilization"], Settings(connectors=CONNECTORS))
    sink = {**CONNECTORS, "analytics": {"kind": "analytics"}}
    (bundle,) = bundles(["utilization"], Settings(connectors=sink))
    assert [flow.name for flow in bundle.flows] == ["utilization"]
    assert [(s.system, s.object_type) for s in bundle.sources] == [
        ("kantata", "Assignment"),
        ("kantata", "TimeEntry"),
    ]


def test_a_file_that_cannot_be_used_names_each_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "utilization.yaml"
    path.write_text("counted_statuses: [approved, draft]\nsettle: {quiet_s: 10, max_wait_s: 1}\n")
    with pytest.raises(ConfigError) as refused:
        load_utilization(path)
    message = str(refused.value)
    assert message.startswith("2 problems in the utilization configuration:")
    assert f"{path}:1: counted_statuses:" in message and "not draft" in message
    assert f"{path}:2: settle" in message
