"""Rate cards feeding time entry rates, expenses, custom field values, and data surviving a restart."""

from __future__ import annotations

from pathlib import Path

import httpx
from kantata_support import CLIENT_ID, CLIENT_SECRET, Kantata, token

from concord.sandbox.core import start_in_thread
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.kantata import create_app


def test_time_entries_take_their_bill_rate_from_the_projects_rate_card(kantata: Kantata) -> None:
    consultant = kantata.create("roles", "role", name="Senior Consultant")
    card = kantata.create("rate_cards", "rate_card", title="Standard 2026", currency="USD")
    version = kantata.create(
        "rate_card_versions", "rate_card_version", rate_card_id=card["id"], default_rate=9000
    )
    kantata.create(
        "rate_card_roles",
        "rate_card_role",
        rate_card_version_id=version["id"],
        role_id=consultant["id"],
        rate=17500,
    )
    workspace_id = kantata.workspace(rate_card_id=card["id"])
    [with_role] = kantata.time_entries(workspace_id, 1, role_id=consultant["id"])
    [without_role] = kantata.time_entries(workspace_id, 1)
    [explicit] = kantata.time_entries(workspace_id, 1, rate_in_cents=20000)
    rates = kantata.ok("GET", "time_entries.json", params={"only": f"{with_role},{without_role},{explicit}"})
    assert {rid: rates["time_entries"][rid]["rate_in_cents"] for rid in rates["time_entries"]} == {
        with_role: 17500,
        without_role: 9000,
        explicit: 20000,
    }


def test_expenses_and_custom_field_values(kantata: Kantata) -> None:
    workspace_id = kantata.workspace(currency="GBP")
    expense = kantata.create(
        "expenses",
        "expense",
        workspace_id=workspace_id,
        date="2026-06-03",
        category="Travel",
        amount_in_cents=12345,
        billable=False,
        notes="Train to client site",
    )
    assert (expense["is_billable"], expense["currency"], expense["user_id"]) == (False, "GBP", "1")
    field = kantata.create("custom_fields", "custom_field", name="SOW number", subject_type="Workspace")
    value = kantata.create(
        "custom_field_values",
        "custom_field_value",
        subject_type="Workspace",
        subject_id=workspace_id,
        custom_field_id=field["id"],
        value="SOW-0042",
    )
    assert (value["custom_field_name"], value["display_value"]) == ("SOW number", "SOW-0042")
    projects = kantata.ok("GET", "workspaces.json", params={"include": "custom_field_values"})
    assert projects["workspaces"][workspace_id]["custom_field_value_ids"] == [value["id"]]


def test_records_and_events_survive_a_restart_with_a_data_dir(tmp_path: Path) -> None:
    settings = EmulatorSettings(name="kantata", data_dir=tmp_path, credentials={CLIENT_ID: CLIENT_SECRET})
    with start_in_thread(create_app(settings)) as server, httpx.Client(base_url=server.base_url) as client:
        client.headers["Authorization"] = f"Bearer {token(client)}"
        made = client.post("/api/v1/roles.json", json={"role": {"name": "Architect"}})
        assert made.status_code == 200
    with start_in_thread(create_app(settings)) as server, httpx.Client(base_url=server.base_url) as client:
        client.headers["Authorization"] = f"Bearer {token(client)}"
        roles = client.get("/api/v1/roles.json").json()
        client.post("/api/v1/roles.json", json={"role": {"name": "Analyst"}})
        events = client.get("/api/v1/subscribed_events.json", params={"order": "created_at:asc"}).json()
    assert [role["name"] for role in roles["roles"].values()] == ["Architect"]
    assert [ref["id"] for ref in events["results"]] == ["1", "2"]
    assert [events["subscribed_events"][ref["id"]]["event_type"] for ref in events["results"]] == [
        "role:created",
        "role:created",
    ]
