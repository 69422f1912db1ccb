"""Change events a collection call appends together are stored as one row (``ChangeLog.append_many``):
replay ids, resuming in the middle of such a row, channel filters, the read window and the latest replay
id must be what a row per event gave, before and after a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.salesforce import create_app
from concord.sandbox.salesforce.cdc import ChangeLog
from concord.sandbox.salesforce.org import SalesforceOrg
from concord.sandbox.salesforce.records.context import CallContext
from concord.sandbox.salesforce.schema.fields import SObjectDef

USER = "0058d00000000AAAAA"
WINDOW = 5000  # cdc._SCAN_WINDOW: how many replay ids one read looks at


def build_org(data_dir: Path | None = None) -> SalesforceOrg:
    app = create_app(EmulatorSettings(name="salesforce", data_dir=data_dir))
    org: SalesforceOrg = app.state.salesforce
    org.state.clock.set(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), frozen=True)
    return org


def sobject(org: SalesforceOrg, name: str) -> SObjectDef:
    found = org.catalog.get(name)
    assert found is not None
    return found


def ctx() -> CallContext:
    return CallContext(USER, "60.0")


def collection(org: SalesforceOrg, names: list[str], parent: str | None = None) -> list[str]:
    """A collections create of Accounts (and, given a parent, one Contact after each): batched."""
    account, contact = sobject(org, "Account"), sobject(org, "Contact")
    items: list[Any] = []
    for name in names:
        items.append((account, {"Name": name}))
        if parent is not None:
            items.append((contact, {"LastName": name, "AccountId": parent}))
    outcomes = org.records.create_each(items, ctx(), all_or_none=False)
    assert outcomes is not None and all(isinstance(o, str) for o in outcomes)
    return [str(o) for o in outcomes]


def names(events: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [
        (
            e["data"]["event"]["replayId"],
            e["data"]["payload"]["ChangeEventHeader"]["entityName"],
            e["data"]["payload"].get("Name") or e["data"]["payload"].get("LastName") or "",
        )
        for e in events
    ]


def everything(log: ChangeLog) -> list[tuple[int, str, str]]:
    return names(log.read(None, 0, 100_000).events)


def test_replay_ids_run_on_through_grouped_rows_and_reads_resume_anywhere() -> None:
    org = build_org()
    log = org.changes
    parent = org.records.create(sobject(org, "Account"), {"Name": "Parent"}, ctx())  # replay id 1
    collection(org, ["A", "B", "C"], parent=parent)  # replay ids 2..7, one stored row
    org.records.create(sobject(org, "Account"), {"Name": "Single"}, ctx())  # 8
    collection(org, ["D", "E"])  # 9..10

    assert org.state.store.count("cdc_events") == 4  # the two calls' events share a row each
    expected = [
        (1, "Account", "Parent"),
        (2, "Account", "A"),
        (3, "Contact", "A"),
        (4, "Account", "B"),
        (5, "Contact", "B"),
        (6, "Account", "C"),
        (7, "Contact", "C"),
        (8, "Account", "Single"),
        (9, "Account", "D"),
        (10, "Account", "E"),
    ]
    assert everything(log) == expected
    assert log.latest_replay_id() == 10
    for after in range(-1, 12):
        for limit in (1, 2, 3, 100):
            pulled = log.read(None, after, limit)
            assert names(pulled.events) == [e for e in expected if e[0] > after][:limit]
            assert pulled.latest_replay_id == max([after, 0, *(e[0] for e in names(pulled.events))])
    contacts = log.read("Contact", 0, 100)
    assert names(contacts.events) == [e for e in expected if e[1] == "Contact"]
    assert contacts.latest_replay_id == 10  # every event looked at, the last one an Account's
    only_two = log.read("Contact", 2, 2)
    assert names(only_two.events) == [(3, "Contact", "A"), (5, "Contact", "B")]
    assert only_two.latest_replay_id == 5


def test_a_read_looks_at_one_window_of_replay_ids_whatever_the_rows() -> None:
    org = build_org()
    log = org.changes
    for call in range(26):  # 5,200 Account events in rows of 200
        collection(org, [f"Bulk {call}-{n}" for n in range(200)])
    parent = org.records.create(sobject(org, "Account"), {"Name": "Late parent"}, ctx())
    org.records.create(sobject(org, "Contact"), {"LastName": "Late", "AccountId": parent}, ctx())

    assert log.latest_replay_id() == 5202
    first = log.read("Contact", 0, 100)
    assert (first.events, first.latest_replay_id) == ([], WINDOW)
    # Resuming from the middle of a stored row reaches the contact within the next window.
    second = log.read("Contact", 4321, 100)
    assert names(second.events) == [(5202, "Contact", "Late")]
    assert second.latest_replay_id == 5202
    assert [e[0] for e in names(log.read(None, 4999, 3).events)] == [5000, 5001, 5002]


def test_grouped_rows_survive_a_restart_and_ids_go_on(tmp_path: Path) -> None:
    first = build_org(tmp_path)
    collection(first, ["A", "B", "C"])
    first.state.store.close()

    second = build_org(tmp_path)
    assert second.changes.latest_replay_id() == 3
    second.records.create(sobject(second, "Account"), {"Name": "After restart"}, ctx())
    collection(second, ["D", "E"])
    assert [(e[0], e[2]) for e in everything(second.changes)] == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
        (4, "After restart"),
        (5, "D"),
        (6, "E"),
    ]


def test_a_reset_empties_the_log_and_replay_ids_start_again() -> None:
    org = build_org()
    collection(org, ["A", "B"])
    org.state.reset()
    assert org.changes.latest_replay_id() == 0
    collection(org, ["C", "D"])
    assert [(e[0], e[2]) for e in everything(org.changes)] == [(1, "C"), (2, "D")]
