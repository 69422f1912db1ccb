"""``concord sandbox``: up --detach / status / down as processes, the faults CLI, seeding from the CLI.

The sandbox runs in a background process on free ports; the commands that only talk to it run in this
process through typer's CliRunner.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from concord.cli.sandbox_cmd import sandbox_app
from concord.sandbox.launch import stop
from concord.sandbox.launch.state import process_alive

pytestmark = pytest.mark.slow

runner = CliRunner()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``concord sandbox <args>`` in a child process."""
    command = [sys.executable, "-m", "concord.cli.sandbox_cmd", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def invoke(*args: str) -> Any:
    """``concord sandbox <args>`` in this process."""
    return runner.invoke(sandbox_app, list(args))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("cli") / ".sandbox"
    started = run_cli("up", "--detach", "--data-dir", str(folder), "--port-base", "0")
    assert started.returncode == 0, started.stdout + started.stderr
    yield folder
    stop(folder)


def status(folder: Path) -> dict[str, Any]:
    result = invoke("status", "--json", "--data-dir", str(folder))
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.stdout)
    return view


def token(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    value: str = response.json()["access_token"]
    return value


def test_status_json_gives_each_emulator_what_a_client_needs(data_dir: Path) -> None:
    view = status(data_dir)
    assert view["running"] is True and process_alive(view["pid"])
    sf, kt, ns = (view["emulators"][name] for name in ("salesforce", "kantata", "netsuite"))
    assert all(info["healthy"] is True for info in (sf, kt, ns))
    now = int(time.time())
    with httpx.Client(timeout=10.0) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": sf["client_id"],
            "client_secret": sf["client_secret"],
        }
        token(http.post(sf["token_url"], data=form))
        claims = {"iss": sf["client_id"], "sub": sf["username"], "aud": sf["base_url"], "exp": now + 300}
        key = Path(sf["jwt_private_key_path"]).read_bytes()
        assertion = jwt.encode(claims, key, algorithm="RS256")
        grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
        sf_token = token(http.post(sf["token_url"], data=grant))
        limits = http.get(sf["api_url"] + "/limits", headers={"Authorization": f"Bearer {sf_token}"})
        assert limits.status_code == 200

        form = {
            "grant_type": "client_credentials",
            "client_id": kt["client_id"],
            "client_secret": kt["client_secret"],
        }
        kt_token = token(http.post(kt["token_url"], data=form))
        users = http.get(kt["api_url"] + "/users.json", headers={"Authorization": f"Bearer {kt_token}"})
        assert users.status_code == 200

        claims = {
            "iss": ns["client_id"],
            "scope": ["rest_webservices"],
            "aud": ns["token_url"],
            "iat": now,
            "exp": now + 300,
        }
        key = Path(ns["private_key_path"]).read_bytes()
        assertion = jwt.encode(claims, key, algorithm="ES256", headers={"kid": ns["certificate_id"]})
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
        ns_token = token(http.post(ns["token_url"], data=form))
        listing = http.get(ns["api_url"] + "/subsidiary", headers={"Authorization": f"Bearer {ns_token}"})
        assert listing.status_code == 200
    shown = invoke("status", "--data-dir", str(data_dir))
    assert shown.exit_code == 0 and sf["base_url"] in shown.stdout and "PRIVATE KEY" not in shown.stdout


def test_a_fault_added_from_the_cli_is_applied_by_the_emulator(data_dir: Path) -> None:
    kt = status(data_dir)["emulators"]["kantata"]
    with httpx.Client(timeout=10.0) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": kt["client_id"],
            "client_secret": kt["client_secret"],
        }
        headers = {"Authorization": f"Bearer {token(http.post(kt['token_url'], data=form))}"}
        added = invoke(
            "faults",
            "add",
            "--emulator",
            "kantata",
            "--endpoint",
            "GET /api/v1/users*",
            "--error-rate",
            "1",
            "--error-status",
            "502",
            "--data-dir",
            str(data_dir),
        )
        assert added.exit_code == 0, added.output
        assert "kantata: added rule" in added.stdout
        assert http.get(kt["api_url"] + "/users.json", headers=headers).status_code == 502
        assert http.get(kt["api_url"] + "/workspaces.json", headers=headers).status_code == 200
        listed = json.loads(invoke("faults", "list", "--json", "--data-dir", str(data_dir)).stdout)
        assert listed["salesforce"] == [] and listed["netsuite"] == []
        (rule,) = listed["kantata"]
        assert rule["endpoint"] == "GET /api/v1/users*" and rule["stats"]["affected"] == 1
        cleared = invoke("faults", "clear", "--emulator", "kantata", "--data-dir", str(data_dir))
        assert cleared.exit_code == 0
        assert http.get(kt["api_url"] + "/users.json", headers=headers).status_code == 200


