"""The NetSuite connector as the engine uses it, against the emulator: customers and time bills detected
through many SuiteQL pages as canonical records that pass validation (SuiteQL's text, dates, T/F booleans
and plain reference ids read by the mapping files), each change detected once however polls and edits
interleave, upserts by externalId that converge, many writes under the account's concurrency limit, and
faults handled by the engine: a transient one retried to completion, a permanent one failed with
NetSuite's reason."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from engine_support import commands, engine, enqueue, settle_fully, shut
from ns_client_support import CLIENT_ID, RSA_CERT, TOKEN_PATH, NetSuite, private_pem, rsa_key, run
from platform_support import NETSUITE_REFERENCES, canonical_customer, open_store, services, upsert, validate

from concord.bootstrap import Concord
from concord.connectors.netsuite import NetSuiteClient
from concord.connectors.netsuite.connector import NetSuiteConnector
from concord.domain.ids import new_id
from concord.domain.messages import Change
from concord.domain.tracing import TraceContext
from concord.engine.errors import InvalidChange
from concord.engine.ports import Failed, Succeeded
from concord.storage.sql.store import SqlStore

SUITEQL = "/services/rest/query/v1/suiteql"
CUSTOMER_WRITES = "/services/rest/record/v1/customer/*"
TERMS = {
    "netsuite_terms": {"1": "Net 30", "2": "Net 60"},
    "netsuite_terms_id": {"Net 30": "1", "Net 60": "2"},
}


def references(subsidiary: str) -> dict[str, dict[str, Any]]:
    """The account's reference tables: currencies, its one subsidiary (US01) and its payment terms."""
    return {
        **NETSUITE_REFERENCES,
        **TERMS,
        "netsuite_subsidiary_code": {subsidiary: "US01", "99": "ZZ01"},
        "netsuite_subsidiary_id": {"US01": subsidiary, "ZZ01": "99"},
    }


def connector(netsuite: NetSuite, store: SqlStore, subsidiary: str, **spec: Any) -> NetSuiteConnector:
    return NetSuiteConnector(
        "netsuite", services(store, references(subsidiary)), NetSuiteClient(netsuite.spec(**spec))
    )


async def detect_all(
    ns: NetSuiteConnector, object_type: str, cursor: str | None = None, limit: int = 1000
) -> tuple[list[Change], str | None]:
    """Every change since ``cursor``, polled as the worker does (one page of ``limit`` at a time)."""
    found: list[Change] = []
    while True:
        page = await ns.detect(object_type, cursor, limit)
        found += page.changes
        cursor = page.next_cursor
        if not page.more:
            return found, cursor


def customers(subsidiary: str, count: int, prefix: str = "Client", **fields: Any) -> list[dict[str, Any]]:
    return [
        {
            "companyName": f"{prefix} {n:04d}",
            "subsidiary": {"id": subsidiary},
            "currency": {"id": "2"},
            "terms": {"id": "1"},
            **fields,
        }
        for n in range(count)
    ]


def test_customers_are_detected_through_many_pages_as_valid_canonical_customers(
    netsuite: NetSuite, store: SqlStore
) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    ids = netsuite.seed("customer", customers(subsidiary, 250))
    concords = [new_id() for _ in range(10)]
    written = netsuite.seed(
        "customer",
        [{**c, "externalId": g} for c, g in zip(customers(subsidiary, 10, "Ours"), concords, strict=True)],
    )
    ns = connector(netsuite, store, subsidiary, query_page_size=50)

    async def scenario() -> list[Change]:
        found, cursor = await detect_all(ns, "Customer", limit=100)
        again = await ns.detect("Customer", cursor, 1000)
        await ns.aclose()
        assert again.changes == [] and not again.more
        return found

    changes = run(scenario())
    assert netsuite.count(path=SUITEQL, method="POST") >= 6  # 260 rows at 50 a page
    payloads = {p["system_ids"]["netsuite"]: p for p in validate(changes, "Customer")}
    assert set(payloads) == {*ids, *written} and len(changes) == 260
    first = payloads[ids[0]]
    assert (first["name"], first["currency"], first["legal_entity_code"], first["payment_terms"]) == (
        "Client 0000",
        "GBP",
        "US01",
        "Net 30",
    )
    # A customer Concord wrote keeps the global id it was written with (its externalId).
    assert [payloads[i]["global_id"] for i in written] == concords
    xref = services(store).xref
    assert xref.global_id("netsuite", "Customer", ids[0]) == first["global_id"]
    assert len({p["global_id"] for p in payloads.values()}) == 260


