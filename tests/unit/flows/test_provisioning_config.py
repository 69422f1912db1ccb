"""The provisioning configuration is data: the shipped file loads and builds the flow; a file that cannot
be used is refused with every problem as file:line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.flows.opportunity_to_project import opportunity_to_project
from concord.flows.provisioning_config import load_provisioning
from concord.settings import ConfigError


def test_the_shipped_configuration_loads_and_builds_the_flow() -> None:
    config = load_provisioning()
    assert config.is_contracted("Closed Won") and not config.is_contracted("Closed Lost")
    assert config.regions["DACH"] == "DE"
    assert set(config.delivery_templates) == {"Implementation", "Advisory", "Managed Services", "Training"}
    flow = opportunity_to_project(config)
    assert [step.name for step in flow.steps] == [
        "read_deal",
        "read_customer",
        "validate",
        "customer",
        "project",
        "milestones",
        "contract",
        "write_back",
    ]


BAD = """\
contracted_stages: [Closed Won]
regions:
  EMEA: FR
delivery_templates:
  Implementation:
    code: TPL-IMPL
    phases:
      - {name: Discover, weeks: 0, milestone: Discovery sign-off}
  Advisory:
    cod: TPL-ADV
"""


def test_a_file_that_cannot_be_used_names_each_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "provisioning.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as refused:
        load_provisioning(path)
    message = str(refused.value)
    assert message.startswith("4 problems in the provisioning configuration:")
    assert f"{path}:8: delivery_templates.Implementation.phases.0.weeks" in message
    assert f"{path}:10: 'cod' is not a setting here; remove it or check its spelling" in message
    assert f"{path}:9: delivery_templates.Advisory.code is missing; add it" in message


def test_fee_shares_that_do_not_add_up_are_refused_at_their_template(tmp_path: Path) -> None:
    path = tmp_path / "provisioning.yaml"
    path.write_text(
        "delivery_templates:\n"
        "  Training:\n"
        "    code: TPL-TRN\n"
        "    phases:\n"
        "      - {name: Prepare, weeks: 2, milestone: Agreed, fee_percent: 30}\n"
        "      - {name: Deliver, weeks: 4, milestone: Delivered, fee_percent: 60}\n"
    )
    with pytest.raises(ConfigError, match=r"provisioning.yaml:2: .*Training: .*add up to 90, not 100"):
        load_provisioning(path)


def test_invalid_yaml_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "provisioning.yaml"
    path.write_text("regions:\n  EMEA: [FR\n")
    with pytest.raises(ConfigError, match=r"provisioning.yaml:\d+: not valid YAML"):
        load_provisioning(path)


def test_deals_closed_before_the_switch_on_day_are_left_to_the_old_process(tmp_path: Path) -> None:
    path = tmp_path / "provisioning.yaml"
    path.write_text("provision_from: 2026-11-01\n")
    config = load_provisioning(path)
    assert config.is_ours("2026-11-01") and config.is_ours("2026-12-05")
    assert not config.is_ours("2026-10-31")
    assert load_provisioning().is_ours("2019-01-01"), "without the setting every deal is Concord's"
