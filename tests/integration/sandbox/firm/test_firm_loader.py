"""Loading a small firm into the three emulators over HTTP, then reading it back through their APIs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from firm_support import Reader, running_sandbox

from concord.sandbox.firm import DirtyKind, Firm, company_core, generate_firm
from concord.sandbox.firm.gen_reference import ORPHAN_REGIONS
from concord.sandbox.firm.load import LoadResult, load_firm

AS_OF = date(2026, 3, 18)


@dataclass(frozen=True)
class Seeded:
    firm: Firm
    result: LoadResult
    reader: Reader
    load_s: float


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    data_dir: Path = tmp_path_factory.mktemp("sandbox")
    firm = generate_firm("small", 11, AS_OF)
    with running_sandbox(data_dir) as access:
        started = time.perf_counter()
        result = load_firm(firm, access)
        elapsed = time.perf_counter() - started
        reader = Reader(access)
        yield Seeded(firm, result, reader, elapsed)
        reader.close()


def test_small_seeds_in_seconds(seeded: Seeded) -> None:
    # Generous bound: the machine is shared; a quiet 2-core box loads `small` in about 3 s.
    assert seeded.load_s < 30, f"loading the small firm took {seeded.load_s:.1f} s"
    assert seeded.result.requests < 600


def test_every_record_is_in_its_system(seeded: Seeded) -> None:
    firm, read = seeded.firm, seeded.reader
    accounts = read.soql("SELECT Id, Name FROM Account")
    assert len(accounts) == len(firm.accounts)
    assert len(read.soql("SELECT Id FROM Contact")) == len(firm.contacts)
    assert len(read.soql("SELECT Id FROM Opportunity")) == len(firm.opportunities)
    lines = sum(len(o.line_items) for o in firm.opportunities)
    assert len(read.soql("SELECT Id FROM OpportunityLineItem")) == lines
    # Kantata: the admin user the token acts for is there too.
    assert read.kantata("users.json", per_page=1)["count"] == len(firm.employees) + 1
    assert read.kantata("workspaces.json", per_page=1)["count"] == len(firm.projects)
    assert read.kantata("time_entries.json", per_page=1)["count"] == len(firm.time_entries)
    assert read.kantata("timesheet_submissions.json", per_page=1)["count"] >= len(firm.submissions)
    assert len(read.suiteql("SELECT id FROM employee")) == len(firm.employees)
    assert len(read.suiteql("SELECT id FROM customer")) == len(firm.erp_customers)
    assert len(read.suiteql("SELECT id FROM subsidiary")) == len(firm.legal_entities) + 1


def test_the_crm_holds_deals_as_generated(seeded: Seeded) -> None:
    rows = seeded.reader.soql(
        "SELECT Name, StageName, Amount, Region__c, Pricing_Model__c, Service_Line__c, Delivery_Template__c, "
        "Expected_Start__c FROM Opportunity"
    )
    by_name = {row["Name"]: row for row in rows}
    for deal in seeded.firm.opportunities:
        row = by_name[deal.name]
        assert row["StageName"] == deal.stage and row["Region__c"] == deal.region
        assert row["Amount"] == deal.amount
        assert row["Expected_Start__c"] == deal.expected_start.isoformat()
        assert row["Service_Line__c"] and row["Pricing_Model__c"] and row["Delivery_Template__c"]


def test_every_netsuite_customer_nearly_matches_a_salesforce_account(seeded: Seeded) -> None:
    crm = {company_core(row["Name"]): row["Name"] for row in seeded.reader.soql("SELECT Name FROM Account")}
    erp = [row["companyname"] for row in seeded.reader.suiteql("SELECT companyname FROM customer")]
    assert erp and all(company_core(name) in crm for name in erp)
    assert any(crm[company_core(name)] != name for name in erp), "some names were keyed differently"


def test_employees_match_across_kantata_and_netsuite_by_email(seeded: Seeded) -> None:
    kantata = seeded.reader.kantata("users.json", per_page=200)
    emails = {user["email_address"] for user in kantata["users"].values()}
    netsuite = seeded.reader.suiteql("SELECT email, externalid FROM employee")
    assert {row["email"] for row in netsuite} <= emails
    assert {row["externalid"] for row in netsuite} == {e.number for e in seeded.firm.employees}


def test_past_accounting_periods_are_closed_in_netsuite(seeded: Seeded) -> None:
    rows = seeded.reader.suiteql("SELECT periodname, closed FROM accountingperiod")
    closed = {row["periodname"] for row in rows if row["closed"] in (True, "T")}
    assert {"Feb 2026", "Jan 2026", "Dec 2025", "FY 2025"} <= closed
    assert "Mar 2026" not in closed and "FY 2026" not in closed


def test_the_dirty_cases_are_present_in_the_emulators(seeded: Seeded) -> None:
    read, firm = seeded.reader, seeded.firm
    cases = seeded.result.manifest(firm)
    assert {case["kind"] for case in cases} == {kind.value for kind in DirtyKind}
    edits = {edit.entry_key: edit for edit in firm.edits}
    for case in cases:
        kind = DirtyKind(case["kind"])
        if kind in (DirtyKind.CUSTOMER_WITHOUT_TAX_PROFILE, DirtyKind.REGION_WITHOUT_LEGAL_ENTITY):
            deal = read.sobject("Opportunity", case["id"])
            account = read.sobject("Account", deal["AccountId"])
            assert deal["StageName"] == "Closed Won" and not deal["PSA_Project_Id__c"]
            if kind is DirtyKind.CUSTOMER_WITHOUT_TAX_PROFILE:
                assert account["Tax_Profile__c"] is None and account["Tax_Id__c"] is None
            else:
                assert deal["Region__c"] in ORPHAN_REGIONS and account["Tax_Profile__c"]
        elif kind is DirtyKind.TIME_ON_CLOSED_PROJECT:
            entry = read.kantata_one("time_entries", case["id"])
            workspace = read.kantata_one("workspaces", entry["workspace_id"])
            assert entry["approved"] is True
            assert (
                workspace["status"]["message"] == "Completed"
                and workspace["due_date"] < entry["date_performed"]
            )
        elif kind is DirtyKind.DUPLICATE_SUBMISSION:
            copy = read.kantata_one("time_entries", case["id"])
            original_id = next(v["id"] for k, v in case["related"].items() if k.startswith("T-"))
            original = read.kantata_one("time_entries", original_id)
            fields = ("workspace_id", "user_id", "date_performed", "time_in_minutes", "notes", "approved")
            assert [copy[f] for f in fields] == [original[f] for f in fields] and copy["approved"] is True
        elif kind is DirtyKind.EDITED_AFTER_APPROVAL:
            entry = read.kantata_one("time_entries", case["id"])
            assert entry["approved"] is True and entry["time_in_minutes"] == edits[case["key"]].edited_minutes
            updates = read.kantata(
                "subscribed_events.json",
                event_types="time_entry:updated",
                subject_type="TimeEntry",
                subject_id=case["id"],
                per_page=50,
            )
            assert updates["count"] >= 1
        else:
            versions = read.kantata("rate_card_versions.json", rate_card_id=case["id"])
            effective = sorted(v["effective_date"] for v in versions["rate_card_versions"].values())
            card = next(c for c in firm.rate_cards if c.key == case["key"])
            assert effective == [v.effective.isoformat() for v in card.versions] and len(effective) == 2