def test_time_bills_are_detected_through_many_pages_as_canonical_time_entries(
    netsuite: NetSuite, store: SqlStore
) -> None:
    basics = netsuite.basics()

    def bill(n: int, status: str) -> dict[str, Any]:
        return {
            "employee": {"id": basics["employee"]},
            "customer": {"id": basics["job"]},
            "hours": Decimal("7.50") if n % 2 else Decimal(1),
            "tranDate": f"2026-03-{1 + n % 28:02d}",
            "isBillable": n % 3 != 0,
            "approvalStatus": {"id": status},
            "memo": f"Workshop {n}",
        }

    pending = netsuite.seed("timeBill", [bill(n, "1") for n in range(100)])
    rejected = netsuite.seed("timeBill", [bill(n, "3") for n in range(20)])
    approved = netsuite.seed("timeBill", [bill(n, "2") for n in range(5)])
    ns = connector(netsuite, store, basics["subsidiary"], query_page_size=25)

    async def scenario() -> list[Change]:
        found, _ = await detect_all(ns, "TimeEntry", limit=60)
        await ns.aclose()
        return found

    changes = run(scenario())
    assert netsuite.count(path=SUITEQL, method="POST") >= 5  # 125 rows at 25 a page
    by_id = {c.source_id: c for c in changes}
    assert set(by_id) == {*pending, *rejected, *approved} and len(changes) == 125
    payloads = {
        p["system_ids"]["netsuite"]: p for p in validate([by_id[i] for i in pending + rejected], "TimeEntry")
    }
    xref = services(store).xref
    one = payloads[pending[1]]
    assert one["project_id"] == xref.global_id("netsuite", "Project", basics["job"])
    assert one["resource_id"] == xref.global_id("netsuite", "Resource", basics["employee"])
    assert (one["work_date"], one["hours"], one["billable"], one["status"], one["notes"]) == (
        "2026-03-02",
        "7.50",
        True,
        "submitted",
        "Workshop 1",
    )
    assert payloads[pending[0]]["billable"] is False and payloads[rejected[0]]["status"] == "rejected"
    # NetSuite keeps no approver on a time bill: an approved one read back is refused readably, not lost.
    with pytest.raises(InvalidChange, match="approved but names no approver"):
        validate([by_id[approved[0]]], "TimeEntry")


def test_changes_made_between_and_during_polls_are_detected_once(netsuite: NetSuite, store: SqlStore) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    ids = netsuite.seed("customer", customers(subsidiary, 120))
    ns = connector(netsuite, store, subsidiary, query_page_size=25)
    read_first = ids[:50]
    edited_read, edited_unread = read_first[:3], ids[-3:]

    async def scenario() -> tuple[list[Change], list[Change], list[str]]:
        first = await ns.detect("Customer", None, 50)
        assert first.more and [c.source_id for c in first.changes] == read_first
        # While the poll is part way through: NetSuite expires the token, someone edits customers behind
        # the poll and ahead of it, and adds two.
        assert netsuite.expire_tokens() == 1
        for record_id in edited_read + edited_unread:
            await ns.client.update("customer", record_id, {"companyName": f"Renamed {record_id}"})
        added = [await ns.client.create("customer", body) for body in customers(subsidiary, 2, "New")]
        rest, cursor = await detect_all(ns, "Customer", first.next_cursor, limit=50)
        # Between polls: terms changed on two customers.
        for record_id in ids[60:62]:
            await ns.client.update("customer", record_id, {"terms": {"id": "2"}})
        later, cursor = await detect_all(ns, "Customer", cursor)
        last = await ns.detect("Customer", cursor, 1000)
        await ns.aclose()
        assert last.changes == []
        return [*first.changes, *rest], later, added

    seen, later, added = run(scenario())
    assert netsuite.count(path=TOKEN_PATH) == 2  # renewed once, the poll carried on
    assert max(Counter((c.source_id, c.version) for c in seen).values()) == 1
    times = Counter(c.source_id for c in seen)
    assert {i for i, n in times.items() if n == 2} == set(edited_read)  # read before and after the edit
    assert set(times) == {*ids, *added}
    latest = {p["system_ids"]["netsuite"]: p for p in validate(seen, "Customer")}
    assert all(latest[i]["name"] == f"Renamed {i}" for i in edited_read + edited_unread)
    assert sorted(c.source_id for c in later) == sorted(ids[60:62])
    assert {p["payment_terms"] for p in validate(later, "Customer")} == {"Net 60"}


