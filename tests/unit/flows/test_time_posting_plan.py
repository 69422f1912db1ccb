"""The time-to-ERP flow's decisions, pure: which entries post, how they summarise, and what an edit,
a rejection or a confirmed re-date sends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from concord.domain.hours import Hours
from concord.domain.objects import TimeEntryStatus
from concord.domain.posting_lines import PostingGranularity
from concord.domain.time_posting import ClosedPeriodPolicy, ErpProjectState, PostingPolicy
from concord.flows.time_posting import (
    PostedLine,
    ProjectFacts,
    TimeFacts,
    judge_entries,
    plan_time_postings,
)
from unit.domain.rule_facts import STAMP, SYSTEMS, calendar, entry, project, resource

PER_PERIOD = PostingGranularity.PER_PERIOD
POLICY = PostingPolicy(
    closed_period=ClosedPeriodPolicy.REDATE,
    redate_needs_finance_approval=False,
    billable_needs_contract=False,
)


def _facts(closed_through: int = 0, *, in_erp: bool = True) -> TimeFacts:
    known = ProjectFacts(
        project() if in_erp else None, ErpProjectState(project().status), "'Globex ERP rollout'"
    )
    return TimeFacts(calendar(closed_through), {project().global_id: known}, resource(), SYSTEMS)


def _send(entries: list, sent: tuple[PostedLine, ...] = (), policy: PostingPolicy = POLICY, closed: int = 0):  # type: ignore[no-untyped-def]
    facts = _facts(closed)
    verdicts = judge_entries(entries, facts, policy)
    return verdicts, plan_time_postings(verdicts, sent, facts, PER_PERIOD, STAMP)


def test_a_month_of_approved_time_becomes_one_posting_with_every_entry_in_it() -> None:
    entries = [entry(work_date=date(2026, 3, day)) for day in (2, 3, 4)]
    _, plan = _send(entries)
    (line,) = plan.to_send
    posting = line.posting
    assert posting.posting_date == date(2026, 3, 31) and posting.hours == Decimal("22.5")
    assert sorted(e.entry_id for e in posting.entries) == sorted(e.global_id for e in entries)
    assert posting.cost_amount.amount == Decimal("1406.25")  # 22.5 h x 62.50
    assert posting.bill_amount is not None and posting.bill_amount.amount == Decimal("3375.00")


def test_the_same_entries_again_send_nothing() -> None:
    entries = [entry(work_date=date(2026, 3, 2))]
    _, first = _send(entries)
    _, again = _send(entries, first.sent)
    assert again.to_send == () and again.sent == first.sent


def test_a_rejection_after_posting_reverses_and_reposts_the_rest() -> None:
    kept, rejected = entry(work_date=date(2026, 3, 2)), entry(work_date=date(2026, 3, 3))
    _, first = _send([kept, rejected])
    now_rejected = rejected.replace(status=TimeEntryStatus.REJECTED, approved_at=None)
    _, second = _send([kept, now_rejected], first.sent)
    reversal, repost = second.to_send
    assert reversal.posting.reverses == first.to_send[0].key
    assert reversal.posting.hours == Hours(Decimal("-15"), reversal=True)
    assert [e.entry_id for e in repost.posting.entries] == [kept.global_id]


def test_a_closed_period_redates_or_holds_and_a_confirmation_releases_it() -> None:
    late = entry(work_date=date(2026, 2, 27))
    _, plan = _send([late], closed=2)
    assert plan.to_send[0].posting.redated_from == date(2026, 2, 27)
    assert plan.to_send[0].posting.posting_date == date(2026, 3, 31)

    held_policy = PostingPolicy(closed_period=ClosedPeriodPolicy.HOLD, billable_needs_contract=False)
    (verdict,), held = _send([late], policy=held_policy, closed=2)
    assert held.to_send == () and "Feb 2026 is closed in NetSuite" in verdict.findings[0].message

    ask = PostingPolicy(
        closed_period=ClosedPeriodPolicy.REDATE,
        redate_needs_finance_approval=True,
        billable_needs_contract=False,
    )
    (verdict,), waiting = _send([late], policy=ask, closed=2)
    assert waiting.to_send == () and "confirms it by retrying" in verdict.findings[0].message
    confirmed = judge_entries([late], _facts(2), ask, approved_redates=[late.global_id])
    assert confirmed[0].postable is not None


def test_time_on_a_project_the_erp_does_not_hold_is_held_with_a_conflict() -> None:
    (verdict,) = judge_entries([entry()], _facts(in_erp=False), POLICY)
    assert verdict.postable is None
    assert verdict.findings[0].category.value == "conflict"
    assert "is not posted: it does not exist in NetSuite" in verdict.findings[0].message
    assert verdict.findings[0].subject.object_type == "Project"
