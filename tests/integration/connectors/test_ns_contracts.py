"""Contracts read back from NetSuite through the connector, against the emulator: a contract upserted as a
sales order (its value on an item line, its billing plan as a billing schedule, the rest in Concord's
custom body fields) reads back, with ``get`` and ``list``, as the same canonical contract; a whole upsert
without a cap clears the cap; and a contract whose schedule Concord cannot bill by is set apart, named."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from ns_client_support import NetSuite, run
from platform_support import NETSUITE_REFERENCES, services

from concord.connectors.netsuite import NetSuiteClient
from concord.connectors.netsuite.connector import NetSuiteConnector
from concord.domain.ids import new_id
from concord.domain.messages import CommandEnvelope
from concord.domain.objects import Contract
from concord.domain.tracing import TraceContext
from concord.engine.ports import Outcome, Succeeded
from concord.storage.sql.store import SqlStore


@pytest.fixture
def ns(netsuite: NetSuite, store: SqlStore) -> NetSuiteConnector:
    basics = netsuite.basics()
    references = {
        **NETSUITE_REFERENCES,
        "netsuite_subsidiary_code": {basics["subsidiary"]: "US"},
        "netsuite_subsidiary_id": {"US": basics["subsidiary"]},
        "netsuite_item_id": {"contract": basics["item"]},
    }
    connector = NetSuiteConnector("netsuite", services(store, references), NetSuiteClient(netsuite.spec()))
    connector.services.xref.link(CUSTOMER, "netsuite", "Customer", basics["customer"])
    return connector


CUSTOMER = new_id()


def contract(pricing: str, **fields: Any) -> Contract:
    """A canonical contract as opportunity-to-project makes it, in USD from 2026-04-01."""
    plans = {
        "fixed_fee": {
            "basis": "milestone",
            "lines": [
                _line("Design sign-off", "40000.00", "2026-05-29"),
                _line("Go-live", "60000.00", "2026-09-30", description="Go-live and hypercare"),
            ],
        },
        "time_and_materials": {"basis": "time_and_materials_period", "frequency": "monthly"},
        "subscription": {
            "basis": "subscription_period",
            "frequency": "quarterly",
            "lines": [
                _line(None, "12500.00", "2026-04-01", description="Service period 2026-04-01 to 2026-06-30"),
                _line(None, "12500.00", "2026-07-01", description="Service period 2026-07-01 to 2026-09-30"),
            ],
        },
    }
    revenue = {"fixed_fee": "milestone_acceptance", "time_and_materials": "as_delivered"}
    values: dict[str, Any] = {
        "source_system": "concord",
        "source_changed_at": datetime.now(UTC),
        "correlation_id": TraceContext.new().trace_id,
        "number": f"SOW-{new_id()[-6:]}",
        "name": f"Acme - {pricing.replace('_', ' ')}",
        "opportunity_id": new_id(),
        "customer_id": CUSTOMER,
        "legal_entity_code": "US",
        "pricing_model": pricing,
        "currency": "USD",
        "total_value": {
            "amount": "100000.00" if pricing != "subscription" else "25000.00",
            "currency": "USD",
        },
        "start_date": "2026-04-01",
        "end_date": "2026-09-30",
        "billing_plan": plans[pricing],
        "revenue_plan": {"basis": revenue.get(pricing, "straight_line")},
        **fields,
    }
    return Contract.model_validate(values)


def _line(milestone: str | None, amount: str, due: str, description: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {
        "description": description or milestone,
        "amount": {"amount": amount, "currency": "USD"},
        "due_date": due,
    }
    if milestone:
        line["milestone_name"] = milestone
    return line


TRACE = TraceContext.new()


def command(action: str, payload: dict[str, Any]) -> CommandEnvelope:
    key = new_id()
    return CommandEnvelope(key, f"test/{key}", "netsuite", action, "Contract", payload, TRACE.traceparent)


Step = Sequence[CommandEnvelope] | Awaitable[Any]


def session(ns: NetSuiteConnector, *steps: Step) -> list[list[dict[str, Any]]]:
    """Run each step in order on one connector (a batch of commands, or a call to await), then close it;
    the answers of each batch, all succeeded."""

    async def scenario() -> list[list[Outcome]]:
        done: list[list[Outcome]] = []
        try:
            for step in steps:
                if isinstance(step, Awaitable):
                    await step
                else:
                    done.append(list(await ns.execute(step)))
            return done
        finally:
            await ns.aclose()

    return [answers(outcomes) for outcomes in run(scenario())]


def answers(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    assert all(isinstance(o, Succeeded) for o in outcomes), outcomes
    return [o.result for o in outcomes if isinstance(o, Succeeded)]


def written(record: Contract) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_none=True)


def test_contracts_of_every_pricing_model_read_back_as_they_were_written(ns: NetSuiteConnector) -> None:
    made = [
        contract("fixed_fee"),
        contract(
            "time_and_materials",
            not_to_exceed={"amount": "120000.00", "currency": "USD"},
            version=3,
            end_date=None,
        ),
        contract("subscription"),
    ]
    upserts, gets, [listed] = session(
        ns,
        [command("upsert", written(c)) for c in made],
        [command("get", {"global_id": c.global_id}) for c in made],
        [command("list", {})],
    )
    for original, upserted, got in zip(made, upserts, gets, strict=True):
        assert got["found"] and "invalid" not in got, got
        read = Contract.model_validate(got["record"])
        assert read.business_fields() == original.business_fields()
        assert read.content_hash() == original.content_hash()
        assert (read.global_id, read.system_ids) == (original.global_id, {"netsuite": upserted["system_id"]})
        # The business transaction it was written in comes back with it.
        assert read.correlation_id == TRACE.trace_id

    # A list reads them the same way (a poll from the beginning, children and all).
    by_id = {record["global_id"]: Contract.model_validate(record) for record in listed["records"]}
    assert listed["invalid"] == []
    assert {gid: c.business_fields() for gid, c in by_id.items()} == {
        c.global_id: c.business_fields() for c in made
    }


def test_a_whole_upsert_without_a_cap_clears_the_cap_netsuite_held(ns: NetSuiteConnector) -> None:
    capped = contract("time_and_materials", not_to_exceed={"amount": "80000.00", "currency": "USD"})
    uncapped = capped.replace(not_to_exceed=None, version=2)
    _, _, [got] = session(
        ns,
        [command("upsert", written(capped))],
        [command("upsert", written(uncapped))],
        [command("get", {"global_id": capped.global_id})],
    )
    read = Contract.model_validate(got["record"])
    assert read.not_to_exceed is None and read.version == 2
    assert read.business_fields() == uncapped.business_fields()


def test_a_contract_whose_schedule_concord_cannot_bill_by_is_set_apart_naming_it(
    ns: NetSuiteConnector, netsuite: NetSuite
) -> None:
    fixed = contract("fixed_fee")
    schedules = netsuite.records("billingSchedule")
    [[upserted]] = session(ns, [command("upsert", written(fixed))])
    [schedule] = [s for s in netsuite.records("billingSchedule") if s not in schedules]
    [order] = [o for o in netsuite.records("salesOrder") if o["id"] == upserted["system_id"]]
    assert order["billingSchedule"] == schedule["id"]
    # Someone changes the schedule in NetSuite to one Concord does not bill by.
    change = {"scheduleType": {"id": "CHARGE_BASED"}}
    reader = NetSuiteConnector("netsuite", ns.services, NetSuiteClient(netsuite.spec()))
    [[got]] = session(
        reader,
        reader.client.update("billingSchedule", schedule["id"], change),
        [command("get", {"global_id": fixed.global_id})],
    )
    assert got["found"] and "record" not in got
    assert "billing schedule type 'CHARGE_BASED'" in got["invalid"]
