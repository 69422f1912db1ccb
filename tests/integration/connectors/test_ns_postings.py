"""Time posted to NetSuite's ledger through the connector, against the emulator: a posting becomes a
balanced journal entry with one labour line per time entry (the drill-back in custom columns) and the
accrual that balances them, an upsert sent again converges on the same journal, a reversal swaps debits
and credits, a posting into a closed period is refused for good with NetSuite's reason, and the ``list``
action reads the accounting calendar (a table SuiteQL cannot filter by modification time) and any other
object, valid records apart from invalid ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from ns_client_support import NetSuite, run
from platform_support import NETSUITE_REFERENCES, services, validate

from concord.connectors import reads
from concord.connectors.netsuite import NetSuiteClient
from concord.connectors.netsuite.connector import NetSuiteConnector
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.messages import Change, CommandEnvelope
from concord.domain.money import Money
from concord.domain.objects import PostedEntry, TimePosting
from concord.domain.tracing import TraceContext
from concord.engine.ports import Failed, Outcome, Succeeded
from concord.storage.sql.store import SqlStore

LABOUR, ACCRUED = "541", "218"


@pytest.fixture
def basics(netsuite: NetSuite) -> dict[str, str]:
    """The account's subsidiary, project and employee, and a calendar: FY 2026 and Q1 (summaries),
    January closed, February locked, March and April open."""
    ids = netsuite.basics()
    year = netsuite.add_period("FY 2026", "2026-01-01", "2026-12-31", isYear=True)
    quarter = netsuite.add_period("Q1 2026", "2026-01-01", "2026-03-31", isQuarter=True)
    months = [
        netsuite.add_period("Jan 2026", "2026-01-01", "2026-01-31", closed=True),
        netsuite.add_period("Feb 2026", "2026-02-01", "2026-02-28", allLocked=True),
        netsuite.add_period("Mar 2026", "2026-03-01", "2026-03-31"),
        netsuite.add_period("Apr 2026", "2026-04-01", "2026-04-30"),
    ]
    return {
        **ids,
        "year": year,
        "quarter": quarter,
        **dict(zip(("jan", "feb", "mar", "apr"), months, strict=True)),
    }


def connector(netsuite: NetSuite, store: SqlStore, subsidiary: str) -> NetSuiteConnector:
    references = {
        **NETSUITE_REFERENCES,
        "netsuite_subsidiary_code": {subsidiary: "US01"},
        "netsuite_subsidiary_id": {"US01": subsidiary},
        "netsuite_account_id": {"labour_cost": LABOUR, "accrued_labour": ACCRUED},
    }
    return NetSuiteConnector("netsuite", services(store, references), NetSuiteClient(netsuite.spec()))


def posting(
    project_id: str, resource_id: str, on: date, *entries: tuple[str, str], **fields: Any
) -> dict[str, Any]:
    """A canonical TimePosting as a flow sends it: one entry per (hours, cost), in USD."""
    reversal = fields.get("reverses") is not None
    held = tuple(
        PostedEntry(entry_id=new_id(), hours=Hours(h, reversal=reversal), cost_amount=Money(c, "USD"))
        for h, c in entries
    )
    record = TimePosting(
        source_system="concord",
        source_changed_at=datetime.now(UTC),
        correlation_id=TraceContext.new().trace_id,
        posting_key=fields.pop("posting_key", f"tp-{new_id().lower()}-1"),
        summary=f"Time of E-1187 on Acme ERP rollout, {on:%b %Y} ({len(held)} entries)",
        posting_date=on,
        legal_entity_code="US01",
        project_id=project_id,
        resource_id=resource_id,
        employee_id="E-1187",
        billable=False,
        hours=Hours(sum((e.hours for e in held), Decimal(0)), reversal=reversal),
        cost_amount=Money.sum((e.cost_amount for e in held), "USD"),
        entries=held,
        **fields,
    )
    return record.model_dump(mode="json")


def command(action: str, object_type: str, payload: dict[str, Any]) -> CommandEnvelope:
    key = new_id()
    return CommandEnvelope(
        key, f"test/{key}", "netsuite", action, object_type, payload, TraceContext.new().traceparent
    )


def execute(ns: NetSuiteConnector, *commands: CommandEnvelope) -> list[Outcome]:
    async def scenario() -> list[Outcome]:
        try:
            return list(await ns.execute(commands))
        finally:
            await ns.aclose()

    return run(scenario())


def journal(ns: NetSuiteConnector, record_id: str) -> dict[str, Any]:
    """A journal entry as NetSuite's REST API answers, with its lines."""

    async def read() -> dict[str, Any]:
        try:
            return await ns.client.get("journalEntry", record_id, expand_sub_resources=True)
        finally:
            await ns.aclose()

    return run(read())


def amounts(lines: list[dict[str, Any]], side: str) -> list[Decimal]:
    return [Decimal(str(line[side])) for line in lines if side in line]


