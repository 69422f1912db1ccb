"""The firm generator: deterministic, sized as asked, coherent across systems, dirty on purpose."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from concord.domain.objects.enums import PricingModel, ProjectStatus, TimeEntryStatus
from concord.sandbox.firm import DirtyKind, Firm, company_core, fingerprint, firm_to_json, generate_firm
from concord.sandbox.firm.gen_reference import ENTITIES, ORPHAN_REGIONS, close_cutoff

AS_OF = date(2026, 3, 18)


@pytest.fixture(scope="module")
def small() -> Firm:
    return generate_firm("small", 42, AS_OF)


@pytest.fixture(scope="module")
def mid() -> Firm:
    return generate_firm("mid", 42, AS_OF)


def test_the_same_seed_gives_byte_identical_firms_and_another_seed_a_different_one(small: Firm) -> None:
    again = generate_firm("small", 42, AS_OF)
    assert firm_to_json(again) == firm_to_json(small)
    assert fingerprint(again) == fingerprint(small)
    other = generate_firm("small", 43, AS_OF)
    assert fingerprint(other) != fingerprint(small)
    assert [a.name for a in other.accounts] != [a.name for a in small.accounts]
    assert fingerprint(generate_firm("small", 42, date(2026, 3, 19))) != fingerprint(small)


def test_another_process_with_another_hash_seed_generates_the_same_bytes(small: Firm) -> None:
    script = (
        "from datetime import date; from concord.sandbox.firm import generate_firm, fingerprint; "
        "print(fingerprint(generate_firm('small', 42, date(2026, 3, 18))))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == fingerprint(small)


def test_mid_has_the_dimensions_of_domain_section_7(mid: Firm) -> None:
    assert [e.code for e in mid.legal_entities] == ["US", "UK", "DE"]
    assert len(mid.employees) == 500
    assert len(mid.accounts) == 300
    won_per_month = Counter(
        (o.close_date.year, o.close_date.month) for o in mid.opportunities if o.stage == "Closed Won"
    )
    assert won_per_month[(2026, 1)] == won_per_month[(2026, 2)] == 40
    assert {o.pricing_model for o in mid.opportunities} == set(PricingModel)
    stages = Counter(o.stage for o in mid.opportunities)
    assert stages["Closed Lost"] == 60 and len(stages) >= 8
    counts = Counter(case.kind for case in mid.manifest)
    assert counts == {kind: 3 for kind in DirtyKind}


def test_small_is_small(small: Firm) -> None:
    counts = small.counts()
    assert counts["legal_entities"] == 2 and counts["employees"] == 40 and counts["accounts"] == 30
    assert 30 <= counts["opportunities"] <= 50
    assert {case.kind for case in small.manifest} == set(DirtyKind)


def test_unknown_size_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="small, mid, large"):
        generate_firm("huge", 1)


def test_crm_records_are_coherent(mid: Firm) -> None:
    accounts = {a.key: a for a in mid.accounts}
    assert len({company_core(a.name) for a in mid.accounts}) == len(mid.accounts), "names identify accounts"
    for deal in mid.opportunities:
        assert deal.account_key in accounts
        assert deal.currency == accounts[deal.account_key].currency
        assert deal.amount == sum(line.total for line in deal.line_items) > 0
        assert deal.expected_start > deal.close_date
        if deal.stage == "Closed Won" or deal.stage == "Closed Lost":
            assert deal.close_date <= AS_OF
        else:
            assert deal.close_date > AS_OF
    assert {c.account_key for c in mid.contacts} == set(accounts)


def test_erp_customers_are_a_subset_of_accounts_some_keyed_slightly_differently(mid: Firm) -> None:
    accounts = {a.key: a for a in mid.accounts}
    billed = {p.opportunity_key for p in mid.projects}
    billed_accounts = {o.account_key for o in mid.opportunities if o.key in billed}
    erp_keys = {c.account_key for c in mid.erp_customers}
    assert billed_accounts <= erp_keys < set(accounts)
    differ = [c for c in mid.erp_customers if c.name != accounts[c.account_key].name]
    assert 10 <= len(differ) <= len(mid.erp_customers) // 2
    for customer in mid.erp_customers:
        account = accounts[customer.account_key]
        assert company_core(customer.name) == company_core(account.name)
        assert ENTITIES[customer.entity_code].region == account.region


def test_projects_are_staffed_from_their_entity_and_time_follows_the_rate_cards(mid: Firm) -> None:
    employees = {e.number: e for e in mid.employees}
    projects = {p.key: p for p in mid.projects}
    cards = {c.key: c for c in mid.rate_cards}
    per_consultant = Counter(n for p in mid.projects for n in p.team)
    assert max(per_consultant.values()) <= 2
    for entry in mid.time_entries:
        project = projects[entry.project_key]
        assert entry.employee in project.team
        role = employees[entry.employee].role_key
        assert entry.rate == cards[project.rate_card_key].version_on(entry.work_date).rate_for(role)
        assert entry.minutes > 0 and entry.work_date < AS_OF and entry.work_date.weekday() < 5
        assert entry.billable is (project.pricing_model is PricingModel.TIME_AND_MATERIALS)
    statuses = Counter(e.status for e in mid.time_entries)
    assert statuses[TimeEntryStatus.APPROVED] > statuses[TimeEntryStatus.SUBMITTED] > 0
    assert statuses[TimeEntryStatus.DRAFT] > 0
    on_sheets = {key for s in mid.submissions for key in s.entries}
    assert on_sheets == {e.key for e in mid.time_entries if e.status is not TimeEntryStatus.DRAFT}


def test_past_periods_are_closed_and_the_current_one_open(mid: Firm) -> None:
    months = {p.key: p for p in mid.periods if p.kind == "month"}
    cutoff = close_cutoff(AS_OF)
    assert cutoff == date(2026, 3, 1)
    assert months["M2026-02"].closed and months["M2025-06"].closed
    assert not months["M2026-03"].closed and not months["M2027-01"].closed
    assert all(p.closed == (p.end < cutoff) for p in mid.periods)
    assert not close_cutoff(date(2026, 3, 5)) > date(2026, 2, 1), "during the close, last month stays open"


def test_each_planted_dirty_case_is_really_there(mid: Firm) -> None:
    accounts = {a.key: a for a in mid.accounts}
    deals = {o.key: o for o in mid.opportunities}
    entries = {e.key: e for e in mid.time_entries}
    projects = {p.key: p for p in mid.projects}
    edits = {e.entry_key: e for e in mid.edits}
    for case in mid.manifest:
        if case.kind is DirtyKind.CUSTOMER_WITHOUT_TAX_PROFILE:
            deal = deals[case.key]
            account = accounts[deal.account_key]
            assert deal.stage == "Closed Won" and account.tax_profile is None and account.tax_id is None
            assert [o.key for o in mid.opportunities if o.account_key == account.key] == [deal.key]
        elif case.kind is DirtyKind.REGION_WITHOUT_LEGAL_ENTITY:
            deal = deals[case.key]
            assert deal.stage == "Closed Won" and deal.region in ORPHAN_REGIONS
            assert accounts[deal.account_key].tax_profile is not None
        elif case.kind is DirtyKind.TIME_ON_CLOSED_PROJECT:
            entry, project = entries[case.key], projects[case.related[0]]
            assert project.status is ProjectStatus.CLOSED and entry.work_date > project.due
            assert entry.status is TimeEntryStatus.APPROVED
            assert [e.key for e in mid.time_entries if e.project_key == project.key] == [entry.key]
        elif case.kind is DirtyKind.DUPLICATE_SUBMISSION:
            copy, original = entries[case.key], entries[case.related[0]]
            assert (
                copy.employee,
                copy.project_key,
                copy.work_date,
                copy.minutes,
                copy.notes,
                copy.submission,
            ) == (
                original.employee,
                original.project_key,
                original.work_date,
                original.minutes,
                original.notes,
                original.submission,
            )
            assert copy.status is original.status is TimeEntryStatus.APPROVED
        elif case.kind is DirtyKind.EDITED_AFTER_APPROVAL:
            entry, edit = entries[case.key], edits[case.key]
            sheet = next(s for s in mid.submissions if s.key == entry.submission)
            assert sheet.entries == (entry.key,) and sheet.approved and edit.edited_minutes != entry.minutes
        else:
            card = next(c for c in mid.rate_cards if c.key == case.key)
            assert len(card.versions) == 2 and card.versions[1].effective.day not in (1,)
            new, old = card.versions[1], card.versions[0]
            assert all(new.rate_for(role) > old.rate_for(role) for role, _ in old.rates)
            rates = {
                e.rate
                for e in mid.time_entries
                if projects[e.project_key].rate_card_key == card.key and e.status is not TimeEntryStatus.DRAFT
            }
            assert rates & {rate for _, rate in old.rates} and rates & {rate for _, rate in new.rates}
    used = Counter(e for case in mid.manifest for e in (case.key, *case.related) if e.startswith("T-"))
    assert max(used.values()) == 1, "no entry is part of two dirty cases"


def test_money_and_hours_are_decimal(small: Firm) -> None:
    assert all(isinstance(e.cost_rate, Decimal) for e in small.employees)
    assert all(isinstance(e.hours, Decimal) and isinstance(e.rate, Decimal) for e in small.time_entries)
    assert all(isinstance(line.unit_price, Decimal) for o in small.opportunities for line in o.line_items)