def test_an_upsert_twice_is_one_record_keyed_by_external_id(
    netsuite: NetSuite, store: SqlStore, tmp_path: Path
) -> None:
    basics = netsuite.basics()
    subsidiary = basics["subsidiary"]
    customer = canonical_customer("Globex Corporation", legal_entity_code="US01", payment_terms="Net 30")
    ns = connector(netsuite, store, subsidiary)
    xref = ns.services.xref
    entry = {
        "global_id": new_id(),
        "project_id": xref.ensure("netsuite", "Project", basics["job"]),
        "resource_id": xref.ensure("netsuite", "Resource", basics["employee"]),
        "work_date": "2026-03-02",
        "hours": "1.50",
        "billable": True,
        "status": "approved",
        "approver_id": new_id(),
        "bill_rate": {"amount": "195.00", "currency": "USD"},
        "notes": "Design workshop",
    }
    # Another store: Concord's cross-reference does not know the records, their externalId does.
    elsewhere = open_store(f"sqlite:///{tmp_path}/elsewhere.db")
    ns_elsewhere = connector(netsuite, elsewhere, subsidiary)
    ns_elsewhere.services.xref.link(entry["project_id"], "netsuite", "Project", basics["job"])
    ns_elsewhere.services.xref.link(entry["resource_id"], "netsuite", "Resource", basics["employee"])
    trace = TraceContext.new()

    async def scenario() -> list[Any]:
        outcomes = []
        for payload, object_type in ((customer, "Customer"), (entry, "TimeEntry")):
            outcomes += await ns.execute([upsert("netsuite", object_type, payload, trace)])
            changed = (
                {**payload, "name": "Globex Corp."}
                if object_type == "Customer"
                else {**payload, "hours": "2.00"}
            )
            outcomes += await ns.execute([upsert("netsuite", object_type, changed, trace)])
            outcomes += await ns_elsewhere.execute([upsert("netsuite", object_type, changed, trace)])
        detected, _ = await detect_all(ns_elsewhere, "Customer")
        await ns.aclose()
        await ns_elsewhere.aclose()
        return [*outcomes, detected]

    try:
        *outcomes, detected = run(scenario())
    finally:
        elsewhere.close()
    assert all(isinstance(o, Succeeded) for o in outcomes)
    assert len({o.result["system_id"] for o in outcomes[:3]}) == 1
    assert len({o.result["system_id"] for o in outcomes[3:]}) == 1
    [stored] = [c for c in netsuite.records("customer") if c.get("externalId")]
    assert (stored["id"], stored["companyName"], stored["externalId"]) == (
        outcomes[0].result["system_id"],
        "Globex Corp.",
        customer["global_id"],
    )
    assert (stored["currency"], stored["subsidiary"], stored["terms"], stored["isPerson"]) == (
        "1",
        subsidiary,
        "1",
        False,
    )
    [bill] = netsuite.records("timeBill")
    assert (bill["externalId"], bill["hours"], bill["memo"], bill["approvalStatus"]) == (
        entry["global_id"],
        "2.00",
        "Design workshop",
        "2",
    )
    assert xref.system_id(customer["global_id"], "netsuite", "Customer") == stored["id"]
    # Read back elsewhere, the customer is known by the global id it was written with.
    [change] = [c for c in detected if c.source_id == stored["id"]]
    assert change.payload["global_id"] == customer["global_id"]


def test_a_customer_keyed_by_hand_gets_concords_id_attached_instead_of_a_twin(
    netsuite: NetSuite, store: SqlStore
) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    [by_hand] = netsuite.seed("customer", customers(subsidiary, 1, "Initech"))
    ns = connector(netsuite, store, subsidiary)

    async def scenario() -> Any:
        [found], _ = await detect_all(ns, "Customer")
        customer = {
            **canonical_customer("Initech Inc.", legal_entity_code="US01"),
            "global_id": found.payload["global_id"],
        }
        [outcome] = await ns.execute([upsert("netsuite", "Customer", customer)])
        await ns.aclose()
        return outcome

    outcome = run(scenario())
    assert isinstance(outcome, Succeeded) and outcome.result["system_id"] == by_hand
    [stored] = netsuite.records("customer")
    assert (stored["id"], stored["companyName"], stored["externalId"]) == (
        by_hand,
        "Initech Inc.",
        outcome.result["global_id"],
    )


def test_many_upserts_stay_under_the_concurrency_limit_without_a_single_429(
    netsuite: NetSuite, store: SqlStore
) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    netsuite.profile(mode="realistic", latency_ms=15.0, jitter_ms=10.0)
    ns = connector(netsuite, store, subsidiary)
    batch = [
        upsert("netsuite", "Customer", canonical_customer(f"Batch {n:03d}", legal_entity_code="US01"))
        for n in range(60)
    ]

    async def scenario() -> list[Any]:
        outcomes = await ns.execute(batch)
        await ns.aclose()
        return list(outcomes)

    outcomes = run(scenario(), timeout_s=60)
    assert all(isinstance(o, Succeeded) for o in outcomes)
    assert netsuite.count(path=CUSTOMER_WRITES, method="PUT") == 60 and netsuite.count(status=429) == 0
    assert len(netsuite.records("customer")) == 60


