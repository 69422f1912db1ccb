"""May an approved time entry or expense be posted to the ERP, and on which day? Messages as domain.md §4."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from concord.domain.findings import FindingCategory, Systems
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import ExpenseStatus, ProjectStatus, TimeEntry, TimeEntryStatus
from concord.domain.time_posting import (
    ApproverRule,
    ClosedPeriodPolicy,
    ErpProjectState,
    PostingFacts,
    PostingPolicy,
    check_expense,
    check_time_entry,
    fill_missing_rates,
)

from .rule_facts import (
    SYSTEMS,
    assignment,
    calendar,
    entry,
    expense,
    fixed_fee_contract,
    project,
    resource,
    tm_contract,
)
from .samples import RESOURCE_ID, usd

SUBJECT = "Time entry TE-20931 (employee E-1187, 7.5 h on 2026-03-12) was not posted"


def facts(**overrides: Any) -> PostingFacts:
    base = PostingFacts(
        project=project(),
        erp_project=ErpProjectState(ProjectStatus.ACTIVE),
        calendar=calendar(closed_through=1),
        resource=resource(),
        assignments=(assignment(),),
        contract=tm_contract(),
        billable_posted_to_date=usd("0"),
        systems=SYSTEMS,
    )
    return replace(base, **overrides)


def messages(e: TimeEntry, policy: PostingPolicy | None = None, **fact_overrides: Any) -> list[str]:
    return [f.message for f in check_time_entry(e, facts(**fact_overrides), policy).findings]


def rules(e: TimeEntry, policy: PostingPolicy | None = None, **fact_overrides: Any) -> list[str]:
    return [f.rule for f in check_time_entry(e, facts(**fact_overrides), policy).findings]


class TestAValidEntry:
    def test_posts_on_its_work_date_with_no_findings(self) -> None:
        check = check_time_entry(entry(), facts())
        assert check.postable
        assert check.findings == ()
        assert check.posting_date == date(2026, 3, 12)
        assert check.redated_from is None and not check.needs_finance_approval
        assert check.subject.label == "TE-20931"

    def test_facts_about_another_project_are_a_flow_mistake(self) -> None:
        with pytest.raises(ValueError, match="belongs to project"):
            check_time_entry(entry(project_id=new_id()), facts())
        with pytest.raises(ValueError, match="is by resource"):
            check_time_entry(entry(resource_id=new_id()), facts())


class TestProjectStatus:
    def test_closed_in_the_erp_is_worded_as_domain_md_says(self) -> None:
        check = check_time_entry(
            entry(), facts(erp_project=ErpProjectState(ProjectStatus.CLOSED, since=date(2026, 3, 1)))
        )
        [finding] = check.findings
        assert finding.message == (
            "Time entry TE-20931 (employee E-1187, 7.5 h on 2026-03-12) was not posted: "
            "project P-1042 is closed in NetSuite since 2026-03-01."
        )
        # Active in the PSA but closed in the ERP: the systems disagree.
        assert finding.category is FindingCategory.CONFLICT
        assert finding.rule == "time.project_not_active_in_erp"
        assert finding.subject.object_type == "TimeEntry"
        assert dict(finding.subject.system_ids) == {"kantata": "TE-20931"}
        assert [r.object_type for r in finding.related] == ["Project"]
        assert not check.postable

    def test_without_a_since_date_the_sentence_stops_at_the_status(self) -> None:
        found = messages(entry(), erp_project=ErpProjectState(ProjectStatus.ON_HOLD))
        assert found == [f"{SUBJECT}: project P-1042 is on hold in NetSuite."]

    def test_not_active_in_the_psa_is_a_validation_finding(self) -> None:
        check = check_time_entry(entry(), facts(project=project(status=ProjectStatus.ON_HOLD)))
        [finding] = check.findings
        assert finding.message == f"{SUBJECT}: project P-1042 is on hold in Kantata."
        assert finding.category is FindingCategory.VALIDATION

    def test_closed_in_both_says_both(self) -> None:
        found = rules(
            entry(),
            project=project(status=ProjectStatus.CLOSED),
            erp_project=ErpProjectState(ProjectStatus.CLOSED),
        )
        assert found == ["time.project_not_active_in_psa", "time.project_not_active_in_erp"]

    def test_a_project_the_erp_does_not_have_yet(self) -> None:
        check = check_time_entry(entry(), facts(erp_project=None))
        [finding] = check.findings
        assert finding.message == f"{SUBJECT}: project P-1042 does not exist in NetSuite yet."
        assert finding.category is FindingCategory.CONFLICT

    def test_a_project_without_system_ids_is_named_by_its_name(self) -> None:
        found = messages(entry(), project=project(system_ids={}, status=ProjectStatus.PENDING))
        assert found == [f"{SUBJECT}: project 'Globex ERP rollout' is pending in Kantata."]

    def test_work_outside_the_project_dates(self) -> None:
        found = messages(entry(), project=project(start_date=date(2026, 4, 1), end_date=date(2026, 9, 30)))
        assert (
            f"{SUBJECT}: 2026-03-12 is outside the dates of project P-1042 (2026-04-01 to 2026-09-30)."
            in found
        )
        found = messages(entry(), project=project(start_date=date(2026, 4, 1), end_date=None))
        assert f"{SUBJECT}: 2026-03-12 is outside the dates of project P-1042 (from 2026-04-01)." in found


class TestAccountingPeriods:
    def test_hold_policy_refuses_a_closed_period(self) -> None:
        check = check_time_entry(entry(), facts(calendar=calendar(closed_through=3)))
        [finding] = check.findings
        assert finding.message == f"{SUBJECT}: accounting period Mar 2026 is closed in NetSuite."
        assert check.posting_date is None

    def test_redate_policy_moves_into_the_first_open_period_for_finance_to_confirm(self) -> None:
        policy = PostingPolicy(closed_period=ClosedPeriodPolicy.REDATE)
        check = check_time_entry(entry(), facts(calendar=calendar(closed_through=4)), policy)
        assert check.findings == ()
        assert check.postable
        assert check.posting_date == date(2026, 5, 1)
        assert check.redated_from == date(2026, 3, 12)
        assert check.needs_finance_approval
        assert check.note == (
            "Time entry TE-20931 (employee E-1187, 7.5 h on 2026-03-12) falls in accounting period Mar 2026, "
            "which is closed in NetSuite; it is re-dated to 2026-05-01 in period May 2026; "
            "a finance approver must confirm the re-date."
        )

    def test_redate_without_approval_when_the_firm_says_so(self) -> None:
        policy = PostingPolicy(closed_period=ClosedPeriodPolicy.REDATE, redate_needs_finance_approval=False)
        check = check_time_entry(entry(), facts(calendar=calendar(closed_through=3)), policy)
        assert check.posting_date == date(2026, 4, 1)
        assert not check.needs_finance_approval

    def test_redate_with_no_open_period_left(self) -> None:
        policy = PostingPolicy(closed_period=ClosedPeriodPolicy.REDATE)
        check = check_time_entry(entry(), facts(calendar=calendar(closed_through=12)), policy)
        assert [f.message for f in check.findings] == [
            f"{SUBJECT}: accounting period Mar 2026 is closed in NetSuite and no later period is open."
        ]
        assert check.posting_date is None

    def test_a_date_no_period_covers(self) -> None:
        found = messages(
            entry(work_date=date(2025, 12, 30)),
            project=project(start_date=date(2025, 1, 1)),
            assignments=(assignment(start_date=date(2025, 1, 1)),),
        )
        assert found == [
            "Time entry TE-20931 (employee E-1187, 7.5 h on 2025-12-30) was not posted: "
            "no accounting period in NetSuite covers 2025-12-30."
        ]

    def test_an_open_period_is_not_redated(self) -> None:
        policy = PostingPolicy(closed_period=ClosedPeriodPolicy.REDATE)
        check = check_time_entry(entry(), facts(calendar=calendar(closed_through=2)), policy)
        assert check.posting_date == date(2026, 3, 12) and check.redated_from is None


class TestAssignment:
    def test_not_assigned_at_all(self) -> None:
        found = messages(entry(), assignments=(assignment(project_id=new_id()),))
        assert found == [f"{SUBJECT}: employee E-1187 is not assigned to project P-1042."]

    def test_assigned_on_other_days(self) -> None:
        check = check_time_entry(
            entry(), facts(assignments=(assignment(start_date=date(2026, 4, 1), end_date=date(2026, 6, 30)),))
        )
        [finding] = check.findings
        assert finding.message == (
            f"{SUBJECT}: employee E-1187 is assigned to project P-1042 only from 2026-04-01 to 2026-06-30."
        )
        assert [r.object_type for r in finding.related] == ["Project", "Assignment"]

    def test_without_the_resource_the_entry_names_the_resource_id(self) -> None:
        found = messages(entry(), resource=None, assignments=())
        assert found == [
            f"Time entry TE-20931 (resource {RESOURCE_ID}, 7.5 h on 2026-03-12) was not posted: "
            f"resource {RESOURCE_ID} is not assigned to project P-1042."
        ]


class TestContractRules:
    def test_billable_time_on_a_fixed_fee_contract(self) -> None:
        found = messages(entry(), contract=fixed_fee_contract())
        assert found == [
            f"{SUBJECT}: it is billable but contract SOW-1042 is fixed fee, which does not bill time."
        ]

    def test_non_billable_time_on_a_fixed_fee_contract_posts(self) -> None:
        assert check_time_entry(entry(billable=False), facts(contract=fixed_fee_contract())).postable

    def test_billable_time_on_an_internal_project(self) -> None:
        found = messages(entry(), contract=None)
        assert found == [f"{SUBJECT}: it is billable but project P-1042 has no contract to bill it under."]

    def test_rates_are_needed(self) -> None:
        found = rules(entry(bill_rate=None, cost_rate=None))
        assert found == ["time.no_bill_rate", "time.no_cost_rate"]
        assert rules(entry(billable=False, bill_rate=None)) == []

    def test_bill_rate_in_another_currency(self) -> None:
        found = messages(entry(bill_rate=Money("140", "EUR")))
        assert found == [f"{SUBJECT}: its bill rate is in EUR but contract SOW-1042 is in USD."]

    def test_not_to_exceed_cap(self) -> None:
        capped = tm_contract(not_to_exceed=usd("10000"))
        # 7.5 h at 150 = 1,125.00; 8,875.00 already posted reaches the cap exactly: fine.
        assert rules(entry(), contract=capped, billable_posted_to_date=usd("8875")) == []
        found = messages(entry(), contract=capped, billable_posted_to_date=usd("8875.01"))
        assert found == [
            f"{SUBJECT}: it would take billable time on contract SOW-1042 to USD 10,000.01, "
            "above its not-to-exceed cap of USD 10,000.00."
        ]

    def test_the_cap_can_be_left_to_billing(self) -> None:
        capped = tm_contract(not_to_exceed=usd("100"))
        policy = PostingPolicy(enforce_not_to_exceed=False)
        assert rules(entry(), policy, contract=capped, billable_posted_to_date=usd("0")) == []

    def test_a_cap_without_the_posted_total_is_a_flow_mistake(self) -> None:
        with pytest.raises(ValueError, match="billable_posted_to_date"):
            check_time_entry(
                entry(), facts(contract=tm_contract(not_to_exceed=usd("100")), billable_posted_to_date=None)
            )


class TestApprovalPolicy:
    def test_only_approved_entries_post(self) -> None:
        submitted = entry(status=TimeEntryStatus.SUBMITTED, approver_id=None, approved_at=None)
        assert messages(submitted) == [f"{SUBJECT}: it is submitted, not approved."]

    def test_nobody_approves_their_own_time(self) -> None:
        found = messages(entry(approver_id=RESOURCE_ID))
        assert found == [
            f"{SUBJECT}: it was approved by the person who recorded it; someone else must approve it."
        ]
        assert rules(entry(approver_id=RESOURCE_ID), PostingPolicy(self_approval_allowed=True)) == []

    @pytest.mark.parametrize(
        ("rule", "approver_is_pm", "approver_is_line_manager", "ok"),
        [
            (ApproverRule.ANYONE, False, False, True),
            (ApproverRule.PROJECT_MANAGER, True, False, True),
            (ApproverRule.PROJECT_MANAGER, False, True, False),
            (ApproverRule.LINE_MANAGER, False, True, True),
            (ApproverRule.LINE_MANAGER, True, False, False),
            (ApproverRule.PROJECT_OR_LINE_MANAGER, True, False, True),
            (ApproverRule.PROJECT_OR_LINE_MANAGER, False, True, True),
            (ApproverRule.PROJECT_OR_LINE_MANAGER, False, False, False),
        ],
    )
    def test_who_may_approve(
        self, rule: ApproverRule, approver_is_pm: bool, approver_is_line_manager: bool, ok: bool
    ) -> None:
        approver = new_id()
        pm = approver if approver_is_pm else new_id()
        line_manager = approver if approver_is_line_manager else new_id()
        found = rules(
            entry(approver_id=approver),
            PostingPolicy(approver=rule),
            project=project(project_manager_id=pm),
            resource=resource(manager_id=line_manager),
        )
        assert found == ([] if ok else ["time.wrong_approver"])

    def test_wrong_approver_message(self) -> None:
        found = messages(entry(approver_id=new_id()), PostingPolicy(approver=ApproverRule.PROJECT_MANAGER))
        assert found == [
            f"{SUBJECT}: it was not approved by the project manager of project P-1042, "
            "as the approval policy requires."
        ]


class TestEverythingAtOnce:
    def test_every_broken_rule_is_reported_in_order(self) -> None:
        bad = entry(status=TimeEntryStatus.SUBMITTED, approver_id=None, approved_at=None, cost_rate=None)
        found = rules(
            bad,
            project=project(status=ProjectStatus.ON_HOLD),
            erp_project=None,
            assignments=(),
            calendar=calendar(closed_through=3),
            contract=fixed_fee_contract(),
        )
        assert found == [
            "time.not_approved",
            "time.project_not_active_in_psa",
            "time.project_missing_in_erp",
            "time.not_assigned",
            "time.no_cost_rate",
            "time.billable_not_time_priced",
            "time.period_closed",
        ]

    def test_default_systems_use_generic_names(self) -> None:
        found = [
            f.message
            for f in check_time_entry(
                entry(),
                replace(facts(), systems=Systems(), erp_project=ErpProjectState(ProjectStatus.CLOSED)),
            ).findings
        ]
        assert found == [
            "Time entry TE-20931 (employee E-1187, 7.5 h on 2026-03-12) was not posted: "
            "project 'Globex ERP rollout' is closed in the ERP."
        ]


class TestFillMissingRates:
    def test_entry_rates_win(self) -> None:
        e = entry(bill_rate=usd("175"), cost_rate=usd("70"))
        assert fill_missing_rates(e, assignment(), resource()) is e

    def test_missing_rates_come_from_the_assignment_then_the_resource(self) -> None:
        filled = fill_missing_rates(entry(bill_rate=None, cost_rate=None), assignment(), resource())
        assert (filled.bill_rate, filled.cost_rate) == (usd("150"), usd("62.50"))
        filled = fill_missing_rates(
            entry(bill_rate=None, cost_rate=None), assignment(cost_rate=None), resource(cost_rate=usd("55"))
        )
        assert (filled.bill_rate, filled.cost_rate) == (usd("150"), usd("55"))
        assert fill_missing_rates(entry(bill_rate=None, cost_rate=None), None, None).bill_rate is None


class TestExpenses:
    def test_a_valid_expense_posts(self) -> None:
        check = check_expense(expense(), facts())
        assert check.postable and check.posting_date == date(2026, 3, 12)

    def test_expense_messages_name_the_expense(self) -> None:
        check = check_expense(
            expense(status=ExpenseStatus.SUBMITTED, approver_id=None),
            facts(erp_project=ErpProjectState(ProjectStatus.CLOSED, since=date(2026, 3, 1))),
        )
        assert [f.message for f in check.findings] == [
            "Expense EX-553 (employee E-1187, travel USD 412.30 on 2026-03-12) was not posted: "
            "it is submitted, not approved.",
            "Expense EX-553 (employee E-1187, travel USD 412.30 on 2026-03-12) was not posted: "
            "project P-1042 is closed in NetSuite since 2026-03-01.",
        ]
        assert [f.rule for f in check.findings] == [
            "expense.not_approved",
            "expense.project_not_active_in_erp",
        ]

    def test_expenses_follow_the_closed_period_policy(self) -> None:
        policy = PostingPolicy(closed_period=ClosedPeriodPolicy.REDATE)
        check = check_expense(expense(), facts(calendar=calendar(closed_through=3)), policy)
        assert check.posting_date == date(2026, 4, 1) and check.needs_finance_approval

    def test_expenses_are_not_held_to_the_pricing_model(self) -> None:
        assert check_expense(expense(), facts(contract=fixed_fee_contract())).postable
