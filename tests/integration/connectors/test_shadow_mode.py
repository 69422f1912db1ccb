"""Shadow mode over the emulators: opportunity to project runs to completion with NetSuite (and the CRM's
write-back) shadowed. NetSuite receives no write at all; ``shadow_writes`` holds a create for every record
NetSuite lacks, an update naming the one field that differs for a customer NetSuite holds under another
name, "unchanged" for one it holds as Concord would write it; Kantata, not shadowed, is written as live.
Running again and replaying add no rows. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from concord.bootstrap import Concord
from concord.cli.main import app
from concord.connectors.shadow import ShadowConnector, is_shadow_id, shadow_connectors, shadow_id
from concord.domain.messages import CommandEnvelope
from concord.engine.gates import MemoryKey
from concord.engine.ports import Succeeded, SystemClock
from concord.settings import STARTER_CONFIG, ConfigError, load_settings
from concord.storage.sql.store import SqlStore
from integration.flows.provisioning_world import ACCOUNT, DEAL, Servers, World, run, serve_all, settle

LINE: dict[str, Any] = {
    "Role__c": "Manager",
    "Hours__c": 100,
    "Rate__c": 200,
    "Quantity": 100,
    "UnitPrice": 200,
}
RECORD_WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with serve_all() as running:
        yield running


@pytest.fixture
def world(servers: Servers) -> Iterator[World]:
    with World.fresh(servers) as fresh:
        yield fresh


def won_deal(world: World, name: str) -> tuple[str, str]:
    """A won deal of a new account called ``name``: (account id, opportunity id) in Salesforce."""
    [account] = world.sf_seed("Account", {**ACCOUNT, "Name": name})
    deal_fields = {"Name": f"{name} rollout", "Amount": 100000, "AccountId": account}
    [deal] = world.sf_seed("Opportunity", {**DEAL, **deal_fields})
    world.sf_seed("OpportunityLineItem", {**LINE, "OpportunityId": deal})
    return account, deal


def netsuite_holds(world: World, concord: Concord, account: str, name: str) -> str:
    """A NetSuite customer for the CRM account, keyed by Concord's global id and cross-referenced."""
    assert concord.xref is not None
    gid = concord.xref.ensure("salesforce", "Customer", account)
    body = {"companyName": name, "subsidiary": {"id": world.ids["subsidiary"]}, "currency": {"id": "1"}}
    system_id = world.ns_seed("customer", {**body, "externalId": gid})
    concord.xref.link(gid, "netsuite", "Customer", system_id)
    return gid


def record_writes(world: World) -> list[tuple[str, str]]:
    """Every write NetSuite's record API received: (method, path)."""
    answer = world.admin["netsuite"].get("/__sandbox/requests", params={"path": "/services/rest/record*"})
    assert answer.status_code == 200, answer.text
    return [(r["method"], r["path"]) for r in answer.json()["requests"] if r["method"] in RECORD_WRITES]


def rows(concord: Concord) -> list[dict[str, Any]]:
    with concord.store.transaction() as tx:
        return sorted(tx.shadow.list(limit=1000), key=lambda r: r["seq"])


async def shut(concord: Concord) -> None:
    for connector in concord.connectors.values():
        await connector.aclose()  # type: ignore[attr-defined]
    concord.close()