def test_a_record_netsuite_refuses_fails_alone_with_its_reason(netsuite: NetSuite, store: SqlStore) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    ns = connector(netsuite, store, subsidiary)
    good = canonical_customer("Initech", legal_entity_code="US01")
    no_such_subsidiary = canonical_customer("Umbrella", legal_entity_code="ZZ01")
    unknown_entity = canonical_customer("Hooli", legal_entity_code="PE01")

    async def scenario() -> list[Any]:
        outcomes = await ns.execute(
            [upsert("netsuite", "Customer", c) for c in (good, no_such_subsidiary, unknown_entity)]
        )
        await ns.aclose()
        return list(outcomes)

    ok, refused, unmappable = run(scenario())
    assert isinstance(ok, Succeeded)
    assert isinstance(refused, Failed) and not refused.classification.transient
    assert "Invalid Field Value 99 for the following field: subsidiary" in refused.classification.reason
    assert isinstance(unmappable, Failed) and not unmappable.classification.transient
    assert (
        unmappable.classification.category == "mapping"
        and "netsuite_subsidiary_id" in unmappable.classification.reason
    )


# -- through the engine: built from configuration, faults retried or failed ---------------------------------


def engine_with_netsuite(tmp_path: Path, netsuite: NetSuite, subsidiary: str, **options: Any) -> Concord:
    """Concord with one NetSuite connector configured by base URL and credentials only."""
    configured = {
        "kind": "netsuite",
        "account_id": "1234567",
        "base_url": netsuite.base_url,
        "client_id": CLIENT_ID,
        "certificate_id": RSA_CERT,
        "private_key": private_pem(rsa_key()),
    }
    return engine(tmp_path, "netsuite", {**configured, **options}, references(subsidiary))


def test_the_engine_retries_a_poll_that_netsuite_failed_and_records_every_customer(
    tmp_path: Path, netsuite: NetSuite
) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    netsuite.seed("customer", customers(subsidiary, 120))
    concord = engine_with_netsuite(tmp_path, netsuite, subsidiary, query_page_size=50, detect=["Customer"])
    netsuite.fault(endpoint=f"POST {SUITEQL}", error_rate=1.0, error_status=503, max_faults=2)

    async def scenario() -> None:
        try:
            await settle_fully(concord)
        finally:
            await shut(concord)

    run(scenario())
    assert netsuite.count(fault="any") == 2
    with concord.store.transaction() as tx:
        assert tx.events.count() == 120
        assert tx.exceptions.list() == []


def test_the_engine_retries_a_write_netsuite_failed_and_fails_one_it_refused(
    tmp_path: Path, netsuite: NetSuite
) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    concord = engine_with_netsuite(tmp_path, netsuite, subsidiary)
    good = canonical_customer("Globex Corporation", legal_entity_code="US01")
    refused = canonical_customer("Umbrella", legal_entity_code="ZZ01")
    netsuite.fault(endpoint=f"PUT {CUSTOMER_WRITES}", error_rate=1.0, error_status=503, max_faults=1)

    async def scenario() -> list[dict[str, Any]]:
        try:
            ids = []
            for payload in (good, refused):
                ids.append(enqueue(concord, "netsuite", "Customer", payload))
                await settle_fully(concord)
            return commands(concord, ids)
        finally:
            await shut(concord)

    done, failed = run(scenario())
    assert done["status"] == "done" and done["attempts"] == 2
    assert [c["companyName"] for c in netsuite.records("customer")] == ["Globex Corporation"]
    assert failed["status"] == "failed" and failed["attempts"] == 1  # refused: never retried
    assert "Invalid Field Value 99 for the following field: subsidiary" in failed["last_error"]


def test_built_from_configuration_without_a_rate_it_keeps_within_netsuites_concurrency_limit(
    tmp_path: Path, netsuite: NetSuite
) -> None:
    """The connector's own default budget (5 calls in flight, the integration's share) applies when the
    configuration names none: many writes at once are never refused for going over NetSuite's limit."""
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US", "country": "US"}])[0]
    concord = engine_with_netsuite(tmp_path, netsuite, subsidiary)
    netsuite.profile(mode="realistic", latency_ms=60, jitter_ms=0)  # NetSuite's limit: 5 calls in flight

    async def scenario() -> list[dict[str, Any]]:
        try:
            payloads = [canonical_customer(f"Client {n}", legal_entity_code="US01") for n in range(12)]
            ids = [enqueue(concord, "netsuite", "Customer", payload) for payload in payloads]
            await settle_fully(concord)
            return commands(concord, ids)
        finally:
            await shut(concord)

    written = run(scenario())
    assert netsuite.count(status=429) == 0
    assert [(c["status"], c["attempts"]) for c in written] == [("done", 1)] * 12
