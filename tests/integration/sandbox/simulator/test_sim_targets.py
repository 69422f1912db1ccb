"""Reading the sandbox to simulate in from ``concord sandbox status --json``-shaped documents, and the
business calendar the simulated firm works by."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from concord.sandbox.simulator import SandboxTargets, TargetsError
from concord.sandbox.simulator.calendar import (
    first_workday_of_week_in,
    is_month_end,
    month_last_workday,
    next_workday,
    workday_of_month,
)

STATUS: dict[str, dict[str, Any]] = {
    "salesforce": {
        "base_url": "http://127.0.0.1:8701",
        "token_url": "http://127.0.0.1:8701/services/oauth2/token",
        "api_url": "http://127.0.0.1:8701/services/data/v59.0",
        "client_id": "3MVG9sandbox",
        "client_secret": "sf-secret",
        "grants": ["client_credentials"],
    },
    "kantata": {"base_url": "http://127.0.0.1:8702", "client_id": "kt", "client_secret": "kt-secret"},
    "netsuite": {
        "base_url": "http://127.0.0.1:8703",
        "account_id": "1234567",
        "client_id": "ns",
        "certificate_id": "cert",
        "private_key_path": "/keys/netsuite-m2m.key.pem",
        "jwt_algorithm": "ES256",
    },
}


def test_targets_read_the_status_json_with_or_without_its_wrapper() -> None:
    flat = SandboxTargets.from_json(json.dumps(STATUS))
    wrapped = SandboxTargets.from_json({"running": True, "emulators": STATUS})
    assert flat == wrapped
    assert flat.salesforce.token_endpoint() == "http://127.0.0.1:8701/services/oauth2/token"
    assert flat.kantata.token_endpoint() == "http://127.0.0.1:8702/oauth/token"
    assert flat.netsuite.token_endpoint() == "http://127.0.0.1:8703/services/rest/auth/oauth2/v1/token"
    assert flat.netsuite.private_key_path == Path("/keys/netsuite-m2m.key.pem")
    assert flat.kantata.admin_url() == "http://127.0.0.1:8702/__sandbox"
    assert flat.salesforce.api_version == "v59.0"  # the version the status's api_url names
    without_url = {**STATUS, "salesforce": {k: v for k, v in STATUS["salesforce"].items() if k != "api_url"}}
    assert SandboxTargets.from_json(without_url).salesforce.api_version == "v60.0"


def test_targets_never_show_their_secrets() -> None:
    targets = SandboxTargets.from_json(STATUS)
    assert "sf-secret" not in repr(targets) and "kt-secret" not in str(targets)
    assert targets.salesforce.client_secret.get_secret_value() == "sf-secret"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"running": False, "data_dir": "/tmp/x"}), "not running"),
        (json.dumps({"kantata": STATUS["kantata"]}), "no salesforce, netsuite entry"),
        (json.dumps({**STATUS, "kantata": {"base_url": "http://x"}}), "'kantata.client_id'"),
    ],
)
def test_unusable_targets_are_explained(document: str, message: str) -> None:
    with pytest.raises(TargetsError, match=message):
        SandboxTargets.from_json(document)


def test_a_data_folder_without_a_running_sandbox_is_explained(tmp_path: Path) -> None:
    with pytest.raises(TargetsError, match="concord sandbox up"):
        SandboxTargets.from_data_dir(tmp_path)


def test_the_business_calendar() -> None:
    assert month_last_workday(date(2026, 5, 10)) == date(2026, 5, 29)  # the 31st is a Sunday
    assert is_month_end(date(2026, 3, 31)) and not is_month_end(date(2026, 3, 30))
    assert next_workday(date(2026, 4, 3)) == date(2026, 4, 6)
    assert next_workday(date(2026, 4, 1), 3) == date(2026, 4, 6)
    assert [workday_of_month(date(2026, 4, d)) for d in (1, 2, 3, 4, 6)] == [1, 2, 3, 0, 4]
    # A simulation starting on a Thursday: that Thursday opens its week, then each Monday does.
    start = date(2026, 3, 26)
    assert first_workday_of_week_in(start, start) and not first_workday_of_week_in(date(2026, 3, 27), start)
    assert first_workday_of_week_in(date(2026, 3, 30), start)
    assert not first_workday_of_week_in(date(2026, 3, 29), start)