def test_a_shadowed_flow_writes_nothing_and_records_what_it_would_have_written(
    tmp_path: Path, world: World, store_url: str
) -> None:
    globex_account, globex_deal = won_deal(world, "Globex Corporation")
    initech_account, initech_deal = won_deal(world, "Initech")
    concord = world.engine(tmp_path, database_url=store_url, shadow=["netsuite", "salesforce"])
    assert isinstance(concord.connectors["netsuite"], ShadowConnector)
    assert not isinstance(concord.connectors["kantata"], ShadowConnector)
    globex = netsuite_holds(world, concord, globex_account, "Globex Corp (old)")
    initech = netsuite_holds(world, concord, initech_account, "Initech")

    async def scenario() -> None:
        await settle(concord)
        with concord.store.transaction() as tx:
            assert tx.exceptions.list() == []
            done = tx.instances.list(flow="opportunity_to_project")
            sent = [
                c for i in done for c in tx.outbox.for_instance(i.instance_id) if c["target"] == "netsuite"
            ]
        assert sorted(i.status.value for i in done) == ["completed", "completed"]

        # Nothing reached NetSuite's records or the CRM's deals; Kantata, live, has both projects.
        assert record_writes(world) == []
        assert [c["companyName"] for c in world.ns_records("customer")] == ["Globex Corp (old)", "Initech"]
        assert world.ns_records("job") == [] and world.ns_records("salesOrder") == []
        deals = await world.sf_query("SELECT Id, ERP_Contract_Id__c, PSA_Project_Id__c FROM Opportunity")
        assert {(d["ERP_Contract_Id__c"], d["PSA_Project_Id__c"]) for d in deals} == {(None, None)}
        projects = world.kantata_records("workspaces")
        assert sorted(p["title"] for p in projects) == ["Globex Corporation rollout", "Initech rollout"]

        recorded = rows(concord)
        by_kind = sorted((r["system"], r["object_type"], r["action"]) for r in recorded)
        assert by_kind == [
            ("netsuite", "Contract", "create"),
            ("netsuite", "Contract", "create"),
            ("netsuite", "Customer", "unchanged"),
            ("netsuite", "Customer", "update"),
            ("netsuite", "Project", "create"),
            ("netsuite", "Project", "create"),
            ("salesforce", "Opportunity", "unread"),
            ("salesforce", "Opportunity", "unread"),
        ]
        customers = {r["global_id"]: r for r in recorded if r["object_type"] == "Customer"}
        assert customers[globex]["diff"] == {
            "companyName": {"current": "Globex Corp (old)", "would_write": "Globex Corporation"}
        }
        assert customers[globex]["unread"] == {"isPerson": False}  # the customer mapping does not read it
        assert customers[initech]["diff"] == {}
        assert {r["platform_id"] for r in customers.values()} == {
            c["id"] for c in world.ns_records("customer")
        }
        assert all(r["instance_id"] and r["correlation_id"] for r in recorded)

        # A contract names its customer by NetSuite id, as a live write would.
        contract = next(r for r in recorded if r["object_type"] == "Contract")
        assert contract["platform_id"] is None
        assert contract["diff"]["entity"]["current"] is None
        assert contract["diff"]["entity"]["would_write"] in (
            {"id": r["platform_id"]} for r in customers.values()
        )
        # The CRM write-back would carry the Kantata project's id and the contract's shadow id.
        write_backs = [r for r in recorded if r["system"] == "salesforce"]
        assert {r["platform_id"] for r in write_backs} == {globex_deal, initech_deal}
        contract_ids = {shadow_id(r["global_id"]) for r in recorded if r["object_type"] == "Contract"}
        assert {r["unread"]["ERP_Contract_Id__c"] for r in write_backs} == contract_ids
        assert {r["unread"]["PSA_Project_Id__c"] for r in write_backs} == {str(p["id"]) for p in projects}

        # The flow went on with the ids it was given: NetSuite's for the customers, shadow ids for the rest.
        given = {
            (c["object_type"], c["result"]["shadow"], is_shadow_id(c["result"]["system_id"])) for c in sent
        }
        assert given == {
            ("Customer", "update", False),
            ("Customer", "unchanged", False),
            ("Project", "create", True),
            ("Contract", "create", True),
        }

        # Shadowed writes leave no "written" fingerprint (once live, Concord would skip them as unchanged);
        # Kantata's live writes do.
        project = next(r["global_id"] for r in recorded if r["object_type"] == "Project")
        erp, psa = MemoryKey("netsuite", "Customer", globex), MemoryKey("kantata", "Project", project)
        with concord.store.transaction() as tx:
            memory = tx.memory.get_many([erp, psa])
        assert erp not in memory or memory[erp].written == {}
        assert memory[psa].written

        # A retried command finds its row: the same answer, no second row.
        before = len(recorded)
        customer_command = next(
            c for c in sent if c["object_type"] == "Customer" and c["result"]["shadow"] == "update"
        )
        [again] = await concord.connectors["netsuite"].execute([envelope(customer_command)])
        assert again == Succeeded(customer_command["result"])
        assert len(rows(concord)) == before

        # Running again, and replaying every event, adds no row.
        await settle(concord)
        report = concord.replayer.time_range(datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC), "ops")
        assert report.started == 0
        await settle(concord)
        assert len(rows(concord)) == before
        assert record_writes(world) == []

        # The report: counts by system, object and action; the fields that would change, with examples.
        summary = json.loads(
            cli("shadow", "report", "--database", store_url, "--system", "netsuite", "--json")
        )
        assert {"system": "netsuite", "object_type": "Customer", "action": "update", "count": 1} in summary[
            "counts"
        ]
        assert {c["system"] for c in summary["counts"]} == {"netsuite"}
        [field] = summary["fields"]
        assert (field["system"], field["object_type"], field["field"], field["count"]) == (
            "netsuite",
            "Customer",
            "companyName",
            1,
        )
        assert field["examples"][0]["current"] == "Globex Corp (old)"
        table = cli("shadow", "report", "--database", store_url)
        assert "Writes Concord would make" in table and "Opportunity" in table
        assert "companyName" in table and '"Globex Corp (old)" →' in table and '"Globex Corporation"' in table
        await shut(concord)

    run(scenario())


