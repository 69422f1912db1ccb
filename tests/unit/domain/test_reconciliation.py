"""Reconciliation checks: contract value, provisioning, unposted time, invoice delays, duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from concord.domain.billing import bill_milestones
from concord.domain.findings import FindingCategory
from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.keys import Stamp
from concord.domain.money import Money
from concord.domain.objects import (
    ApprovalState,
    ChangeOrder,
    MilestoneStatus,
    Opportunity,
    ProjectBudget,
    TimeEntryStatus,
)
from concord.domain.posting_lines import PostingGranularity, build_posting_lines, plan_postings
from concord.domain.reconciliation import (
    NO_PERIOD,
    TargetRecord,
    approved_hours_by_period,
    find_duplicates,
    find_invoice_delays,
    find_unprovisioned,
    posted_hours_by_period,
    reconcile_contract_value,
    reconcile_hours,
)

from .rule_facts import (
    STAMP,
    SYSTEMS,
    calendar,
    entry,
    fixed_fee_contract,
    milestone,
    postable,
    project,
    tm_contract,
)
from .samples import CONTRACT_ID, PROJECT_ID, envelope, usd


def opportunity(**overrides: Any) -> Opportunity:
    fields: dict[str, Any] = envelope("salesforce") | {
        "customer_id": new_id(),
        "name": "Globex ERP rollout",
        "stage": "Closed Won",
        "amount": usd("100000"),
        "currency": "USD",
        "close_date": date(2026, 3, 20),
    }
    return Opportunity(**(fields | overrides))


def change_order(delta: str, state: ApprovalState = ApprovalState.APPROVED) -> ChangeOrder:
    approved = state is ApprovalState.APPROVED
    return ChangeOrder(
        **envelope("salesforce"),
        contract_id=CONTRACT_ID,
        number=f"CO-{delta}",
        delta_value=usd(delta),
        delta_hours=Hours(0),
        approval_state=state,
        approver="Dana Controller" if approved else None,
        approved_at=datetime(2026, 5, 2, tzinfo=UTC) if approved else None,
    )


class TestContractValue:
    def test_everything_agrees(self) -> None:
        found = reconcile_contract_value(
            opportunity(),
            [change_order("2500"), change_order("9999", ApprovalState.PENDING)],
            project=project(budget=ProjectBudget(fees=usd("102500"))),
            contract=tm_contract(total_value=usd("102500")),
            systems=SYSTEMS,
        )
        assert found == []

    def test_each_side_that_differs_is_a_finding_with_its_records(self) -> None:
        opp = opportunity()
        contract = fixed_fee_contract()  # 100,000
        found = reconcile_contract_value(
            opp,
            [change_order("2500")],
            project=project(budget=ProjectBudget(fees=usd("100000"))),
            contract=contract,
            systems=SYSTEMS,
        )
        assert [f.rule for f in found] == ["reconcile.contract_value_psa", "reconcile.contract_value_erp"]
        assert found[0].message == (
            "The contract value of opportunity 'Globex ERP rollout' does not reconcile: "
            "Salesforce amount USD 100,000.00 + change orders USD 2,500.00 = USD 102,500.00, "
            "but the Kantata project has a budget of USD 100,000.00."
        )
        assert found[1].message.endswith("but the NetSuite contract SOW-1042 totals USD 100,000.00.")
        assert all(f.category is FindingCategory.CONFLICT for f in found)
        assert [r.object_type for r in found[1].related] == ["ChangeOrder", "Contract"]

    def test_a_project_without_budgeted_fees(self) -> None:
        found = reconcile_contract_value(opportunity(), [], project=project(), contract=None, systems=SYSTEMS)
        assert found[0].message == (
            "The contract value of opportunity 'Globex ERP rollout' does not reconcile: "
            "Salesforce amount USD 100,000.00, but the Kantata project has no budgeted fees."
        )

    def test_a_change_order_in_another_currency(self) -> None:
        co = change_order("1").model_copy(update={"delta_value": Money("1", "EUR")})
        found = reconcile_contract_value(opportunity(), [co], project=None, contract=None)
        assert [f.rule for f in found] == ["reconcile.contract_value_currency"]


class TestProvisioning:
    def test_a_fully_provisioned_deal_passes(self) -> None:
        opp = opportunity()
        contract = fixed_fee_contract(opportunity_id=opp.global_id, system_ids={"netsuite": "SO-1"})
        found = find_unprovisioned([opp], [contract], [project()], systems=SYSTEMS)
        assert found == []

    def test_whatever_is_missing_is_named(self) -> None:
        opp = opportunity()
        contract = fixed_fee_contract(opportunity_id=opp.global_id, system_ids={})
        psa_only = project(system_ids={"kantata": "P-1042"})
        found = find_unprovisioned([opp], [contract], [psa_only], systems=SYSTEMS)
        assert [f.message for f in found] == [
            "Opportunity 'Globex ERP rollout' is Closed Won but has no project in NetSuite.",
            "Opportunity 'Globex ERP rollout' is Closed Won but has no contract in NetSuite.",
        ]
        assert {r.object_type for r in found[0].related} == {"Contract", "Project"}

    def test_a_deal_with_nothing_at_all(self) -> None:
        found = find_unprovisioned([opportunity(stage="closed won")], [], [], systems=SYSTEMS)
        assert [f.rule for f in found] == [
            "reconcile.project_missing_in_psa",
            "reconcile.project_missing_in_erp",
            "reconcile.contract_missing_in_erp",
        ]

    def test_open_opportunities_are_not_checked_and_stages_are_configurable(self) -> None:
        assert find_unprovisioned([opportunity(stage="Proposal")], [], []) == []
        assert (
            len(find_unprovisioned([opportunity(stage="Signed")], [], [], contracted_stages=["signed"])) == 3
        )


class TestUnpostedTime:
    def test_hours_agree_when_everything_approved_is_posted(self) -> None:
        entries = [entry(), entry(work_date=date(2026, 4, 2))]
        lines = build_posting_lines(postable(*entries), PostingGranularity.PER_DAY)
        cal = calendar()
        assert (
            reconcile_hours(approved_hours_by_period(entries, cal), posted_hours_by_period(lines, cal)) == []
        )

    def test_unposted_entries_are_named(self) -> None:
        posted_entry, late = entry(), entry(hours=Hours(2))
        lines = build_posting_lines(postable(posted_entry), PostingGranularity.PER_DAY)
        cal = calendar()
        found = reconcile_hours(
            approved_hours_by_period([posted_entry, late], cal),
            posted_hours_by_period(lines, cal),
            project_labels={PROJECT_ID: "project P-1042"},
            systems=SYSTEMS,
        )
        [finding] = found
        assert finding.rule == "reconcile.unposted_time"
        assert finding.message == (
            "Project P-1042, period Mar 2026: 9.5 h approved in Kantata but 7.5 h posted in NetSuite "
            "(2 h unposted)."
        )
        assert [r.global_id for r in finding.related] == [late.global_id]

    def test_a_rejection_not_yet_reversed_shows_as_posted_not_approved(self) -> None:
        kept, rejected = entry(), entry(hours=Hours(1))
        lines = build_posting_lines(postable(kept, rejected), PostingGranularity.PER_DAY)
        cal = calendar()
        approved = approved_hours_by_period(
            [kept, rejected.replace(status=TimeEntryStatus.REJECTED, approved_at=None)], cal
        )
        [finding] = reconcile_hours(approved, posted_hours_by_period(lines, cal))
        assert finding.rule == "reconcile.posted_not_approved"
        assert "(1 h more posted than approved)" in finding.message

    def test_reversals_net_out(self) -> None:
        a, b = entry(), entry(hours=Hours(1))
        cal = calendar()
        posted = list(
            plan_postings(build_posting_lines(postable(a, b), PostingGranularity.PER_DAY), []).to_send
        )
        history = posted + list(
            plan_postings(build_posting_lines(postable(a), PostingGranularity.PER_DAY), posted).to_send
        )
        erp = posted_hours_by_period(history, cal)
        assert [(h.hours, sorted(h.entry_ids)) for h in erp] == [(Hours("7.5"), [a.global_id])]
        assert reconcile_hours(approved_hours_by_period([a], cal), erp) == []

    def test_same_hours_different_entries(self) -> None:
        a, b = entry(), entry()
        cal = calendar()
        lines = build_posting_lines(postable(a), PostingGranularity.PER_DAY)
        [finding] = reconcile_hours(approved_hours_by_period([b], cal), posted_hours_by_period(lines, cal))
        assert finding.rule == "reconcile.hours_mismatch"

    def test_redated_entries_count_in_the_period_they_were_posted_into(self) -> None:
        e = entry()
        cal = calendar(closed_through=3)
        lines = build_posting_lines(postable(e, posting_date=date(2026, 4, 1)), PostingGranularity.PER_DAY)
        approved = approved_hours_by_period([e], cal, posting_dates={e.global_id: date(2026, 4, 1)})
        assert [h.period for h in approved] == ["Apr 2026"]
        assert reconcile_hours(approved, posted_hours_by_period(lines, cal)) == []

    def test_dates_outside_the_calendar_are_grouped_not_dropped(self) -> None:
        approved = approved_hours_by_period([entry(work_date=date(2030, 1, 1))], calendar())
        assert [h.period for h in approved] == [NO_PERIOD]


class TestInvoiceDelays:
    def test_a_milestone_invoiced_in_time_passes(self) -> None:
        done = milestone()  # completed 2026-05-28
        on_time = Stamp(STAMP.correlation_id, datetime(2026, 6, 2, 18, 0, tzinfo=UTC))
        invoices = bill_milestones(fixed_fee_contract(), [done], stamp=on_time).invoices
        now = datetime(2026, 7, 1, tzinfo=UTC)
        found = find_invoice_delays([done], invoices, billing_sla=timedelta(days=5), now=now)
        assert found == []

    def test_a_milestone_not_invoiced_within_the_sla(self) -> None:
        done = milestone()
        now = datetime(2026, 6, 9, tzinfo=UTC)
        [finding] = find_invoice_delays([done], [], billing_sla=timedelta(days=5), now=now)
        assert finding.rule == "reconcile.milestone_not_invoiced"
        assert finding.message == (
            "Milestone 'Design signed off' was completed on 2026-05-28 "
            "and has not been invoiced after 12 days (billing SLA 5 days)."
        )
        assert find_invoice_delays([done], [], billing_sla=timedelta(days=12), now=now) == []

    def test_a_milestone_invoiced_late(self) -> None:
        done = milestone()
        late_stamp = Stamp(STAMP.correlation_id, datetime(2026, 6, 8, tzinfo=UTC))
        invoices = bill_milestones(fixed_fee_contract(), [done], stamp=late_stamp).invoices
        [finding] = find_invoice_delays(
            [done], invoices, billing_sla=timedelta(days=5), now=datetime(2026, 7, 1, tzinfo=UTC)
        )
        assert finding.message == (
            "Milestone 'Design signed off' was completed on 2026-05-28 "
            "and invoiced 11 days later (billing SLA 5 days)."
        )

    def test_open_or_undated_milestones_are_not_measured(self) -> None:
        open_one = milestone(status=MilestoneStatus.OPEN, completed_on=None)
        undated = milestone(completed_on=None)
        assert find_invoice_delays([open_one, undated], [], billing_sla=timedelta(0), now=STAMP.at) == []


class TestDuplicates:
    def test_two_records_carrying_the_same_concord_id(self) -> None:
        gid = new_id()
        records = [
            TargetRecord("netsuite", "InvoiceEvent", "881", gid, label="INV-881"),
            TargetRecord("netsuite", "InvoiceEvent", "905", gid),
            TargetRecord("netsuite", "InvoiceEvent", "906", new_id()),
        ]
        [finding] = find_duplicates(records, systems=SYSTEMS)
        assert finding.category is FindingCategory.CONFLICT
        assert finding.message == (
            "Invoice event INV-881 exists 2 times in NetSuite: "
            f"records 881, 905 (all carry Concord id {gid})."
        )
        assert sorted(r.id_in("netsuite") or "" for r in finding.related) == ["881", "905"]

    def test_the_same_business_key_without_ids(self) -> None:
        records = [
            TargetRecord("kantata", "Project", "11", business_key="P-1042"),
            TargetRecord("kantata", "Project", "12", business_key="P-1042"),
            TargetRecord("netsuite", "Project", "11", business_key="P-1042"),
        ]
        [finding] = find_duplicates(records, systems=SYSTEMS)
        assert finding.message == (
            "Project P-1042 exists 2 times in Kantata: records 11, 12 (all have the business key P-1042)."
        )

    def test_one_pair_is_reported_once_and_a_record_seen_twice_is_not_a_duplicate(self) -> None:
        gid = new_id()
        records = [
            TargetRecord("netsuite", "Contract", "1", gid, "SOW-1042"),
            TargetRecord("netsuite", "Contract", "2", gid, "SOW-1042"),
            TargetRecord("netsuite", "Contract", "3", new_id(), "SOW-7"),
            TargetRecord("netsuite", "Contract", "3", new_id(), "SOW-7"),
        ]
        assert len(find_duplicates(records)) == 1
