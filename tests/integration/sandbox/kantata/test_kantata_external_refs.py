"""External references: nested writes, create_or_update, and finding records by another system's id."""

from __future__ import annotations

from kantata_support import API, Kantata

SF = {"service_name": "salesforce", "service_model": "Opportunity"}


def test_find_a_project_by_its_salesforce_id(kantata: Kantata) -> None:
    wanted = kantata.workspace(
        "Acme", external_reference={**SF, "service_model_ref": "006A", "status": "successful"}
    )
    kantata.workspace("Globex", external_reference={**SF, "service_model_ref": "006B"})
    kantata.workspace("Initech")
    found = kantata.ok(
        "GET",
        "workspaces.json",
        params={
            "external_reference_service_name": "salesforce",
            "external_reference_service_model_refs": "006A,006Z",
            "include": "external_references",
        },
    )
    assert [ref["id"] for ref in found["results"]] == [wanted]
    [reference] = found["external_references"].values()
    assert reference["subject_type"] == "Workspace" and reference["subject_id"] == wanted
    assert (reference["service_model_ref"], reference["status"]) == ("006A", "successful")
    assert found["workspaces"][wanted]["external_reference_ids"] == [reference["id"]]
    assert kantata.ok("GET", "workspaces.json", params={"has_external_references": "false"})["count"] == 1
    none = kantata.ok("GET", "workspaces.json", params={"external_reference_service_model_ref": "nope"})
    assert none["count"] == 0


def test_one_reference_per_service_is_updated_in_place(kantata: Kantata) -> None:
    workspace_id = kantata.workspace(
        external_reference={**SF, "service_model_ref": "006A", "status": "pending"}
    )
    kantata.ok(
        "PUT",
        f"workspaces/{workspace_id}.json",
        json={
            "workspace": {"external_reference": {**SF, "service_model_ref": "006A", "status": "successful"}}
        },
    )
    upserted = kantata.ok(
        "POST",
        "external_references/create_or_update.json",
        json={
            "external_reference": {
                "subject_type": "Workspace",
                "subject_id": int(workspace_id),
                "service_name": "netsuite",
                "service_model": "job",
                "service_model_ref": "JOB-77",
                "external_status": "open",
            }
        },
    )
    assert next(iter(upserted["external_references"].values()))["service_name"] == "netsuite"
    listed = kantata.ok(
        "GET",
        "external_references.json",
        params={"subject_type": "Workspace", "include": "subject", "order": "created_at:asc"},
    )
    refs = [listed["external_references"][ref["id"]] for ref in listed["results"]]
    assert [(r["service_name"], r["status"]) for r in refs] == [
        ("salesforce", "successful"),
        ("netsuite", None),
    ]
    assert listed["workspaces"][workspace_id]["id"] == workspace_id
    assert kantata.get("external_references.json").status_code == 422  # subject_type is required


def test_time_entries_carry_references_and_are_found_by_them(kantata: Kantata) -> None:
    workspace_id = kantata.workspace()
    entry = {"workspace_id": workspace_id, "date_performed": "2026-06-02", "time_in_minutes": 90}
    created = kantata.ok(
        "POST",
        "time_entries.json",
        json={
            "time_entries": [
                {
                    **entry,
                    "external_reference": {
                        "service_name": "psa-sync",
                        "service_model": "timeBill",
                        "service_model_ref": f"TB-{n}",
                    },
                }
                for n in range(3)
            ]
        },
    )
    ids = [ref["id"] for ref in created["results"]]
    found = kantata.ok(
        "GET", "time_entries.json", params={"external_reference_service_model_refs": "TB-1,TB-2"}
    )
    assert sorted(ref["id"] for ref in found["results"]) == ids[1:]
    missing_parts = kantata.client.post(
        f"{API}/time_entries.json",
        json={"time_entry": {**entry, "external_reference": {"service_name": "x"}}},
    )
    assert missing_parts.status_code == 422
    assert {e["field"] for e in missing_parts.json()["errors"]} == {
        "external_reference.service_model",
        "external_reference.service_model_ref",
    }
    kantata.client.delete(f"{API}/time_entries/{ids[0]}.json")
    remaining = kantata.ok("GET", "external_references.json", params={"subject_type": "TimeEntry"})
    assert remaining["count"] == 2