def test_the_faults_cli_refuses_bad_rules_with_a_reason(data_dir: Path) -> None:
    bad_glob = invoke(
        "faults", "add", "--endpoint", "GET users", "--error-rate", "0.5", "--data-dir", str(data_dir)
    )
    assert bad_glob.exit_code == 2 and "must start with '/'" in bad_glob.stderr
    nothing = invoke("faults", "add", "--endpoint", "/x", "--data-dir", str(data_dir))
    assert nothing.exit_code == 2 and "at least one effect" in nothing.stderr
    unknown = invoke("faults", "list", "--emulator", "hubspot", "--data-dir", str(data_dir))
    assert unknown.exit_code == 2


def test_the_faults_cli_switches_the_profile(data_dir: Path) -> None:
    ns = status(data_dir)["emulators"]["netsuite"]
    switched = invoke("faults", "profile", "realistic", "--emulator", "netsuite", "--data-dir", str(data_dir))
    assert switched.exit_code == 0, switched.output
    assert httpx.get(ns["admin_url"] + "/profile").json()["mode"] == "realistic"
    back = invoke("faults", "add", "--profile", "instant", "-e", "netsuite", "--data-dir", str(data_dir))
    assert back.exit_code == 0, back.output
    assert httpx.get(ns["admin_url"] + "/profile").json()["mode"] == "instant"


def test_seed_loads_a_small_firm_and_reports_it(data_dir: Path) -> None:
    result = invoke(
        "seed",
        "--firm",
        "small",
        "--seed",
        "5",
        "--as-of",
        "2026-03-18",
        "--json",
        "--data-dir",
        str(data_dir),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["firm"] == "small" and summary["seed"] == 5 and summary["as_of"] == "2026-03-18"
    assert summary["loaded"]["salesforce"]["Account"] == summary["generated"]["accounts"] == 30
    assert summary["loaded"]["kantata"]["TimeEntry"] == summary["generated"]["time_entries"]
    assert summary["loaded"]["netsuite"]["employee"] == 40
    assert len(summary["dirty_cases"]) == 6 and all(case["id"] for case in summary["dirty_cases"])
    assert json.loads((data_dir / "firm.json").read_text()) == summary
    again = json.loads(
        invoke("seed", "--seed", "5", "--as-of", "2026-03-18", "--json", "--data-dir", str(data_dir)).stdout
    )
    assert again["fingerprint"] == summary["fingerprint"], "same seed, same firm"


def test_up_detach_status_and_down_as_processes(tmp_path: Path) -> None:
    folder = tmp_path / "sb"
    ports = ["--salesforce-port", "0", "--kantata-port", "0", "--netsuite-port", "0"]
    started = run_cli("up", "--detach", "--data-dir", str(folder), *ports)
    assert started.returncode == 0, started.stdout + started.stderr
    assert "answers" in started.stdout and "PRIVATE KEY" not in started.stdout
    pid = status(folder)["pid"]
    twice = invoke("up", "--detach", "--data-dir", str(folder), *ports)
    assert twice.exit_code == 1 and "already runs" in twice.stderr
    stopped = run_cli("down", "--data-dir", str(folder))
    assert stopped.returncode == 0 and "Sandbox stopped." in stopped.stdout
    assert not process_alive(pid)
    after = invoke("status", "--json", "--data-dir", str(folder))
    assert after.exit_code == 1 and json.loads(after.stdout)["running"] is False
    assert not (folder / "sandbox.json").exists() and (folder / "credentials.json").exists()
    assert "No sandbox runs" in invoke("down", "--data-dir", str(folder)).stdout
