"""Change events: one per create, update, delete and undelete, with the CDC header and payload, pulled
by replay id from the sandbox transport (with long-poll)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sf_support import API, CLIENT_ID, CLIENT_SECRET, Org, password_token

from concord.sandbox.core import EmulatorSettings, start_in_thread
from concord.sandbox.salesforce import create_app


def pull(org: Org, channel: str = "ChangeEvents", **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = org.ok("GET", f"sandbox-cdc/{channel}", params={"replayId": -2, **params})
    return body


def headers(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (
            e["data"]["payload"]["ChangeEventHeader"]["entityName"],
            e["data"]["payload"]["ChangeEventHeader"]["changeType"],
        )
        for e in events
    ]


def test_lifecycle_events_carry_the_cdc_header_and_values(org: Org) -> None:
    options = {"Sforce-Call-Options": "client=concord-sync"}
    account = org.ok(
        "POST", "sobjects/Account", 201, json={"Name": "Acme", "BillingCountry": "DE"}, headers=options
    )["id"]
    org.ok("PATCH", f"sobjects/Account/{account}", 204, json={"Name": "Acme Corp", "BillingCountry": None})
    org.ok(
        "PATCH", f"sobjects/Account/{account}", 204, json={"Name": "Acme Corp"}
    )  # changes nothing: no event
    org.ok("DELETE", f"sobjects/Account/{account}", 204)
    org.client.post(f"/__sandbox/salesforce/undelete/{account}")

    page = pull(org, "AccountChangeEvent")
    events = page["events"]
    assert headers(events) == [("Account", t) for t in ("CREATE", "UPDATE", "DELETE", "UNDELETE")]
    assert [e["data"]["event"]["replayId"] for e in events] == [1, 2, 3, 4]
    assert page["channel"] == "/data/AccountChangeEvent" and page["latestReplayId"] == 4
    assert all(e["channel"] == "/data/AccountChangeEvent" for e in events)

    created = events[0]["data"]["payload"]
    header = created["ChangeEventHeader"]
    assert header["recordIds"] == [account] and header["sequenceNumber"] == 1
    assert header["changeOrigin"] == "com/salesforce/api/rest/59.0;client=concord-sync"
    assert header["commitUser"].startswith("005") and isinstance(header["commitTimestamp"], int)
    assert (created["Name"], created["BillingCountry"]) == ("Acme", "DE")
    assert created["CreatedDate"].endswith("Z")

    updated = events[1]["data"]["payload"]
    assert updated["ChangeEventHeader"]["changedFields"] == ["Name", "BillingCountry", "LastModifiedDate"]
    assert updated["ChangeEventHeader"]["nulledFields"] == ["BillingCountry"]
    assert (updated["Name"], updated["BillingCountry"]) == ("Acme Corp", None)
    assert "Industry" not in updated
    assert set(events[2]["data"]["payload"]) == {"ChangeEventHeader"}
    assert events[3]["data"]["payload"]["Name"] == "Acme Corp"


def test_replay_resumes_and_channels_filter(org: Org) -> None:
    opportunity = {"StageName": "Prospecting", "CloseDate": "2026-05-01"}
    org.create("Account", Name="A")
    org.create("Opportunity", Name="O1", **opportunity)
    org.create("Account", Name="B")
    first = pull(org, "OpportunityChangeEvent", limit=10)
    assert headers(first["events"]) == [("Opportunity", "CREATE")] and first["latestReplayId"] == 3
    assert pull(org, "OpportunityChangeEvent", replayId=first["latestReplayId"])["events"] == []

    everything = pull(org, limit=2)
    assert [e["data"]["event"]["replayId"] for e in everything["events"]] == [1, 2]
    rest = pull(org, replayId=everything["latestReplayId"])
    assert [e["data"]["payload"]["Name"] for e in rest["events"]] == ["B"]
    assert pull(org, replayId=-1)["events"] == []

    assert org.call("GET", "sandbox-cdc/InvoiceChangeEvent").status_code == 404
    anonymous = org.client.get(f"{API}/sandbox-cdc/ChangeEvents", headers={"Authorization": "Bearer x"})
    assert anonymous.status_code == 401


def test_roll_up_and_cascade_produce_their_own_events(org: Org) -> None:
    opportunity = org.create("Opportunity", Name="Deal", StageName="Prospecting", CloseDate="2026-05-01")
    org.create("OpportunityLineItem", OpportunityId=opportunity, Quantity=2, UnitPrice=100)
    org.ok("DELETE", f"sobjects/Opportunity/{opportunity}", 204)
    events = pull(org)["events"]
    assert headers(events) == [
        ("Opportunity", "CREATE"),
        ("OpportunityLineItem", "CREATE"),
        ("Opportunity", "UPDATE"),
        ("OpportunityLineItem", "DELETE"),
        ("Opportunity", "DELETE"),
    ]
    roll_up = events[2]["data"]["payload"]
    assert roll_up["Amount"] == 200 and "Amount" in roll_up["ChangeEventHeader"]["changedFields"]
    # The line item and the roll-up it caused share a transaction.
    keys = [e["data"]["payload"]["ChangeEventHeader"]["transactionKey"] for e in events[1:3]]
    assert keys[0] == keys[1]


def test_long_poll_returns_when_an_event_arrives(org: Org) -> None:
    seeded = org.seed("Account", [{"Name": "Quiet"}])
    assert seeded and pull(org)["events"] == []  # seeding emits no events by default

    def write_later() -> None:
        time.sleep(0.3)
        org.create("Account", Name="Arrived")

    writer = threading.Thread(target=write_later)
    started = time.monotonic()
    writer.start()
    page = pull(org, "AccountChangeEvent", replayId=-1, wait=10)
    writer.join()
    assert [e["data"]["payload"]["Name"] for e in page["events"]] == ["Arrived"]
    assert 0.2 < time.monotonic() - started < 5


def test_records_and_change_log_survive_a_restart(tmp_path: Path) -> None:
    settings = EmulatorSettings(name="salesforce", data_dir=tmp_path, credentials={CLIENT_ID: CLIENT_SECRET})
    with start_in_thread(create_app(settings)) as first, httpx.Client(base_url=first.base_url) as client:
        client.headers["Authorization"] = f"Bearer {password_token(client)['access_token']}"
        created = client.post(f"{API}/sobjects/Account", json={"Name": "Durable"}).json()["id"]
    with start_in_thread(create_app(settings)) as second, httpx.Client(base_url=second.base_url) as client:
        client.headers["Authorization"] = f"Bearer {password_token(client)['access_token']}"
        assert client.get(f"{API}/sobjects/Account/{created}").json()["Name"] == "Durable"
        client.post(f"{API}/sobjects/Account", json={"Name": "After restart"})
        events = client.get(f"{API}/sandbox-cdc/AccountChangeEvent", params={"replayId": -2}).json()["events"]
    assert [(e["data"]["event"]["replayId"], e["data"]["payload"]["Name"]) for e in events] == [
        (1, "Durable"),
        (2, "After restart"),
    ]