def test_a_posting_is_a_balanced_journal_that_drills_back_and_converges(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str]
) -> None:
    ns = connector(netsuite, store, basics["subsidiary"])
    project = ns.services.xref.ensure("netsuite", "Project", basics["job"])
    resource = ns.services.xref.ensure("netsuite", "Resource", basics["employee"])
    march = posting(
        project, resource, date(2026, 3, 31), ("7.5", "468.75"), ("4", "250.00"), ("0.5", "31.25")
    )
    [first] = execute(ns, command("upsert", "TimePosting", march))
    [again] = execute(
        connector(netsuite, store, basics["subsidiary"]), command("upsert", "TimePosting", march)
    )
    assert isinstance(first, Succeeded) and isinstance(again, Succeeded)
    record_id = first.result["system_id"]
    assert again.result["system_id"] == record_id
    assert [r["id"] for r in netsuite.records("journalEntry")] == [record_id]  # converged: one journal

    entry = journal(connector(netsuite, store, basics["subsidiary"]), record_id)
    lines = entry["line"]["items"]
    assert len(lines) == 4
    assert sum(amounts(lines, "debit")) == sum(amounts(lines, "credit")) == Decimal("750.00")
    assert (entry["subsidiary"]["id"], entry["postingPeriod"]["id"], entry["externalId"]) == (
        basics["subsidiary"],
        basics["mar"],
        march["global_id"],
    )
    assert entry["custbody_concord_posting_key"] == march["posting_key"]
    assert Decimal(str(entry["custbody_concord_hours"])) == Decimal("12.00")
    labour = [line for line in lines if line["account"]["id"] == LABOUR]
    assert [line["custcol_concord_time_entry"] for line in labour] == [
        e["entry_id"] for e in march["entries"]
    ]
    assert [Decimal(str(line["custcol_concord_hours"])) for line in labour] == [
        Decimal("7.50"),
        Decimal("4.00"),
        Decimal("0.50"),
    ]
    assert {line["entity"]["id"] for line in labour} == {basics["job"]}
    assert amounts(labour, "debit") == [Decimal("468.75"), Decimal("250.00"), Decimal("31.25")]
    [accrual] = [line for line in lines if line["account"]["id"] == ACCRUED]
    assert Decimal(str(accrual["credit"])) == Decimal("750.00") and "debit" not in accrual


def test_a_reversal_is_a_second_journal_with_debits_and_credits_swapped(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str]
) -> None:
    ns = connector(netsuite, store, basics["subsidiary"])
    project = ns.services.xref.ensure("netsuite", "Project", basics["job"])
    resource = ns.services.xref.ensure("netsuite", "Resource", basics["employee"])
    posted = posting(project, resource, date(2026, 3, 20), ("7.5", "468.75"), ("4", "250.00"))
    undone = posting(
        project,
        resource,
        date(2026, 4, 2),
        ("-7.5", "-468.75"),
        ("-4", "-250.00"),
        posting_key=f"{posted['posting_key']}-rev",
        reverses=posted["posting_key"],
        redated_from=date(2026, 3, 20),
    )
    outcomes = execute(ns, command("upsert", "TimePosting", posted), command("upsert", "TimePosting", undone))
    ids = [str(o.result["system_id"]) for o in outcomes if isinstance(o, Succeeded)]
    assert len(ids) == 2
    first, second = (journal(connector(netsuite, store, basics["subsidiary"]), i) for i in ids)
    assert first["id"] != second["id"] and len(netsuite.records("journalEntry")) == 2
    assert second["memo"].endswith(f"; reverses {posted['posting_key']}; re-dated from 2026-03-20")
    assert second["custbody_concord_reverses"] == posted["posting_key"]
    for side, other in (("debit", "credit"), ("credit", "debit")):
        assert amounts(first["line"]["items"], side) == amounts(second["line"]["items"], other)
    labour = [line for line in second["line"]["items"] if line["account"]["id"] == LABOUR]
    assert [Decimal(str(line["custcol_concord_hours"])) for line in labour] == [
        Decimal("-7.50"),
        Decimal("-4.00"),
    ]


def test_a_posting_into_a_closed_or_locked_period_is_refused_for_good(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str]
) -> None:
    ns = connector(netsuite, store, basics["subsidiary"])
    project = ns.services.xref.ensure("netsuite", "Project", basics["job"])
    resource = ns.services.xref.ensure("netsuite", "Resource", basics["employee"])
    closed = posting(project, resource, date(2026, 1, 15), ("7.5", "468.75"))
    locked = posting(project, resource, date(2026, 2, 10), ("2", "125.00"))
    refused = execute(ns, command("upsert", "TimePosting", closed), command("upsert", "TimePosting", locked))
    assert all(isinstance(o, Failed) and not o.classification.transient for o in refused)
    reasons = [o.classification.reason for o in refused if isinstance(o, Failed)]
    assert "The accounting period Jan 2026 is closed. You cannot post to a closed period." in reasons[0]
    assert "The accounting period Feb 2026 is locked." in reasons[1]
    assert netsuite.records("journalEntry") == []


