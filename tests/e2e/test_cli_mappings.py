"""`concord mappings check` and `concord mappings test` as an analyst runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from concord.cli.main import app
from concord.mapping import default_directories, load_mappings

pytestmark = pytest.mark.e2e
runner = CliRunner()

BROKEN = """\
platform: salesforce
object: Account
canonical: Customer
id_field: Id
stamp_field: SystemModstamp
fields:
  - canonical: name
    platform: Name
  - canonical: segment
    platform: Segment__c
    transform: {enumm: {Big: Enterprise}}
"""


def test_check_lists_the_shipped_mappings() -> None:
    result = runner.invoke(app, ["mappings", "check"])
    assert result.exit_code == 0, result.output
    assert f"{len(list(load_mappings()))} mappings OK." in result.output
    for name in ("Opportunity", "time_entries", "timeBill", "ChangeOrder"):
        assert name in result.output


def test_check_refuses_a_broken_file_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "Account.Customer.yaml").write_text(BROKEN)
    result = runner.invoke(app, ["mappings", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        f"{tmp_path / 'Account.Customer.yaml'}:11: there is no transform 'enumm' (did you mean 'enum'?)"
        in result.output
    )
    assert "1 problem in the mapping files." in result.output


def test_check_names_file_line_and_fix_for_each_problem(tmp_path: Path) -> None:
    (tmp_path / "Account.Customer.yaml").write_text(
        BROKEN.replace("platform: Name", "platfrom: Name").replace("enumm", "enum")
    )
    (tmp_path / "Contact.Contact.yaml").write_text("platform: salesforce\nobject: [Contact\n")
    result = runner.invoke(app, ["mappings", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    output = result.output
    assert (
        f"{tmp_path / 'Account.Customer.yaml'}:8: unknown key 'platfrom' (did you mean 'platform'?)" in output
    )
    assert f"{tmp_path / 'Contact.Contact.yaml'}:3: not valid YAML" in output
    assert "problems in the mapping files." in output


def test_check_reports_a_broken_examples_file(tmp_path: Path) -> None:
    shipped = default_directories()[0]
    shutil.copy(shipped / "Contact.Contact.yaml", tmp_path)
    (tmp_path / "Contact.Contact.examples.yaml").write_text(
        "examples:\n  - name: no direction\n    platform: {Id: x}\n"
    )
    result = runner.invoke(app, ["mappings", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'Contact.Contact.examples.yaml'}:2: 'direction' is missing" in result.output


def test_test_runs_the_examples_and_shows_the_canonical_result() -> None:
    result = runner.invoke(app, ["mappings", "test", "Opportunity"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "✓ A won fixed-fee deal with two roles" in result.output
    assert "pricing_model" in result.output and "fixed_fee" in result.output
    assert "Pricing_Model__c (enum)" in result.output
    assert "All examples pass." in result.output


def test_test_runs_every_shipped_example() -> None:
    result = runner.invoke(app, ["mappings", "test", "--brief"])
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "All examples pass." in result.output


def test_test_fails_when_an_example_does_not_hold(tmp_path: Path) -> None:
    shipped = default_directories()[0]
    shutil.copy(shipped / "Contact.Contact.yaml", tmp_path)
    examples = (shipped / "Contact.Contact.examples.yaml").read_text()
    (tmp_path / "Contact.Contact.examples.yaml").write_text(
        examples.replace("name: Dana Fischer", "name: Dana F.")
    )
    result = runner.invoke(app, ["mappings", "test", "--dir", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "✗ The finance lead of a customer" in result.output
    assert "name: expected 'Dana F.', got 'Dana Fischer'" in result.output
    assert "1 example failed." in result.output


def test_test_with_a_broken_mapping_file_exits_1(tmp_path: Path) -> None:
    (tmp_path / "Account.Customer.yaml").write_text(
        BROKEN.replace("canonical: segment", "canonical: segmnt").replace("enumm", "enum")
    )
    result = runner.invoke(app, ["mappings", "test", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        f"{tmp_path / 'Account.Customer.yaml'}:9: Customer has no field 'segmnt' (did you mean 'segment'?)"
        in (result.output)
    )
