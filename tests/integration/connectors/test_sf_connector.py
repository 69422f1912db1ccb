"""The Salesforce connector as the engine uses it, against the emulator: canonical changes through the
mapping files, global ids in the external-id field, correlation ids on every record written, batch
upserts that converge, and bad records turned into readable mapping problems."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from platform_support import canonical_customer, services, upsert, validate
from sf_client_support import Emulator, run

from concord.bootstrap import bootstrap
from concord.connectors.http import GovernorPolicy
from concord.connectors.salesforce import SalesforceClient
from concord.connectors.salesforce.connector import SalesforceConnector
from concord.domain.messages import Change, CommandSpec
from concord.domain.objects import Customer
from concord.domain.tracing import TraceContext
from concord.engine.errors import InvalidChange
from concord.engine.flows import BusinessRef, Flow, Step
from concord.engine.ports import Failed, Succeeded
from concord.engine.recorder import ChangeSchemas
from concord.engine.runtime import Source
from concord.settings import DeliverySettingsModel, RetrySettings, Settings
from concord.storage.sql.store import SqlStore
from concord.testing.connector import TestConnector


def connector(emulator: Emulator, store: SqlStore, **spec: object) -> SalesforceConnector:
    return SalesforceConnector("salesforce", services(store), SalesforceClient(emulator.spec(**spec)))


def accounts(count: int, prefix: str = "Client") -> list[dict[str, object]]:
    return [
        {
            "Name": f"{prefix} {n:04d}",
            "BillingStreet": f"{n} High Street",
            "BillingCity": "Leeds",
            "BillingCountry": "United Kingdom",
            "CurrencyIsoCode": "GBP",
        }
        for n in range(count)
    ]


def test_detects_accounts_as_canonical_customers_through_five_pages(
    emulator: Emulator, store: SqlStore
) -> None:
    ids = emulator.seed("Account", accounts(1001))
    sf = connector(emulator, store, query_batch_size=200)

    async def scenario() -> list[Change]:
        found: list[Change] = []
        cursor = None
        while True:
            page = await sf.detect("Customer", cursor, 2000)
            found += page.changes
            cursor = page.next_cursor
            if not page.more:
                break
        again = await sf.detect("Customer", cursor, 2000)
        await sf.aclose()
        assert again.changes == []
        return found

    changes = run(scenario())
    assert len(changes) == 1001
    payloads = validate(changes, "Customer")
    first = payloads[0]
    assert first["name"] == "Client 0000" and first["currency"] == "GBP"
    assert first["billing_address"]["country"] == "GB" and first["source_system"] == "salesforce"
    # Global ids are minted once and kept in the cross-reference.
    xref = services(store).xref
    assert xref.global_id("salesforce", "Customer", ids[0]) == first["global_id"]
    assert len({p["global_id"] for p in payloads}) == 1001
    assert emulator.count(path="*/query*") >= 6  # 1,001 rows at 200 a page


def test_upsert_twice_is_one_record_carrying_global_and_correlation_ids(
    emulator: Emulator, store: SqlStore
) -> None:
    sf = connector(emulator, store)
    customer = canonical_customer(
        "Globex Corporation", billing_address={"lines": ["1 Main St"], "city": "Austin", "country": "US"}
    )
    trace = TraceContext.new()

    async def scenario() -> list[object]:
        first = await sf.execute([upsert("salesforce", "Customer", customer, trace)])
        renamed = {**customer, "name": "Globex Corp."}
        second = await sf.execute([upsert("salesforce", "Customer", renamed, trace)])
        await sf.aclose()
        return [*first, *second]

    first, second = run(scenario())
    assert isinstance(first, Succeeded) and isinstance(second, Succeeded)
    assert first.result["system_id"] == second.result["system_id"]
    assert first.result.get("created") is True and "created" not in second.result
    rows = run(_query(emulator, "SELECT Id, Name, Concord_Id__c, Concord_Correlation_Id__c FROM Account"))
    assert len(rows) == 1
    assert rows[0]["Name"] == "Globex Corp." and rows[0]["Concord_Id__c"] == customer["global_id"]
    assert rows[0]["Concord_Correlation_Id__c"] == trace.trace_id
    assert services(store).xref.system_id(customer["global_id"], "salesforce", "Customer") == rows[0]["Id"]


async def _query(emulator: Emulator, soql: str) -> list[dict[str, object]]:
    async with SalesforceClient(emulator.spec()) as client:
        return [dict(r) async for r in client.query(soql)]


def test_many_upserts_go_through_sobject_collections(emulator: Emulator, store: SqlStore) -> None:
    sf = connector(emulator, store)
    commands = [upsert("salesforce", "Customer", canonical_customer(f"Batch {n:03d}")) for n in range(450)]

    async def scenario() -> list[object]:
        outcomes = await sf.execute(commands)
        await sf.aclose()
        return list(outcomes)

    outcomes = run(scenario())
    assert all(isinstance(o, Succeeded) for o in outcomes)
    # 450 records in chunks of 200: three calls, not 450.
    assert emulator.count(path="*/composite/sobjects/Account/Concord_Id__c") == 3


def test_a_record_the_target_refuses_fails_alone_with_the_platforms_reason(
    emulator: Emulator, store: SqlStore
) -> None:
    sf = connector(emulator, store)
    good = canonical_customer("Initech")
    too_long = canonical_customer("I" * 300)

    async def scenario() -> list[object]:
        outcomes = await sf.execute(
            [upsert("salesforce", "Customer", good), upsert("salesforce", "Customer", too_long)]
        )
        await sf.aclose()
        return list(outcomes)

    ok, refused = run(scenario())
    assert isinstance(ok, Succeeded)
    assert isinstance(refused, Failed) and not refused.classification.transient


def test_a_bad_record_becomes_a_readable_refusal_and_the_rest_flows_on(
    emulator: Emulator, store: SqlStore
) -> None:
    emulator.seed(
        "Account",
        [
            {"Name": "Odd Ltd", "BillingStreet": "1 Rue", "BillingCity": "Paris", "BillingCountry": "Narnia"},
            {"Name": "Fine Ltd"},
        ],
    )
    sf = connector(emulator, store)

    async def scenario() -> list[Change]:
        page = await sf.detect("Customer", None, 100)
        await sf.aclose()
        return list(page.changes)

    odd, fine = run(scenario())
    assert validate([fine], "Customer")[0]["name"] == "Fine Ltd"
    with pytest.raises(InvalidChange, match=r"billing_address\.country"):
        validate([odd], "Customer")


def test_a_spent_daily_quota_pauses_delivery_and_it_resumes_without_a_failure(
    emulator: Emulator, store: SqlStore
) -> None:
    emulator.profile(
        mode="realistic", daily_call_limit=40, latency_ms=0.0, jitter_ms=0.0, reset_counters=True
    )
    records = [canonical_customer(f"Quota {n:02d}") for n in range(60)]
    feed = [Change("crm", "Customer", r["global_id"], r, datetime.now(UTC), version="1") for r in records]
    policy = GovernorPolicy(
        max_concurrency=2, pace_at=0.8, pause_at=0.9, max_pace_interval_s=0.01, pause_s=0.5
    )
    sf = SalesforceConnector("salesforce", services(store), SalesforceClient(emulator.spec(rate=policy)))
    schemas = ChangeSchemas()
    schemas.register_canonical(Customer)
    flow = Flow(
        "push_customers",
        frozenset({"CustomerChanged"}),
        (Step("upsert", lambda ctx: [CommandSpec("salesforce", "upsert", "Customer", ctx.trigger)]),),
        key=lambda event: event.payload["global_id"],
        business=lambda event: BusinessRef("Customer", event.payload["global_id"], event.payload["name"]),
    )
    concord = bootstrap(
        Settings(
            database_url="sqlite://",
            partitions=4,
            retry=RetrySettings(initial_s=0.01, max_delay_s=0.05, max_attempts=3),
            delivery=DeliverySettingsModel(connector_batch=1, lanes=2),
        ),
        connectors={"crm": TestConnector(name="crm", feed=feed), "salesforce": sf},
        flows=[flow],
        schemas=schemas,
        sources=[Source("crm", "Customer")],
        store=store,
        log_to_stderr=False,
    )

    async def scenario() -> None:
        # One call a record: the 40-call day runs out part of the way through (pausing at 90 %).
        for _ in range(200):
            await concord.worker.step()
        with store.transaction() as tx:
            assert tx.outbox.count_by_status().get("pending", 0) > 0  # waiting, not failed
            assert tx.exceptions.counts() == {}
        emulator.ok("PUT", "clock", json={"advance_s": 86_400})  # a new quota day
        # Once the governor's pause is over, its probe finds the fresh day and the rest goes through.
        deadline = asyncio.get_running_loop().time() + 30
        while asyncio.get_running_loop().time() < deadline:
            await concord.worker.step()
            with store.transaction() as tx:
                if tx.outbox.count_by_status() == {"done": 60}:
                    break
            await asyncio.sleep(0.02)
        await sf.aclose()

    run(scenario(), timeout_s=60)
    with store.transaction() as tx:
        assert tx.outbox.count_by_status() == {"done": 60}
        assert tx.exceptions.counts() == {}
    assert emulator.count(status=403) == 0  # Salesforce never had to refuse a call
