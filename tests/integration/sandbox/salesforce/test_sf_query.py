"""SOQL over HTTP: the supported subset's semantics, errors in the platform's style, and paging."""

from __future__ import annotations

from typing import Any

import pytest
from sf_support import API, Org


def names(result: dict[str, Any]) -> list[str]:
    return [record["Name"] for record in result["records"]]


@pytest.fixture
def deals(org: Org) -> Org:
    """Two accounts and five opportunities with varied stages, amounts, dates and nulls."""
    acme = org.create("Account", Name="Acme", BillingCountry="DE")
    globex = org.create("Account", Name="Globex")
    rows = [
        ("Alpha", "Prospecting", "2026-01-15", "100.50", acme, "Advisory"),
        ("bravo", "Closed Won", "2026-02-01", "2500", acme, "Implementation"),
        ("Charlie_1", "Closed Lost", "2026-02-28", None, globex, None),
        ("Delta 50%", "Negotiation/Review", "2026-03-31", "999.99", None, "Advisory"),
        ("Echo", "Closed Won", "2025-12-31", "0", globex, "Training"),
    ]
    for name, stage, close, amount, account, line in rows:
        fields: dict[str, Any] = {"Name": name, "StageName": stage, "CloseDate": close}
        fields.update(
            {k: v for k, v in (("Amount", amount), ("AccountId", account), ("Service_Line__c", line)) if v}
        )
        org.create("Opportunity", **fields)
    return org


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Name = 'BRAVO'", ["bravo"]),
        ("Name != 'bravo'", ["Alpha", "Charlie_1", "Delta 50%", "Echo"]),
        ("Amount > 100.5", ["bravo", "Delta 50%"]),
        ("Amount >= 100.5 AND Amount <= 999.99", ["Alpha", "Delta 50%"]),
        ("Amount = null", ["Charlie_1"]),
        ("Service_Line__c != null", ["Alpha", "bravo", "Delta 50%", "Echo"]),
        ("Service_Line__c != 'Advisory'", ["bravo", "Charlie_1", "Echo"]),
        ("Service_Line__c NOT IN ('Advisory', 'Training')", ["bravo", "Charlie_1"]),
        ("StageName IN ('closed won', 'Closed Lost')", ["bravo", "Charlie_1", "Echo"]),
        ("Name LIKE 'a%'", ["Alpha"]),
        ("Name LIKE '%a%'", ["Alpha", "bravo", "Charlie_1", "Delta 50%"]),
        ("Name LIKE 'Charlie\\_%'", ["Charlie_1"]),
        ("Name LIKE '%50\\%'", ["Delta 50%"]),
        ("Name LIKE '_cho'", ["Echo"]),
        ("NOT Name LIKE '%a%'", ["Echo"]),
        ("(StageName = 'Closed Won' OR Amount > 900) AND NOT (Name = 'Echo')", ["bravo", "Delta 50%"]),
        ("StageName = 'Closed Won' AND (Amount = 0 OR Amount = null)", ["Echo"]),
        ("CloseDate >= 2026-02-01 AND CloseDate < 2026-03-01", ["bravo", "Charlie_1"]),
        ("CloseDate > 2026-02-28", ["Delta 50%"]),
        ("IsWon = true", ["bravo", "Echo"]),
        ("IsClosed = false", ["Alpha", "Delta 50%"]),
        ("Account.Name = 'acme'", ["Alpha", "bravo"]),
        ("Account.BillingCountry = null", ["Charlie_1", "Delta 50%", "Echo"]),
    ],
)
def test_where_semantics(deals: Org, where: str, expected: list[str]) -> None:
    result = deals.query(f"SELECT Name FROM Opportunity WHERE {where} ORDER BY Name")
    assert names(result) == expected
    assert result["totalSize"] == len(expected) and result["done"] is True


def test_order_by_limit_offset_count_and_relationships(deals: Org) -> None:
    ordered = deals.query("SELECT Name, Amount FROM Opportunity ORDER BY Amount DESC NULLS LAST, Name")
    assert names(ordered) == ["bravo", "Delta 50%", "Alpha", "Echo", "Charlie_1"]
    assert [r["Amount"] for r in ordered["records"]] == [2500, 999.99, 100.5, 0, None]
    nulls_first = deals.query("SELECT Name FROM Opportunity ORDER BY Amount ASC, Name DESC LIMIT 2")
    assert names(nulls_first) == ["Charlie_1", "Echo"]
    page = deals.query("SELECT Name FROM Opportunity ORDER BY CloseDate DESC LIMIT 2 OFFSET 1")
    assert names(page) == ["Charlie_1", "bravo"]
    assert deals.query("SELECT COUNT() FROM Opportunity WHERE IsWon = true") == {
        "totalSize": 2,
        "done": True,
        "records": [],
    }

    row = deals.query("SELECT Name, Account.Name, Owner.Username FROM Opportunity WHERE Name = 'Alpha'")[
        "records"
    ][0]
    assert row["Account"]["Name"] == "Acme" and row["Account"]["attributes"]["type"] == "Account"
    assert row["Owner"]["Username"] == "integration@concord.sandbox"
    orphan = deals.query("SELECT Name, Account.Name FROM Opportunity WHERE Name = 'Delta 50%'")["records"][0]
    assert orphan["Account"] is None

    accounts = deals.query(
        "SELECT Name, (SELECT Name FROM Opportunities WHERE IsWon = true ORDER BY Name) "
        "FROM Account ORDER BY Name"
    )["records"]
    assert [(a["Name"], a["Opportunities"] and names(a["Opportunities"])) for a in accounts] == [
        ("Acme", ["bravo"]),
        ("Globex", ["Echo"]),
    ]


