"""The `concord` command as a person uses it: configure, migrate, run, inspect, act on exceptions, audit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import concord.storage.migrations
from concord.cli.main import app

pytestmark = pytest.mark.e2e
runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONCORD_ACTOR", "ana")
    config = tmp_path / "concord.toml"
    config.write_text(
        f"""
[concord]
database_url = "sqlite:///{tmp_path / "concord.db"}"
flows = ["mirror"]

[concord.connectors.test]
kind = "test"
changes = 120
records = 100000
invalid_every = 40

[concord.retry]
initial_s = 0.01
"""
    )
    return tmp_path


MIGRATIONS = Path(concord.storage.migrations.__file__).parent / "versions"


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_init_writes_a_starter_config_that_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "Wrote concord.toml" in invoke("init")
    assert "exists" in runner.invoke(app, ["init"]).output
    newest = max(path.name[:4] for path in MIGRATIONS.glob("0*.py"))
    assert f"revision {newest}" in invoke("migrate")
    assert "1000 events recorded" in invoke("run", "--until-idle")


def test_run_status_exceptions_and_audit(workdir: Path) -> None:
    invoke("migrate")
    assert "117 events recorded" in invoke("run", "--until-idle")
    status = json.loads(invoke("status", "--json"))
    assert status["flow_instances"] == {"completed": 117}
    assert status["exceptions"] == {"validation/open": 3}
    assert "validation" in invoke("exceptions", "list", "--status", "open")

    ids = [json.loads(line)["exception_id"] for line in invoke("exceptions", "list", "--json").splitlines()]
    assert len(ids) == 3
    assert "amount: Input should be a valid decimal" in " ".join(invoke("exceptions", "show", ids[0]).split())
    refused = runner.invoke(app, ["exceptions", "retry", ids[0]])
    assert refused.exit_code == 1 and "still fails validation" in refused.output
    invoke("exceptions", "resolve", ids[1], "--note", "fixed by hand")
    invoke("exceptions", "ignore", ids[2], "--note", "test data")
    after = json.loads(invoke("status", "--json"))["exceptions"]
    assert after == {"validation/open": 1, "validation/resolved": 1, "validation/ignored": 1}

    assert "chain verified" in invoke("audit", "verify")
    with sqlite3.connect(workdir / "concord.db") as db:
        db.execute("UPDATE audit_log SET actor = 'eve' WHERE seq = 1")
    tampered = runner.invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1 and "was edited" in tampered.output


def test_a_broken_config_is_refused_with_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("concord.toml").write_text("[concord]\npartitions = 'many'\n")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "concord.toml" in result.output and "partitions" in result.output
    Path("concord.toml").write_text("[concord\n")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and "not valid TOML" in result.output


def test_unknown_exception_and_flow_names_are_clear(workdir: Path) -> None:
    invoke("migrate")
    missing = runner.invoke(app, ["exceptions", "retry", "01NOPE"])
    assert missing.exit_code == 1 and "no exception 01NOPE" in missing.output
    (workdir / "concord.toml").write_text('[concord]\nflows = ["nonesuch"]\n')
    unknown = runner.invoke(app, ["run", "--until-idle"])
    assert unknown.exit_code == 2 and "unknown flows ['nonesuch']" in unknown.output


def test_demo_prints_a_summary(tmp_path: Path) -> None:
    output = invoke(
        "demo", "--engine", "--changes", "300", "--records", "60", "--database", f"sqlite:///{tmp_path}/d.db"
    )
    assert "Summary" in output and "(0 duplicated)" in output
    assert "target_rejected" in output and "credit hold" in output
