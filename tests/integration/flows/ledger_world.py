"""What the suites of the ledger flows (time and expenses to ERP, billing, revenue, utilization) set up alike
over the emulators of ``provisioning_world``: a flow's configuration file that settles quickly, NetSuite's
accounting periods, customer, job and employee, a Kantata project with time logged and approved on a
timesheet, and ``LedgerWorld``, which runs Concord until it is idle and shows what it left."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from provisioning_world import World, run

from concord.bootstrap import Concord
from concord.domain.ids import new_id
from concord.domain.messages import CommandEnvelope
from concord.domain.tracing import TraceContext
from concord.engine.ports import Succeeded

USER = "1"
"""The Kantata administrator the emulator's API acts as: staffed, logs and approves the time."""
SETTLE = "settle: {quiet_s: 0.05, max_wait_s: 0.5}"
MAY_TO_JULY_2026 = (
    ("May 2026", "2026-05-01", "2026-05-31", True),
    ("Jun 2026", "2026-06-01", "2026-06-30", False),
    ("Jul 2026", "2026-07-01", "2026-07-31", False),
)
"""NetSuite's calendar of the posting suites: May closed, June and July open."""


def config_file(tmp_path: Path, name: str, **settings: str) -> Path:
    """The flow configuration file ``<name>.yaml``: ``settings`` (values as YAML) and a quick settle."""
    path = tmp_path / f"{name}.yaml"
    lines = [f"{key}: {value}" for key, value in settings.items()]
    path.write_text("\n".join([*lines, SETTLE, ""]))
    return path


def seed_periods(world: World, periods: Iterable[tuple[str, str, str, bool]]) -> dict[str, str]:
    """NetSuite's accounting periods (name, first day, last day, closed); name → internal id."""
    return {
        name: world.ns_seed(
            "accountingPeriod", {"periodName": name, "startDate": start, "endDate": end, "closed": closed}
        )
        for name, start, end, closed in periods
    }


def seed_customer(world: World, **fields: Any) -> str:
    """Globex, a customer of the US subsidiary in NetSuite."""
    return world.ns_seed(
        "customer", {"companyName": "Globex", "subsidiary": {"id": world.ids["subsidiary"]}, **fields}
    )


def seed_job(world: World, customer: str, *, name: str, start: str, status: str = "2", **fields: Any) -> str:
    """A NetSuite project (job) of ``customer`` in the US subsidiary, in dollars."""
    job = {
        "companyName": name,
        "parent": {"id": customer},
        "subsidiary": {"id": world.ids["subsidiary"]},
        "entityStatus": {"id": status},
        "startDate": start,
        "currency": {"id": "1"},
    }
    return world.ns_seed("job", {**job, **fields})


def seed_employee(world: World) -> str:
    """Ada Byron, consultant E-1001 of the US subsidiary in NetSuite, at a labour cost of 85 an hour."""
    return world.ns_seed(
        "employee",
        {
            "firstName": "Ada",
            "lastName": "Byron",
            "externalId": "E-1001",
            "subsidiary": {"id": world.ids["subsidiary"]},
            "title": "Consultant",
            "laborCost": 85,
            "custentity_cost_center": "CC-US-DELIVERY",
        },
    )


def workspace(world: World, *, start: str, title: str = "Globex ERP rollout", **fields: Any) -> str:
    """A Kantata project (workspace) with user 1 on it; its id."""
    created = {"title": title, "creator_role": "maven", "start_date": start, **fields}
    body = world.kantata_api("POST", "workspaces.json", {"workspace": created})
    workspace_id = str(body["results"][0]["id"])
    participation = {"workspace_id": workspace_id, "user_id": 1, "role": "maven"}
    world.kantata_api("POST", "participations.json", {"participation": participation})
    return workspace_id


def log_time(
    world: World,
    workspace_id: str,
    days: Iterable[str],
    *,
    approve: bool = True,
    notes: bool = True,
    **fields: Any,
) -> list[str]:
    """Time logged on each of ``days`` (one entry a day, with ``fields``) and approved on one timesheet
    (or left a draft); the Kantata entry ids."""
    entries: list[dict[str, Any]] = []
    for day in days:
        entries.append({"workspace_id": workspace_id, "date_performed": day, **fields})
        if notes:
            entries[-1]["notes"] = f"work on {day}"
    body = world.kantata_api("POST", "time_entries.json", {"time_entries": entries})
    ids = [str(ref["id"]) for ref in body["results"]]
    if approve:
        submission = {"workspace_id": workspace_id, "title": "Week", "line_item_ids": ids}
        answer = world.kantata_api("POST", "timesheet_submissions.json", {"timesheet_submission": submission})
        world.kantata_api(
            "PUT",
            f"timesheet_submissions/{answer['results'][0]['id']}/approve.json",
            {"resolution": {"description": "ok"}},
        )
    return ids


class LedgerWorld:
    """A flow's suite over the emulators: Concord built from configuration (``concord``, set up by the
    suite), run until it is idle, and what it left in NetSuite and among its exceptions."""

    concord: Concord

    def __init__(self, world: World) -> None:
        self.world = world

    def run(self) -> None:
        run(self.concord.worker.run(until_idle=True))

    def exceptions(self, status: str = "open") -> list[dict[str, Any]]:
        with self.concord.store.transaction() as tx:
            return [e for e in tx.exceptions.list(limit=1000) if e["status"] == status]

    def ns_list(self, record_type: str) -> list[dict[str, Any]]:
        """NetSuite's records of ``record_type``, oldest first."""
        return sorted(self.world.ns_records(record_type), key=lambda r: int(r["id"]))

    def link_consultant(self, workspace_id: str, job: str, employee: str, customer: str) -> tuple[str, str]:
        """The project (Kantata workspace, NetSuite job), user 1 as the NetSuite employee and the customer,
        linked in Concord's cross-reference; the project's and the consultant's global ids."""
        xref = self.concord.xref
        assert xref is not None
        project, resource = new_id(), new_id()
        xref.link(project, "kantata", "Project", workspace_id)
        xref.link(project, "netsuite", "Project", job)
        xref.link(resource, "kantata", "Resource", USER)
        xref.link(resource, "netsuite", "Resource", employee)
        xref.link(new_id(), "netsuite", "Customer", customer)
        return project, resource

    def write(self, *records: tuple[str, dict[str, Any]], traceparent: str | None = None) -> None:
        """Upsert canonical records into NetSuite through Concord's connector (as the flows write them), in
        one call."""
        commands = [
            CommandEnvelope(
                command_id=new_id(),
                idempotency_key=new_id(),
                target="netsuite",
                action="upsert",
                object_type=object_type,
                payload=payload,
                traceparent=traceparent or TraceContext.new().traceparent,
            )
            for object_type, payload in records
        ]
        outcomes = run(self.concord.connectors["netsuite"].execute(commands))
        assert all(isinstance(outcome, Succeeded) for outcome in outcomes), outcomes
