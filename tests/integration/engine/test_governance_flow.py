"""Authority and echo suppression end to end: two fake systems, one customer, a flow that mirrors it.

The flow propagates every recorded customer change to the other system. What keeps it from spreading
edits the owner never made, and from ping-ponging Concord's own writes between the two, is governance:
the change gate on the way in and the write screen on the way out. Writes are counted in the systems.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from concord.bootstrap import Concord, bootstrap
from concord.domain.messages import CommandSpec, Event
from concord.domain.objects import Customer
from concord.engine.flows import BusinessRef, Flow, Step, StepContext
from concord.engine.recorder import ChangeSchemas
from concord.engine.runtime import Source
from concord.governance import AuthorityGate, EchoScreen, parse_authority
from concord.settings import Settings
from concord.storage.sql.store import SqlStore
from concord.storage.sql.tables import commands, inbox
from support.fake_systems import FakeSystem, new_customer_id, two_systems

MATRIX = """
systems:
  crm: salesforce
  erp: netsuite
objects:
  Customer:
    owner: crm
    fields:
      name: [crm, erp]
      payment_terms: erp
      currency: erp
"""

ACME = {"name": "Acme", "payment_terms": "Net 30", "currency": "USD", "segment": "Enterprise"}
OTHER_SIDE = {"salesforce": "netsuite", "netsuite": "salesforce"}


def _propagate(ctx: StepContext) -> Sequence[CommandSpec]:
    record = ctx.trigger
    return [CommandSpec(OTHER_SIDE[record["source_system"]], "upsert", "Customer", record)]


def customer_sync(name: str = "customer_sync") -> Flow:
    """One instance per recorded version of a customer in a system: upsert it in the other system."""

    def business(event: Event) -> BusinessRef:
        label = f"Customer '{event.payload['name']}'"
        return BusinessRef("Customer", f"Customer:{event.payload['global_id']}", label, {})

    return Flow(
        name=name,
        triggers=frozenset({"CustomerChanged"}),
        steps=(Step("upsert", _propagate),),
        key=lambda event: f"{event.aggregate_key}:{event.payload['source_version']}",
        business=business,
    )


@dataclass
class World:
    concord: Concord
    salesforce: FakeSystem
    netsuite: FakeSystem
    sf_id: str
    ns_id: str

    def settle(self, concord: Concord | None = None) -> None:
        """Detect, decide and deliver until nothing is left (echoes included)."""

        async def run() -> None:
            for _ in range(40):
                if not await (concord or self.concord).worker.step():
                    return
            raise AssertionError("the engine never came to rest: something ping-pongs")

        asyncio.run(run())

    def writes(self) -> tuple[int, int]:
        """(writes to Salesforce, writes to NetSuite)."""
        return len(self.salesforce.writes), len(self.netsuite.writes)

    def authority_exceptions(self) -> list[dict[str, Any]]:
        with self.concord.store.transaction() as tx:
            return tx.exceptions.list(category="authority")

    def inbox_outcomes(self) -> dict[str, int]:
        with self.concord.store.transaction() as tx:
            rows = tx.conn.execute(select(inbox.c.outcome, func.count()).group_by(inbox.c.outcome))
            return {outcome: int(n) for outcome, n in rows}

    def skipped_results(self) -> list[Any]:
        with self.concord.store.transaction() as tx:
            rows = tx.conn.execute(select(commands.c.result).where(commands.c.status == "done"))
            skipped = [r for (r,) in rows if isinstance(r, dict) and "skipped" in r]
        # A skipped write answers as a write does, with the record's global id.
        assert all(r.pop("global_id", None) for r in skipped), "every skipped write names its record"
        return skipped


def engine(
    url: str,
    salesforce: FakeSystem,
    netsuite: FakeSystem,
    *,
    store: SqlStore | None = None,
    flow: Flow | None = None,
) -> Concord:
    matrix = parse_authority(MATRIX, "test matrix")
    schemas = ChangeSchemas()
    schemas.register_model("Customer", Customer)
    return bootstrap(
        Settings(database_url=url, authority=None),
        connectors={"salesforce": salesforce, "netsuite": netsuite},
        flows=[flow or customer_sync()],
        schemas=schemas,
        sources=[Source("salesforce", "Customer"), Source("netsuite", "Customer")],
        store=store,
        rng=random.Random(1),
        log_to_stderr=False,
        gate=AuthorityGate(matrix),
        screen=EchoScreen(matrix),
    )


@pytest.fixture
def world(store_url: str) -> Iterator[World]:
    """Acme, the same in both systems, already seen once by Concord (which wrote nothing)."""
    salesforce, netsuite = two_systems()
    global_id = new_customer_id()
    sf_id = salesforce.add(global_id, **ACME)
    ns_id = netsuite.add(global_id, **ACME)
    concord = engine(store_url, salesforce, netsuite)
    world = World(concord, salesforce, netsuite, sf_id, ns_id)
    world.settle()
    assert world.writes() == (0, 0), "records that agree need no write"
    yield world
    concord.close()


def test_a_field_the_erp_owns_edited_in_the_crm_is_not_propagated(world: World) -> None:
    world.salesforce.edit(world.sf_id, payment_terms="Net 60")
    world.settle()
    assert world.writes() == (0, 0)
    assert world.netsuite.get(world.ns_id)["payment_terms"] == "Net 30"
    [exception] = world.authority_exceptions()
    assert exception["message"] == (
        "Customer 'Acme' payment terms changed in Salesforce, but NetSuite owns payment terms; "
        "change not propagated."
    )
    assert "'Net 60'" in exception["detail"] and "'Net 30'" in exception["detail"]
    assert exception["team"] == "finance"
    assert exception["object_ids"] == {"salesforce": world.sf_id}
    assert world.inbox_outcomes()["governed"] == 1

    # A later edit the CRM owns goes through, with NetSuite's payment terms, and raises nothing new.
    world.salesforce.edit(world.sf_id, segment="Mid-market")
    world.settle()
    assert world.writes() == (0, 1)
    netsuite_now = world.netsuite.get(world.ns_id)
    assert (netsuite_now["segment"], netsuite_now["payment_terms"]) == ("Mid-market", "Net 30")
    [still_one] = world.authority_exceptions()
    assert still_one["status"] == "open"


def test_a_two_way_field_edited_in_the_crm_is_written_once_and_its_echo_dropped(world: World) -> None:
    world.salesforce.edit(world.sf_id, name="Acme Corp")
    world.settle()
    assert world.writes() == (0, 1)
    assert world.netsuite.get(world.ns_id)["name"] == "Acme Corp"
    assert world.inbox_outcomes()["echo"] == 1
    assert world.authority_exceptions() == []

    # The same edit made in NetSuite afterwards comes back the other way, once.
    world.netsuite.edit(world.ns_id, name="Acme Corporation")
    world.settle()
    assert world.writes() == (1, 1)
    assert world.salesforce.get(world.sf_id)["name"] == "Acme Corporation"


@pytest.mark.parametrize("newer", ["salesforce", "netsuite"])
def test_a_two_way_field_edited_on_both_sides_converges_on_the_newer_value(world: World, newer: str) -> None:
    edits = [(world.salesforce, world.sf_id, "Acme Corp (CRM)"), (world.netsuite, world.ns_id, "ACME Inc.")]
    if newer == "salesforce":
        edits.reverse()
    for system, system_id, name in edits:
        system.edit(system_id, name=name)
    winner = edits[-1][2]
    world.settle()
    assert world.salesforce.get(world.sf_id)["name"] == winner
    assert world.netsuite.get(world.ns_id)["name"] == winner
    assert sum(world.writes()) <= 2  # at most one write per real change
    assert sum(world.writes()) == 1
    assert world.authority_exceptions() == []


def test_a_write_that_would_change_nothing_makes_no_call(world: World) -> None:
    # Both sides made the same edit: the CRM's change is news, but NetSuite already has it.
    world.salesforce.edit(world.sf_id, segment="Public sector")
    world.netsuite.edit(world.ns_id, segment="Public sector")
    world.settle()
    assert world.writes() == (0, 0)
    assert world.skipped_results() == [{"skipped": "no change", "system_id": world.ns_id}] * 2
    unchanged = world.inbox_outcomes()["unchanged"]

    # A save without a change is a new version, and nothing more.
    world.salesforce.edit(world.sf_id)
    world.settle()
    assert world.writes() == (0, 0)
    assert world.inbox_outcomes()["unchanged"] == unchanged + 1


def test_replaying_events_writes_nothing_again(world: World) -> None:
    world.salesforce.edit(world.sf_id, name="Acme Corp")
    world.settle()
    assert world.writes() == (0, 1)
    start, end = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)

    report = world.concord.replayer.time_range(start, end, "tester")
    world.settle()
    assert (report.events, report.started) == (2, 0)
    assert world.writes() == (0, 1)

    # A flow that never ran for these events starts on replay; everything it asks for is already there.
    rerun = engine(
        "", world.salesforce, world.netsuite, store=world.concord.store, flow=customer_sync("resync")
    )
    report = rerun.replayer.time_range(start, end, "tester")
    world.settle(rerun)
    assert report.started == 2
    assert world.writes() == (0, 1)
    results = world.skipped_results()
    assert {"skipped": "no change", "system_id": world.ns_id} in results
    assert {"skipped": "superseded", "system_id": world.ns_id} in results
