"""An empty sandbox: the simulator paces itself at a finite speed, does nothing harmful where there is no
firm, and the ``simulate`` command finds the sandbox from a status file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import typer
from sim_support import Readers, Sandbox, start_sandbox
from typer.testing import CliRunner

from concord.sandbox.simulator import run_simulation
from concord.sandbox.simulator.cli import simulate_command

MONDAY = date(2026, 3, 2)
WORKDAY_SPAN_S = 10.5 * 3600  # 08:00 to 18:30


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("empty"))
    yield sandbox
    sandbox.stop()


@pytest.fixture
def status_file(empty: Sandbox, tmp_path: Path) -> Path:
    path = tmp_path / "status.json"
    path.write_text(json.dumps({"running": True, "emulators": empty.access.connection_info()}))
    return path


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(simulate_command)
    return app


def test_a_finite_speed_paces_the_working_day(empty: Sandbox) -> None:
    speed = WORKDAY_SPAN_S / 1.2
    report = run_simulation(empty.targets, days=1, speed=speed, seed=5, start=MONDAY)
    assert 1.1 <= report.elapsed_s < 15
    assert [day.day for day in report.days] == [MONDAY]
    assert not report.totals, "nothing to do in a sandbox without a firm, and nothing refused"
    readers = Readers(empty)
    try:
        for clock in readers.clocks():
            assert datetime.fromisoformat(clock["now"]).date() == date(2026, 3, 3)
            assert clock["frozen"] is False
    finally:
        readers.close()


def test_a_negative_speed_or_day_count_is_refused(empty: Sandbox) -> None:
    with pytest.raises(ValueError, match="days"):
        run_simulation(empty.targets, days=-1)
    with pytest.raises(ValueError, match="speed"):
        run_simulation(empty.targets, days=1, speed=-2.0, start=MONDAY)


def test_the_command_simulates_from_a_status_file_and_prints_json(status_file: Path) -> None:
    args = [
        "--status-file",
        str(status_file),
        "--days",
        "2",
        "--start",
        "2026-03-07",
        "--seed",
        "9",
        "--json",
    ]
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["seed"] == 9 and report["start"] == "2026-03-07"
    assert [day["day"] for day in report["days"]] == ["2026-03-07", "2026-03-08"]


def test_the_command_prints_a_summary(status_file: Path) -> None:
    result = CliRunner().invoke(
        cli(), ["--status-file", str(status_file), "--days", "1", "--start", "2026-03-08"]
    )
    assert result.exit_code == 0, result.output
    assert "Simulated 1 day(s), 2026-03-08 to 2026-03-08, seed 1" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("not json", "not JSON"),
        ('{"salesforce": {"base_url": "http://127.0.0.1:9"}}', "no kantata, netsuite entry"),
    ],
)
def test_the_command_explains_a_sandbox_it_cannot_use(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "status.json"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(cli(), ["--status-file", str(path), "--days", "1"])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_the_command_refuses_a_malformed_start_date(status_file: Path) -> None:
    result = CliRunner().invoke(cli(), ["--status-file", str(status_file), "--start", "3/7/2026"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_the_command_reports_a_sandbox_that_refuses_the_credentials(empty: Sandbox, tmp_path: Path) -> None:
    info = empty.access.connection_info()
    info["kantata"]["client_secret"] = "wrong"
    path = tmp_path / "status.json"
    path.write_text(json.dumps(info))
    result = CliRunner().invoke(cli(), ["--status-file", str(path), "--days", "1", "--start", "2026-03-02"])
    assert result.exit_code == 1
    assert "kantata refused a token: 401" in " ".join(result.output.split())
