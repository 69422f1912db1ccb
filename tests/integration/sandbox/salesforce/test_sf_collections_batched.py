"""sObject Collections create with the records' writes sent to the store together (``create_each``): the
outcome must be the one of ``create`` called for each record in turn, failures, unique values shared
inside the call, parents and change events included."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sf_support import Org

from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.salesforce import create_app
from concord.sandbox.salesforce.errors import RecordError
from concord.sandbox.salesforce.org import SalesforceOrg
from concord.sandbox.salesforce.records.context import CallContext
from concord.sandbox.salesforce.schema.fields import SObjectDef

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
USER = "0058d00000000AAAAA"
Outcome = str | RecordError
_ID = re.compile(r"\b[0-9a-zA-Z]{3}8d[0-9A-Za-z]{13}\b")


def fresh_org() -> SalesforceOrg:
    app = create_app(EmulatorSettings(name="salesforce"))
    org: SalesforceOrg = app.state.salesforce
    org.state.clock.set(T0, frozen=True)
    return org


def sobject(org: SalesforceOrg, name: str) -> SObjectDef:
    found = org.catalog.get(name)
    assert found is not None
    return found


def seeded(org: SalesforceOrg) -> dict[str, str]:
    """The records the batch refers to: a live account holding a unique key, and a deleted one."""
    ctx = CallContext(USER, "60.0")
    account = sobject(org, "Account")
    holder = org.records.create(account, {"Name": "Holder", "Concord_Id__c": "TAKEN-1"}, ctx)
    gone = org.records.create(account, {"Name": "Gone"}, ctx)
    org.records.delete(account, gone, ctx)
    return {"holder": holder, "gone": gone}


def batch(org: SalesforceOrg, refs: dict[str, str]) -> list[tuple[SObjectDef, Any] | RecordError]:
    account, contact = sobject(org, "Account"), sobject(org, "Contact")
    bodies: list[tuple[SObjectDef, dict[str, Any]]] = [
        (account, {"Name": "First", "Industry": "Retail", "Concord_Id__c": "K-1"}),
        (account, {"Industry": "Retail"}),  # no Name
        (account, {"Name": "Same key, other case", "Concord_Id__c": "k-1"}),  # taken by the first
        (account, {"Name": "Key of a stored record", "Concord_Id__c": "taken-1"}),
        (account, {"Name": "Bad picklist", "Industry": "Space travel"}),
        (account, {"Name": "Read-only field", "CreatedDate": "2020-01-01T00:00:00Z"}),
        (contact, {"LastName": "Works", "AccountId": refs["holder"]}),
        (contact, {"LastName": "Deleted parent", "AccountId": refs["gone"]}),
        (contact, {"LastName": "Wrong type", "AccountId": USER}),
        (contact, {"LastName": "No such parent", "AccountId": refs["holder"][:9] + "ZZZZZZ"}),
        (account, {"Name": "Second", "Concord_Id__c": "K-2"}),
        (contact, {"LastName": "Child of the holder", "AccountId": refs["holder"]}),
    ]
    items: list[tuple[SObjectDef, Any] | RecordError] = list(bodies)
    items.insert(3, RecordError("INVALID_TYPE", "Must send a concrete entity type."))
    return items


def one_by_one(
    org: SalesforceOrg, items: list[tuple[SObjectDef, Any] | RecordError], ctx: CallContext, all_or_none: bool
) -> list[Outcome]:
    """What the collections route did before the batched path: ``create`` per record."""
    outcomes: list[Outcome] = []
    with org.repo.transaction():
        for item in items:
            if isinstance(item, RecordError):
                outcomes.append(item)
                continue
            try:
                outcomes.append(org.records.create(*item, ctx if all_or_none else ctx.new_transaction()))
            except RecordError as error:
                outcomes.append(error)
        if all_or_none and any(isinstance(o, RecordError) for o in outcomes):
            raise _Abandon(outcomes)
    return outcomes


class _Abandon(Exception):
    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes


def run_one_by_one(
    org: SalesforceOrg, items: list[tuple[SObjectDef, Any] | RecordError], all_or_none: bool
) -> list[Outcome]:
    try:
        return one_by_one(org, items, CallContext(USER, "60.0", client="sync"), all_or_none)
    except _Abandon as abandoned:
        return abandoned.outcomes


def normalized(org: SalesforceOrg, outcomes: list[Outcome], refs: dict[str, str]) -> list[Any]:
    """Outcomes, records and change events with ids numbered by first appearance (they are made from the
    wall clock) and the per-transaction random parts reduced to whether they repeat."""
    names: dict[str, str] = {value: key for key, value in refs.items()}

    def name(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"<id{len(names)}>")

    def text(value: Any) -> str:
        return _ID.sub(name, repr(value))

    shown = [text(o.item) if isinstance(o, RecordError) else text(o) for o in outcomes]
    stored = {
        kind: sorted(text(record) for record in org.repo.scan(kind, include_deleted=True))
        for kind in ("Account", "Contact")
    }
    keys: dict[str, int] = {}
    events = []
    for replay_id, entity, payload in org.changes.stored():
        header = dict(payload["ChangeEventHeader"])
        header["transactionKey"] = keys.setdefault(header["transactionKey"], len(keys))
        header.pop("commitNumber")
        events.append(text((replay_id, entity, {**payload, "ChangeEventHeader": header})))
    # What a subscriber pulls: every event through the transport's reader, rendered.
    pulled = org.changes.read(None, 0, 10_000)
    rendered = [text(event) for event in _without_commit_parts(pulled.events)]
    return [shown, stored, events, rendered, pulled.latest_replay_id]


def _without_commit_parts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys: dict[str, int] = {}
    out = []
    for event in events:
        header = dict(event["data"]["payload"]["ChangeEventHeader"])
        header["transactionKey"] = keys.setdefault(header["transactionKey"], len(keys))
        header.pop("commitNumber")
        payload = {**event["data"]["payload"], "ChangeEventHeader": header}
        out.append({**event, "data": {**event["data"], "payload": payload}})
    return out


def valid_batch(org: SalesforceOrg, refs: dict[str, str]) -> list[tuple[SObjectDef, Any] | RecordError]:
    account, contact = sobject(org, "Account"), sobject(org, "Contact")
    return [
        (account, {"Name": "First", "Concord_Id__c": "K-1"}),
        (contact, {"LastName": "Child", "AccountId": refs["holder"]}),
        (account, {"Name": "Second", "Concord_Id__c": "K-2", "Industry": "Retail"}),
    ]


Batch = Callable[[SalesforceOrg, dict[str, str]], list[tuple[SObjectDef, Any] | RecordError]]


@pytest.mark.parametrize(
    ("make", "all_or_none", "kept"),
    [(batch, False, True), (valid_batch, False, True), (valid_batch, True, True), (batch, True, False)],
)
def test_batched_create_has_the_one_by_one_outcome(make: Batch, all_or_none: bool, kept: bool) -> None:
    batched, reference = fresh_org(), fresh_org()
    batched_refs, reference_refs = seeded(batched), seeded(reference)

    outcomes = batched.records.create_each(
        make(batched, batched_refs), CallContext(USER, "60.0", client="sync"), all_or_none=all_or_none
    )
    expected = run_one_by_one(reference, make(reference, reference_refs), all_or_none)

    assert outcomes is not None
    assert normalized(batched, outcomes, batched_refs) == normalized(reference, expected, reference_refs)
    created = sum(isinstance(outcome, str) for outcome in outcomes)
    assert created >= 3
    stored = len(batched.repo.scan("Account")) + len(batched.repo.scan("Contact"))
    assert stored == 1 + (created if kept else 0)


def test_a_parent_given_by_external_id_takes_the_one_by_one_path() -> None:
    org = fresh_org()
    account, contact = sobject(org, "Account"), sobject(org, "Contact")
    items: list[tuple[SObjectDef, Any] | RecordError] = [
        (account, {"Name": "Parent", "Concord_Id__c": "P-1"}),
        (contact, {"LastName": "Child", "Account": {"Concord_Id__c": "P-1"}}),
    ]

    assert org.records.create_each(items, CallContext(USER, "60.0"), all_or_none=False) is None
    assert org.repo.scan("Account") == []  # nothing written on the way


def test_collections_create_over_http_links_children_and_emits_one_event_per_record(org: Org) -> None:
    parent = org.create("Account", Name="Parent", Concord_Id__c="P-1")
    records = [
        {"attributes": {"type": "Contact"}, "LastName": "By id", "AccountId": parent},
        {"attributes": {"type": "Contact"}, "LastName": "By key", "Account": {"Concord_Id__c": "p-1"}},
        {"attributes": {"type": "Account"}, "Name": "Plain"},
    ]
    results = org.ok("POST", "composite/sobjects", json={"records": records})
    atomic = org.ok(
        "POST",
        "composite/sobjects",
        json={
            "allOrNone": True,
            "records": [{"attributes": {"type": "Account"}, "Name": f"A{n}"} for n in (1, 2)],
        },
    )

    assert [r["success"] for r in results + atomic] == [True] * 5
    app_org: SalesforceOrg = org.server.app.state.salesforce
    children = app_org.repo.find_by(sobject(app_org, "Contact"), "AccountId", parent)
    assert sorted(str(c["LastName"]) for c in children) == ["By id", "By key"]
    events = org.ok("GET", "sandbox-cdc/ChangeEvents", params={"replayId": -2})["events"]
    heads = [e["data"]["payload"]["ChangeEventHeader"] for e in events]
    assert [h["recordIds"][0] for h in heads] == [parent] + [r["id"] for r in results + atomic]
    replay_ids = [e["data"]["event"]["replayId"] for e in events]
    assert replay_ids == list(range(replay_ids[0], replay_ids[0] + 6))
    # allOrNone false: each record its own transaction; true: one transaction, sequenced.
    assert len({h["transactionKey"] for h in heads[1:4]}) == 3
    assert [h["sequenceNumber"] for h in heads[1:4]] == [1, 1, 1]
    assert heads[4]["transactionKey"] == heads[5]["transactionKey"]
    assert [h["sequenceNumber"] for h in heads[4:]] == [1, 2]
