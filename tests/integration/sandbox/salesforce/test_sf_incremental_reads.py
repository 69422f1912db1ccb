"""Incremental reads as a change poll makes them: a ``SystemModstamp`` bound reads only recent records but
answers exactly what a full read answers, pages rendered when asked for match one whole answer, and a
batch upsert keeps each record's outcome its own."""

from __future__ import annotations

from typing import Any

from sf_support import Org

FIELDS = "Id, Name, SystemModstamp, IsDeleted"


def _history(org: Org) -> dict[str, list[str]]:
    """Accounts written at three moments, one of them changed and one deleted later."""
    ids: dict[str, list[str]] = {}
    for hour in ("08", "09", "10"):
        org.admin("PUT", "clock", json={"now": f"2026-06-01T{hour}:00:00Z", "frozen": True})
        ids[hour] = org.seed("Account", [{"Name": f"Account {hour}-{n}"} for n in range(3)])
    org.admin("PUT", "clock", json={"now": "2026-06-01T11:00:00Z", "frozen": True})
    org.ok("PATCH", f"sobjects/Account/{ids['08'][1]}", 204, json={"Name": "Renamed"})
    org.ok("DELETE", f"sobjects/Account/{ids['09'][0]}", 204)
    return ids


def _all(org: Org, soql: str, resource: str = "queryAll", **headers: str) -> list[dict[str, Any]]:
    body = org.ok("GET", resource, params={"q": soql}, headers=headers)
    records: list[dict[str, Any]] = body["records"]
    while not body["done"]:
        body = org.client.get(body["nextRecordsUrl"], headers=headers).json()
        records += body["records"]
    return records


def test_a_modstamp_bound_answers_what_a_full_read_answers(org: Org) -> None:
    ids = _history(org)
    for order in (" ORDER BY SystemModstamp ASC, Id ASC", ""):  # without ORDER BY: the store's id order
        for bound in ("2026-06-01T09:00:00Z", "2026-06-01T09:00:01Z", "2026-06-01T11:00:00Z"):
            for op in (">=", ">", "="):
                where = f"SystemModstamp {op} {bound}"
                bounded = _all(org, f"SELECT {FIELDS} FROM Account WHERE {where}{order}")
                # An OR defeats the narrowing: the same condition over every record.
                full = _all(org, f"SELECT {FIELDS} FROM Account WHERE ({where} OR Name = 'none'){order}")
                assert bounded == full, (op, bound, order)
    order = " ORDER BY SystemModstamp ASC, Id ASC"
    since = "SystemModstamp >= 2026-06-01T09:00:00Z"
    since_nine = _all(org, f"SELECT {FIELDS} FROM Account WHERE {since}{order}")
    assert [r["Id"] for r in since_nine] == [*ids["09"][1:], *ids["10"], ids["08"][1], ids["09"][0]]
    assert since_nine[-1]["IsDeleted"] is True and since_nine[-2]["Name"] == "Renamed"
    live = _all(org, f"SELECT Id FROM Account WHERE {since}{order}", "query")
    assert ids["09"][0] not in [r["Id"] for r in live]


def test_pages_rendered_when_asked_match_one_whole_answer(org: Org) -> None:
    org.seed("Account", [{"Name": f"Paged {n:04d}", "NumberOfEmployees": n} for n in range(450)])
    soql = "SELECT Id, Name, NumberOfEmployees FROM Account ORDER BY Name"
    whole = _all(org, soql, "query")
    paged = _all(org, soql, "query", **{"Sforce-Query-Options": "batchSize=200"})
    assert len(whole) == 450 and paged == whole
    assert [r["Name"] for r in paged[:2]] == ["Paged 0000", "Paged 0001"]


def test_a_batch_upsert_without_all_or_none_keeps_each_outcome_its_own(org: Org) -> None:
    records = [
        {"attributes": {"type": "Account"}, "Name": "Kept 1", "Concord_Id__c": "G-1"},
        {"attributes": {"type": "Account"}, "Name": "N" * 300, "Concord_Id__c": "G-2"},
        {"attributes": {"type": "Account"}, "Name": "Kept 3", "Concord_Id__c": "G-3"},
    ]
    answer = org.ok(
        "PATCH",
        "composite/sobjects/Account/Concord_Id__c",
        json={"allOrNone": False, "records": records},
    )
    assert [r["success"] for r in answer] == [True, False, True]
    names = [r["Name"] for r in org.query("SELECT Name FROM Account ORDER BY Name")["records"]]
    assert names == ["Kept 1", "Kept 3"]