def test_a_live_system_is_never_given_a_shadow_id(tmp_path: Path, world: World) -> None:
    won_deal(world, "Globex Corporation")
    concord = world.engine(tmp_path, shadow=["netsuite"])

    async def scenario() -> None:
        await settle(concord)
        assert record_writes(world) == []
        # The live CRM cannot be told the id of an ERP contract that exists only in shadow: the write-back
        # is refused as it would be without the contract, and the deal keeps no made-up id.
        [refused] = [e for e in exceptions(concord) if e["status"] == "open"]
        assert "refused step 'write_back'" in refused["message"]
        assert "is not in netsuite yet" in refused["message"]
        deals = await world.sf_query("SELECT ERP_Contract_Id__c, PSA_Project_Id__c FROM Opportunity")
        assert [d["ERP_Contract_Id__c"] for d in deals] == [None]
        assert {r["action"] for r in rows(concord) if r["object_type"] == "Contract"} == {"create"}
        await shut(concord)

    run(scenario())


def test_only_configured_platform_connectors_can_be_shadowed(tmp_path: Path, world: World) -> None:
    with pytest.raises(ConfigError, match=r"shadow names \['nestsuite'\].*configured: kantata, netsuite"):
        world.engine(tmp_path, shadow=["nestsuite"])

    class Plain:
        name = "plain"

    store = SqlStore.open(f"sqlite:///{tmp_path}/plain.db")
    with pytest.raises(ConfigError, match="'plain' cannot be shadowed: only platform connectors"):
        shadow_connectors({"plain": Plain()}, ["plain"], store, SystemClock())  # type: ignore[dict-item]
    store.close()


def exceptions(concord: Concord) -> list[dict[str, Any]]:
    with concord.store.transaction() as tx:
        return tx.exceptions.list()


def envelope(command: dict[str, Any]) -> CommandEnvelope:
    """An outbox command as delivery hands it to a connector."""
    fields = ("command_id", "idempotency_key", "target", "action", "object_type", "payload", "traceparent")
    return CommandEnvelope(*(command[f] for f in fields), attempt=command["attempts"] + 1)


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_shadow_is_read_from_the_configuration_file(tmp_path: Path) -> None:
    path = tmp_path / "concord.toml"
    path.write_text(STARTER_CONFIG.replace('# shadow = ["netsuite"]', 'shadow = ["netsuite"]'))
    assert load_settings(path).shadow == ["netsuite"]
    assert load_settings(tmp_path / "absent.toml").shadow == []
