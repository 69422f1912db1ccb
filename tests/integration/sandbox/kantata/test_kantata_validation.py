"""Validation and request errors in Kantata's ``{"errors": [...]}`` envelope."""

from __future__ import annotations

from kantata_support import API, Kantata


def test_project_without_title_or_role_gets_kantatas_own_messages(kantata: Kantata) -> None:
    response = kantata.client.post(f"{API}/workspaces.json", json={"workspace": {"description": "x"}})
    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {"type": "validation", "message": "Please give your project a title", "field": "title"},
            {
                "type": "validation",
                "message": "Please select a role for this project",
                "field": "creator_role",
            },
        ]
    }


def test_time_entry_attribute_errors_name_their_fields(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    response = kantata.client.post(
        f"{API}/time_entries.json",
        json={
            "time_entry": {
                "workspace_id": workspace_id,
                "date_performed": "02/06/2026",
                "time_in_minutes": "ten",
            }
        },
    )
    assert response.status_code == 422
    fields = {error["field"]: error for error in response.json()["errors"]}
    assert set(fields) == {"date_performed", "time_in_minutes"}
    assert all(error["type"] == "validation" for error in fields.values())
    missing = kantata.client.post(f"{API}/time_entries.json", json={"time_entry": {"workspace_id": "424242"}})
    messages = {error["field"]: error["message"] for error in missing.json()["errors"]}
    assert messages == {
        "date_performed": "Date performed can't be blank",
        "time_in_minutes": "Time in minutes can't be blank",
        "workspace_id": "Workspace must exist",
    }


def test_bulk_create_is_all_or_nothing_with_indexed_fields(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    good = {"workspace_id": workspace_id, "date_performed": "2026-06-02", "time_in_minutes": 60}
    response = kantata.client.post(
        f"{API}/time_entries.json", json={"time_entries": [good, {**good, "time_in_minutes": 0}, good]}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "type": "validation",
            "message": "Time in minutes must be greater than 0",
            "field": "time_entries[1].time_in_minutes",
        }
    ]
    assert kantata.ok("GET", "time_entries.json")["count"] == 0
    too_many = kantata.client.post(f"{API}/time_entries.json", json={"time_entries": [good] * 101})
    assert too_many.status_code == 422


def test_malformed_and_unwrapped_bodies_are_400_system_errors(kantata: Kantata) -> None:
    broken = kantata.client.post(
        f"{API}/workspaces.json", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    unwrapped = kantata.client.post(f"{API}/workspaces.json", json={"title": "No wrapper"})
    for response in (broken, unwrapped):
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["type"] == "system" and error["message"]


def test_time_cannot_be_logged_by_a_non_participant_or_against_another_projects_task(
    kantata: Kantata,
) -> None:
    mine = kantata.workspace("Mine")
    other = kantata.workspace("Other")
    foreign_task = kantata.create("stories", "story", workspace_id=other, title="Theirs", story_type="task")
    outsider = kantata.create("users", "user", full_name="Out Sider", email_address="out@example.com")
    entry = {"workspace_id": mine, "date_performed": "2026-06-02", "time_in_minutes": 30}
    wrong_task = kantata.client.post(
        f"{API}/time_entries.json", json={"time_entry": {**entry, "story_id": foreign_task["id"]}}
    )
    wrong_user = kantata.client.post(
        f"{API}/time_entries.json", json={"time_entry": {**entry, "user_id": outsider["id"]}}
    )
    assert [e["field"] for e in wrong_task.json()["errors"]] == ["story_id"]
    assert [e["field"] for e in wrong_user.json()["errors"]] == ["user_id"]
