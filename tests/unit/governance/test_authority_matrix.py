"""The authority matrix: the shipped default, stage rules, two-way fields, and files that are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from concord.governance.authority import DEFAULT_AUTHORITY, load_authority, parse_authority
from concord.settings import ConfigError, Settings

SF, KANTATA, NS = frozenset({"salesforce"}), frozenset({"kantata"}), frozenset({"netsuite"})


def test_the_shipped_matrix_says_what_domain_md_says() -> None:
    matrix = load_authority()
    assert matrix.owners("Customer", "name") == SF
    assert matrix.owners("Customer", "payment_terms") == NS
    assert matrix.owners("Customer", "segment") == SF  # the object's default owner
    assert matrix.owners("Project", "status") == KANTATA
    assert matrix.owners("TimeEntry", "hours") == KANTATA
    assert matrix.owners("InvoiceEvent", "amount") == NS
    assert matrix.governs("Opportunity") and not matrix.governs("TestRecord")


def test_settings_point_at_the_shipped_matrix_by_default() -> None:
    assert Settings().authority == DEFAULT_AUTHORITY
    assert DEFAULT_AUTHORITY.is_file()


def test_an_opportunity_amount_is_the_crms_until_contracted_then_the_erps() -> None:
    matrix = load_authority()
    assert matrix.owners("Opportunity", "amount", {"stage": "Negotiation"}) == SF
    assert matrix.owners("Opportunity", "amount", {"stage": "Closed Won"}) == NS
    assert matrix.owners("Opportunity", "amount", {}) == SF  # no stage known: the first stage
    assert matrix.owners("Opportunity", "stage", {"stage": "Closed Won"}) == SF


STAGED = """
systems:
  crm: hubspot
  erp: [netsuite, legacy_erp]
objects:
  Opportunity:
    owner: crm
    lifecycle:
      field: stage
      stages:
        open:
        contracted: [Closed Won, Signed]
        invoiced: [Invoiced]
    fields:
      name: [crm, erp]
      amount:
        - owner: crm
          until: contracted
        - owner: [crm, erp]
          from: contracted
          until: invoiced
        - owner: erp
"""


def test_stage_rules_kinds_and_two_way_fields() -> None:
    matrix = parse_authority(STAGED)
    erp = frozenset({"netsuite", "legacy_erp"})
    assert matrix.owners("Opportunity", "amount", {"stage": "Prospecting"}) == frozenset({"hubspot"})
    assert matrix.owners("Opportunity", "amount", {"stage": "Signed"}) == erp | {"hubspot"}
    assert matrix.owners("Opportunity", "amount", {"stage": "Invoiced"}) == erp
    assert matrix.two_way("Opportunity", "name")
    assert not matrix.two_way("Opportunity", "close_date")


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_authority(text, "firm/authority.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "systems:\n  crm: salesforce\nobjects:\n  Customer:\n    owner: [crm\n",
            "firm/authority.yaml:6: not valid YAML",
        ),
        (
            "systems:\n  crm: salesforce\nobjects:\n  Customer:\n    owner: erp\n",
            "firm/authority.yaml:5: the owner of Customer names system kind 'erp'",
        ),
        (
            "systems:\n  crm: salesforce\nobjects:\n  Customr:\n    owner: crm\n",
            "firm/authority.yaml:4: 'Customr' is not",
        ),
        (
            "systems:\n  crm: salesforce\nobjects:\n  Customer:\n    owner: crm\n"
            "    fields:\n      terms: crm\n",
            "firm/authority.yaml:7: Customer has no field 'terms'",
        ),
        (
            "systems:\n  crm: Sales Force\nobjects: {}\n",
            "firm/authority.yaml:2: 'Sales Force' is not a system name",
        ),
        ("objects: {}\n", "firm/authority.yaml:1: the `systems:` section is missing"),
        (
            "systems:\n  crm: salesforce\n  crm: hubspot\nobjects: {}\n",
            "firm/authority.yaml:3: 'crm' appears twice",
        ),
        ("", "firm/authority.yaml:1: the authority matrix is empty"),
    ],
)
def test_a_broken_file_is_refused_with_its_line_and_a_fix(text: str, expected: str) -> None:
    message = _error(text)
    assert message.startswith(expected)
    assert ";" in message  # the fix follows the problem


def test_a_staged_rule_needs_a_lifecycle_and_an_owner_in_every_stage() -> None:
    no_lifecycle = STAGED.replace("    lifecycle:\n      field: stage\n", "    life:\n      field: stage\n")
    assert "has no setting 'life'" in _error(no_lifecycle)
    gap = STAGED.replace("        - owner: erp\n", "")
    message = _error(gap)
    assert message.startswith("firm/authority.yaml:17: Opportunity.amount has no owner in stage 'invoiced'")
    unknown_stage = STAGED.replace("until: invoiced", "until: billed")
    assert "firm/authority.yaml:21: Opportunity has no stage 'billed'; use open, contracted or invoiced" in (
        _error(unknown_stage)
    )


def test_an_unknown_kind_names_the_kinds_there_are() -> None:
    message = _error("systems:\n  crm: salesforce\n  erp: netsuite\nobjects:\n  Customer:\n    owner: psa\n")
    assert message == (
        "firm/authority.yaml:6: the owner of Customer names system kind 'psa', "
        "which `systems:` does not define; use crm or erp, or add 'psa' under `systems:`"
    )


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the authority matrix"):
        load_authority(tmp_path / "missing.yaml")
