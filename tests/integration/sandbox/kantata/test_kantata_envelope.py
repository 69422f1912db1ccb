"""The Kantata response envelope: results + id-keyed collections + meta, include, only, 404s."""

from __future__ import annotations

from datetime import datetime

from kantata_support import Kantata


def test_index_answers_the_side_loaded_envelope_with_string_ids(kantata: Kantata) -> None:
    workspace_id = kantata.workspace(price="12500.50", currency="EUR", start_date="2026-06-01")
    body = kantata.ok("GET", "workspaces.json")
    assert set(body) == {"count", "results", "workspaces", "meta"}
    assert body["count"] == 1
    assert body["results"] == [{"key": "workspaces", "id": workspace_id}]
    assert body["meta"] == {"count": 1, "page_count": 1, "page_number": 1, "page_size": 20}
    workspace = body["workspaces"][workspace_id]
    assert workspace["id"] == workspace_id and isinstance(workspace_id, str)
    assert (workspace["price_in_cents"], workspace["price"], workspace["currency"]) == (
        1250050,
        "12500.50",
        "EUR",
    )
    assert workspace["status"] == {"color": "light_green", "key": 200, "message": "Not Started"}
    assert workspace["creator_id"] == "1"
    for stamp in (workspace["created_at"], workspace["updated_at"]):
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).tzinfo is not None


def test_include_side_loads_associations_into_their_own_keys(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    phase = kantata.create(
        "stories", "story", workspace_id=workspace_id, title="Phase 1", story_type="milestone"
    )
    task = kantata.create(
        "stories",
        "story",
        workspace_id=workspace_id,
        title="Design",
        story_type="task",
        parent_id=phase["id"],
    )
    entry_ids = kantata.time_entries(workspace_id, 2, story_id=task["id"])

    plain = kantata.ok("GET", "time_entries.json")
    assert set(plain) == {"count", "results", "time_entries", "meta"}
    assert "active_submission_id" not in plain["time_entries"][entry_ids[0]]

    body = kantata.ok("GET", "time_entries.json", params={"include": "workspace,user,story,nonsense"})
    assert set(body) == {"count", "results", "time_entries", "workspaces", "users", "stories", "meta"}
    assert list(body["workspaces"]) == [workspace_id]
    assert list(body["users"]) == ["1"]
    assert list(body["stories"]) == [task["id"]]
    assert all(entry["story_id"] == task["id"] for entry in body["time_entries"].values())

    projects = kantata.ok("GET", "workspaces.json", params={"include": "participants"})
    assert projects["workspaces"][workspace_id]["participant_ids"] == ["1"]
    assert list(projects["users"]) == ["1"]

    stories = kantata.ok("GET", "stories.json", params={"only": phase["id"], "include": "sub_stories"})
    assert stories["results"] == [{"key": "stories", "id": phase["id"]}]
    assert stories["stories"][phase["id"]]["sub_story_ids"] == [task["id"]]
    # Side-loaded sub-stories share the top-level key: iterate ``results``, not the map.
    assert set(stories["stories"]) == {phase["id"], task["id"]}


def test_only_fetches_by_id_without_404_while_show_404s(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    body = kantata.ok("GET", "workspaces.json", params={"only": f"{workspace_id},999,abc"})
    assert body["results"] == [{"key": "workspaces", "id": workspace_id}]
    assert body["count"] == 1
    missing = kantata.get("workspaces/999.json")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["type"] == "system"


def test_default_filters_hide_archived_projects_from_index_and_show(kantata: Kantata) -> None:
    archived = kantata.workspace("Old project")
    live = kantata.workspace("Live project")
    kantata.ok("PUT", f"workspaces/{archived}.json", json={"workspace": {"archived": True}})
    assert [ref["id"] for ref in kantata.ok("GET", "workspaces.json")["results"]] == [live]
    assert kantata.get(f"workspaces/{archived}.json").status_code == 404
    shown = kantata.ok("GET", f"workspaces/{archived}.json", params={"include_archived": "true"})
    assert shown["workspaces"][archived]["archived"] is True
    every = kantata.ok("GET", "workspaces.json", params={"include_archived": "true"})
    assert every["count"] == 2


def test_rails_style_form_bodies_are_accepted(kantata: Kantata) -> None:
    response = kantata.client.post(
        "/api/v1/workspaces.json",
        content="workspace[title]=Form%20project&workspace[creator_role]=maven&workspace[price_in_cents]=500",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    created = next(iter(response.json()["workspaces"].values()))
    assert (created["title"], created["price_in_cents"], created["price"]) == ("Form project", 500, "5.00")


def test_update_changes_updated_at_only_when_something_changed(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    kantata.admin("PUT", "clock", json={"advance_s": 5})
    first = kantata.ok("GET", f"workspaces/{workspace_id}.json")["workspaces"][workspace_id]
    same = kantata.ok("PUT", f"workspaces/{workspace_id}.json", json={"workspace": {"title": first["title"]}})
    assert same["workspaces"][workspace_id]["updated_at"] == first["updated_at"]
    changed = kantata.ok("PUT", f"workspaces/{workspace_id}.json", json={"workspace": {"status_key": 300}})
    assert changed["workspaces"][workspace_id]["updated_at"] > first["updated_at"]
    assert changed["workspaces"][workspace_id]["status"]["message"] == "In Progress"


def test_money_sent_as_a_json_number_stays_exact(kantata: Kantata) -> None:
    response = kantata.client.post(
        "/api/v1/workspaces.json",
        content=b'{"workspace": {"title": "Exact", "creator_role": "maven", "price": 1234567.89}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    workspace = next(iter(response.json()["workspaces"].values()))
    # int(1234567.89 * 100) is 123456788 in binary floating point; Kantata's cents must be exact.
    assert (workspace["price_in_cents"], workspace["price"]) == (123456789, "1234567.89")