def test_list_reads_the_accounting_calendar_with_closed_and_summary_periods(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str]
) -> None:
    ns = connector(netsuite, store, basics["subsidiary"])
    # The calendar has no modification stamps to narrow by: a list since any moment reads it all.
    since = {"since": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    everything, later = execute(
        ns, command("list", "AccountingPeriod", {}), command("list", "AccountingPeriod", since)
    )
    assert isinstance(everything, Succeeded) and isinstance(later, Succeeded)
    assert everything.result["invalid"] == []
    same = ("global_id", "name", "closed")
    assert [[r[k] for k in same] for r in later.result["records"]] == [
        [r[k] for k in same] for r in everything.result["records"]
    ]
    periods = {p["name"]: p for p in everything.result["records"]}
    assert set(periods) == {"FY 2026", "Q1 2026", "Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026"}
    flags = {name: (p["closed"], p["summary"], p["adjustment"]) for name, p in periods.items()}
    assert flags == {
        "FY 2026": (False, True, False),
        "Q1 2026": (False, True, False),
        "Jan 2026": (True, False, False),
        "Feb 2026": (True, False, False),  # locked for all postings
        "Mar 2026": (False, False, False),
        "Apr 2026": (False, False, False),
    }
    assert (periods["Mar 2026"]["start_date"], periods["Mar 2026"]["end_date"]) == (
        "2026-03-01",
        "2026-03-31",
    )
    assert periods["Jan 2026"]["system_ids"] == {"netsuite": basics["jan"]}


def test_the_calendar_is_detected_whole_then_only_the_periods_that_changed(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str]
) -> None:
    ns = connector(netsuite, store, basics["subsidiary"])

    async def scenario() -> tuple[list[Change], list[Change]]:
        try:
            first = await ns.detect("AccountingPeriod", None, 4)
            rest = await ns.detect("AccountingPeriod", first.next_cursor, 100)
            quiet = await ns.detect("AccountingPeriod", rest.next_cursor, 100)
            assert quiet.changes == [] and not quiet.more
            await ns.client.update("accountingPeriod", basics["mar"], {"closed": True})
            closing = await ns.detect("AccountingPeriod", quiet.next_cursor, 100)
            return [*first.changes, *rest.changes], closing.changes
        finally:
            await ns.aclose()

    seen, closing = run(scenario())
    periods = ("year", "quarter", "jan", "feb", "mar", "apr")
    assert sorted(c.source_id for c in seen) == sorted(basics[k] for k in periods)
    [closed] = validate(closing, "AccountingPeriod")
    assert (closed["name"], closed["closed"]) == ("Mar 2026", True)


def test_list_sets_invalid_records_apart_and_honours_since(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str]
) -> None:
    def bill(status: str) -> dict[str, Any]:
        return {
            "employee": {"id": basics["employee"]},
            "customer": {"id": basics["job"]},
            "hours": Decimal("7.50"),
            "tranDate": "2026-03-02",
            "approvalStatus": {"id": status},
        }

    pending = netsuite.seed("timeBill", [bill("1"), bill("1")])
    [approved] = netsuite.seed("timeBill", [bill("2")])
    ns = connector(netsuite, store, basics["subsidiary"])
    since = {"since": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    listed, later, bad_since = execute(
        ns,
        command("list", "TimeEntry", {}),
        command("list", "TimeEntry", since),
        command("list", "TimeEntry", {"since": "last Tuesday"}),
    )
    assert isinstance(listed, Succeeded) and isinstance(later, Succeeded)
    assert sorted(r["system_ids"]["netsuite"] for r in listed.result["records"]) == sorted(pending)
    # NetSuite keeps no approver on a time bill: an approved one is not a valid TimeEntry.
    [invalid] = listed.result["invalid"]
    assert invalid["system_id"] == approved and "approved but names no approver" in invalid["why"]
    assert later.result["records"] == [] and later.result["invalid"] == []
    assert isinstance(bad_since, Failed) and not bad_since.classification.transient
    assert "'since' must be an ISO date and time" in bad_since.classification.reason


def test_list_refuses_an_object_the_mapping_only_writes_and_a_list_too_long(
    netsuite: NetSuite, store: SqlStore, basics: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    [writes_only] = execute(connector(netsuite, store, "1"), command("list", "TimePosting", {}))
    assert isinstance(writes_only, Failed) and not writes_only.classification.transient
    assert "netsuite does not read TimePosting" in writes_only.classification.reason
    monkeypatch.setattr(reads, "LIST_LIMIT", 5)  # the calendar has 6 periods
    [too_long] = execute(connector(netsuite, store, "1"), command("list", "AccountingPeriod", {}))
    assert isinstance(too_long, Failed) and not too_long.classification.transient
    assert "netsuite holds more than 5 AccountingPeriod records" in too_long.classification.reason