def test_date_literals_follow_the_emulator_clock(deals: Org) -> None:
    deals.admin("PUT", "clock", json={"now": "2026-02-10T08:00:00Z", "frozen": True})
    assert names(deals.query("SELECT Name FROM Opportunity WHERE CloseDate = THIS_MONTH ORDER BY Name")) == [
        "bravo",
        "Charlie_1",
    ]
    assert names(deals.query("SELECT Name FROM Opportunity WHERE CloseDate < THIS_YEAR")) == ["Echo"]
    assert names(
        deals.query("SELECT Name FROM Opportunity WHERE CloseDate = LAST_N_DAYS:30 ORDER BY Name")
    ) == [
        "Alpha",
        "bravo",
    ]
    assert names(deals.query("SELECT Name FROM Opportunity WHERE CloseDate = NEXT_N_DAYS:20")) == [
        "Charlie_1"
    ]
    later = deals.create("Account", Name="Later")
    stamp = deals.ok("GET", f"sobjects/Account/{later}")["SystemModstamp"]
    assert stamp == "2026-02-10T08:00:00.000+0000"
    # The fixture's accounts were stamped in real time, after this simulated February.
    incremental = deals.query(
        "SELECT Name FROM Account WHERE SystemModstamp >= 2026-02-10T08:00:00Z "
        "AND SystemModstamp < 2026-02-11T00:00:00Z ORDER BY SystemModstamp"
    )
    assert names(incremental) == ["Later"]
    with_offset = deals.query(
        "SELECT Name FROM Account "
        "WHERE CreatedDate > 2026-02-10T08:30:00+01:00 AND CreatedDate < 2026-02-10T09:00:00Z"
    )
    assert names(with_offset) == ["Later"]
    assert deals.query("SELECT Name FROM Account WHERE CreatedDate = TODAY")["totalSize"] == 1


@pytest.mark.parametrize(
    ("soql", "code", "tail"),
    [
        ("SELECT Id FORM Account", "MALFORMED_QUERY", "ERROR at Row:1:Column:11\nunexpected token: FORM"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY", "unexpected token: '<EOF>'"),
        (
            "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
            "MALFORMED_QUERY",
            "unexpected token: OR",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 'unterminated",
            "MALFORMED_QUERY",
            "mismatched character '<EOF>'",
        ),
        ("SELECT Id, Nmae FROM Account", "INVALID_FIELD", "No such column 'Nmae' on entity 'Account'."),
        ("SELECT Id FROM Acount", "INVALID_TYPE", "sObject type 'Acount' is not supported."),
        (
            "SELECT Id FROM Account WHERE Name = 5",
            "INVALID_FIELD",
            "must be of type string and should be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE Amount > '5'",
            "INVALID_FIELD",
            "must be of type currency and should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Opportunity WHERE CloseDate > 2026-01-01T00:00:00Z",
            "INVALID_FIELD",
            "must be of type date",
        ),
        (
            "SELECT Id FROM Account WHERE CreatedDate > 2026-01-01",
            "INVALID_FIELD",
            "must be of type dateTime",
        ),
        ("SELECT Id FROM Account WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR", "invalid ID field: abc"),
        (
            "SELECT Id FROM Account LIMIT 1 OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
        ("SELECT Name FROM Account GROUP BY Name", "MALFORMED_QUERY", "unexpected token: GROUP"),
    ],
)
def test_bad_queries_get_platform_errors(org: Org, soql: str, code: str, tail: str) -> None:
    response = org.call("GET", "query", params={"q": soql})
    assert response.status_code == 400, response.text
    [body] = response.json()
    assert body["errorCode"] == code
    assert tail in body["message"]


def test_malformed_query_message_points_at_the_token(org: Org) -> None:
    [body] = org.call("GET", "query", params={"q": "SELECT Id FORM Account"}).json()
    assert (
        body["message"]
        == "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: FORM"
    )


def test_paging_with_batch_size_and_query_all(org: Org) -> None:
    ids = org.seed("Account", [{"Name": f"Firm {n:03d}"} for n in range(250)])
    first = org.query(
        "SELECT Name FROM Account ORDER BY Name", headers={"Sforce-Query-Options": "batchSize=100"}
    )
    # The platform's minimum batch is 200.
    assert (first["totalSize"], first["done"], len(first["records"])) == (250, False, 200)
    next_url = first["nextRecordsUrl"]
    assert next_url.startswith(f"{API}/query/01g") and next_url.endswith("-200")
    second = org.client.get(next_url).json()
    assert (second["done"], len(second["records"]), second["records"][-1]["Name"]) == (True, 50, "Firm 249")
    assert "nextRecordsUrl" not in second
    stale = org.client.get(next_url)
    assert stale.status_code == 400 and stale.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"

    org.ok("DELETE", f"sobjects/Account/{ids[0]}", 204)
    assert org.query("SELECT COUNT() FROM Account")["totalSize"] == 249
    everything = org.ok(
        "GET", "queryAll", params={"q": "SELECT Name, IsDeleted FROM Account WHERE IsDeleted = true"}
    )
    assert everything["records"][0]["Name"] == "Firm 000" and everything["totalSize"] == 1
