"""Posting lines: granularity, dimensions, drill-back, deterministic keys, reversal and repost."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.domain.hours import Hours
from concord.domain.money import Money, line_amount
from concord.domain.objects import TimeEntry
from concord.domain.posting_lines import (
    PostingDimensions,
    PostingGranularity,
    PostingLine,
    build_posting_lines,
    lines_holding,
    plan_postings,
)

from .rule_facts import calendar, entry, postable
from .samples import PROJECT_ID, RESOURCE_ID, usd

PER_ENTRY, PER_DAY, PER_PERIOD = (
    PostingGranularity.PER_ENTRY,
    PostingGranularity.PER_DAY,
    PostingGranularity.PER_PERIOD,
)


def day_entries() -> list[TimeEntry]:
    """Three billable entries on 2026-03-12 (two rates), one on the 13th, one non-billable on the 12th."""
    return [
        entry(hours=Hours("3.33"), bill_rate=usd("95.095")),
        entry(hours=Hours("2.5")),
        entry(hours=Hours("1.25")),
        entry(work_date=date(2026, 3, 13), hours=Hours(8)),
        entry(hours=Hours(1), billable=False),
    ]


class TestGranularity:
    def test_per_entry_is_one_line_per_entry_with_its_own_amounts(self) -> None:
        e = entry()
        [line] = build_posting_lines(postable(e), PER_ENTRY)
        assert line.entry_ids == (e.global_id,)
        assert line.hours == Hours("7.5")
        assert line.bill_amount == usd("1125.00")
        assert line.cost_amount == usd("468.75")
        assert (line.bill_rate, line.cost_rate) == (usd("150"), usd("62.50"))
        assert line.posting_date == date(2026, 3, 12)

    def test_every_dimension_is_on_the_line(self) -> None:
        [line] = build_posting_lines(postable(entry()), PER_ENTRY)
        assert line.dimensions == PostingDimensions(
            legal_entity_code="US01",
            subsidiary_id="3",
            cost_center="CC-100",
            service_line="Cloud ERP",
            project_id=PROJECT_ID,
            resource_id=RESOURCE_ID,
            employee_id="E-1187",
            billable=True,
        )

    def test_per_day_summarises_per_project_employee_day_and_billable(self) -> None:
        entries = day_entries()
        lines = build_posting_lines(postable(*entries), PER_DAY)
        by_content = {(line.posting_date, line.dimensions.billable): line for line in lines}
        assert len(lines) == 3
        twelfth = by_content[(date(2026, 3, 12), True)]
        assert set(twelfth.entry_ids) == {e.global_id for e in entries[:3]}
        assert twelfth.hours == Hours("7.08")
        # Each entry rounded on its own, then summed: 316.67 + 375.00 + 187.50.
        assert twelfth.bill_amount == usd("879.17")
        assert twelfth.bill_rate is None  # two different rates
        assert twelfth.cost_rate == usd("62.50")
        non_billable = by_content[(date(2026, 3, 12), False)]
        assert non_billable.bill_amount is None and non_billable.bill_rate is None
        assert non_billable.cost_amount == usd("62.50")

    def test_per_period_summarises_into_the_accounting_period_on_its_last_day(self) -> None:
        entries = [*day_entries(), entry(work_date=date(2026, 4, 2))]
        lines = build_posting_lines(postable(*entries), PER_PERIOD, calendar())
        assert sorted(
            (line.posting_date, line.dimensions.billable, len(line.entry_ids)) for line in lines
        ) == [
            (date(2026, 3, 31), False, 1),
            (date(2026, 3, 31), True, 4),
            (date(2026, 4, 30), True, 1),
        ]
        assert all("period Mar 2026" in line.group or "period Apr 2026" in line.group for line in lines)

    def test_per_period_needs_a_calendar_covering_the_dates(self) -> None:
        with pytest.raises(ValueError, match="No accounting period covers 2025-03-12"):
            build_posting_lines(postable(entry(work_date=date(2025, 3, 12))), PER_PERIOD, calendar())
        with pytest.raises(ValueError, match="accounting calendar"):
            build_posting_lines(postable(entry()), PER_PERIOD)

    def test_redated_entries_post_on_their_posting_date(self) -> None:
        [line] = build_posting_lines(postable(entry(), posting_date=date(2026, 4, 1)), PER_DAY)
        assert line.posting_date == date(2026, 4, 1)

    def test_different_currencies_never_share_a_line(self) -> None:
        entries = [entry(), entry(bill_rate=Money("140", "EUR"))]
        lines = build_posting_lines(postable(*entries), PER_DAY)
        assert sorted(line.bill_amount.currency for line in lines if line.bill_amount) == ["EUR", "USD"]

    def test_entries_missing_rates_or_listed_twice_are_refused(self) -> None:
        with pytest.raises(ValueError, match="no cost rate"):
            build_posting_lines(postable(entry(cost_rate=None)), PER_DAY)
        with pytest.raises(ValueError, match="no bill rate"):
            build_posting_lines(postable(entry(bill_rate=None)), PER_DAY)
        e = entry()
        with pytest.raises(ValueError, match="listed twice"):
            build_posting_lines(postable(e, e), PER_DAY)


class TestKeys:
    def test_the_same_entries_give_the_same_keys_in_any_order(self) -> None:
        entries = day_entries()
        first = build_posting_lines(postable(*entries), PER_DAY)
        again = build_posting_lines(postable(*reversed(entries)), PER_DAY)
        assert [line.key for line in first] == [line.key for line in again]
        assert first == again

    def test_a_changed_entry_changes_its_line_key(self) -> None:
        e = entry()
        [before] = build_posting_lines(postable(e), PER_DAY)
        [after] = build_posting_lines(postable(e.replace(hours=Hours(8))), PER_DAY)
        assert before.key != after.key

    def test_notes_do_not_change_what_is_posted(self) -> None:
        e = entry()
        [before] = build_posting_lines(postable(e), PER_ENTRY)
        [after] = build_posting_lines(postable(e.replace(notes="typo fixed")), PER_ENTRY)
        assert before.key == after.key


HOURS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(24), places=2).map(Hours)
RATES = st.decimals(min_value=Decimal(0), max_value=Decimal(900), places=4).map(lambda d: Money(d, "USD"))


class TestSumsProperty:
    @settings(max_examples=60, deadline=None)
    @given(
        rows=st.lists(
            st.tuples(HOURS, RATES, RATES, st.booleans(), st.integers(min_value=0, max_value=40)),
            min_size=1,
            max_size=25,
        ),
        granularity=st.sampled_from(list(PostingGranularity)),
    )
    def test_summarised_lines_equal_the_sum_of_their_entries_to_the_cent(
        self, rows: list[tuple[Hours, Money, Money, bool, int]], granularity: PostingGranularity
    ) -> None:
        entries = [
            entry(
                hours=h,
                bill_rate=bill,
                cost_rate=cost,
                billable=b,
                work_date=date(2026, 3, 1) + timedelta(days=d),
            )
            for h, bill, cost, b, d in rows
        ]
        lines = build_posting_lines(postable(*entries), granularity, calendar())
        held = [i for line in lines for i in line.entry_ids]
        assert sorted(held) == sorted(e.global_id for e in entries)  # each entry in exactly one line
        assert sum(line.hours for line in lines) == sum(e.hours for e in entries)
        assert Money.sum((line.cost_amount for line in lines), "USD") == Money.sum(
            (line_amount(e.hours, e.cost_rate) for e in entries if e.cost_rate), "USD"
        )
        assert Money.sum((line.bill_amount for line in lines if line.bill_amount), "USD") == Money.sum(
            (amount for e in entries if (amount := e.bill_amount()) is not None), "USD"
        )
        for line in lines:
            assert line.cost_amount.is_rounded
            assert line.bill_amount is None or line.bill_amount.is_rounded


def lines_for(*entries: TimeEntry, granularity: PostingGranularity = PER_DAY) -> list[PostingLine]:
    return build_posting_lines(postable(*entries), granularity, calendar())


class TestRepostPlan:
    def test_first_posting_posts_everything(self) -> None:
        desired = lines_for(*day_entries())
        plan = plan_postings(desired, [])
        assert plan.postings == tuple(sorted(desired, key=lambda line: line.content_key))
        assert plan.reversals == () and plan.unchanged == ()

    def test_posting_the_same_set_again_converges(self) -> None:
        entries = day_entries()
        desired = lines_for(*entries)
        plan = plan_postings(desired, [])
        again = plan_postings(lines_for(*entries), list(plan.to_send))
        assert again.to_send == ()
        assert len(again.unchanged) == len(desired)

    def test_an_edited_entry_reverses_its_line_and_reposts_never_edits(self) -> None:
        a, b = entry(hours=Hours(4)), entry(hours=Hours(3))
        posted = list(plan_postings(lines_for(a, b), []).to_send)
        [old] = posted
        edited = b.replace(hours=Hours(5))
        plan = plan_postings(lines_for(a, edited), posted)
        [reversal] = plan.reversals
        [new] = plan.postings
        assert reversal.reverses == old.key and reversal.key == f"{old.key}-rev"
        assert reversal.hours == Hours.reversal_of(Hours(7)) and reversal.hours.is_reversal
        assert old.bill_amount is not None and reversal.bill_amount == -old.bill_amount
        assert reversal.cost_amount == -old.cost_amount
        assert reversal.entry_ids == old.entry_ids
        assert new.hours == Hours(9) and new.key != old.key
        # Net effect in the ERP: exactly the new content.
        history = posted + list(plan.to_send)
        assert sum(line.hours for line in history) == Hours(9)
        assert plan_postings(lines_for(a, edited), history).to_send == ()

    def test_a_rejected_entry_is_reversed_and_the_rest_of_its_day_reposted(self) -> None:
        a, b = entry(hours=Hours(4)), entry(hours=Hours(3))
        posted = list(plan_postings(lines_for(a, b), []).to_send)
        plan = plan_postings(lines_for(a), posted)
        assert len(plan.reversals) == 1 and len(plan.postings) == 1
        assert plan.postings[0].entry_ids == (a.global_id,)

    def test_a_rejected_entry_alone_is_just_reversed(self) -> None:
        a = entry()
        posted = list(plan_postings(lines_for(a), []).to_send)
        plan = plan_postings([], posted)
        assert len(plan.reversals) == 1 and plan.postings == ()

    def test_reapproving_the_same_content_posts_a_new_generation(self) -> None:
        a = entry()
        first = list(plan_postings(lines_for(a), []).to_send)
        rejected = first + list(plan_postings([], first).to_send)
        plan = plan_postings(lines_for(a), rejected)
        [again] = plan.postings
        assert again.content_key == first[0].content_key
        assert again.key == f"{first[0].key}-2"  # the ERP still holds the first, reversed
        history = [*rejected, again]
        assert plan_postings(lines_for(a), history).to_send == ()
        third = history + list(plan_postings([], history).to_send)
        assert plan_postings(lines_for(a), third).postings[0].key == f"{first[0].key}-3"

    def test_a_line_posted_twice_is_healed(self) -> None:
        a = entry()
        [line] = lines_for(a)
        plan = plan_postings([line], [line, line.with_key(f"{line.key}-2")])
        assert [r.reverses for r in plan.reversals] == [f"{line.key}-2"]
        assert plan.unchanged == (line,)

    def test_a_reversal_in_a_closed_period_moves_to_the_first_open_one(self) -> None:
        a = entry()
        posted = list(plan_postings(lines_for(a), []).to_send)
        plan = plan_postings([], posted, calendar(closed_through=4))
        assert plan.reversals[0].posting_date == date(2026, 5, 1)
        assert plan_postings([], posted, calendar()).reversals[0].posting_date == date(2026, 3, 12)
        with pytest.raises(ValueError, match="cannot be reversed"):
            plan_postings([], posted, calendar(closed_through=12))

    def test_lines_holding_finds_the_scope_of_an_edit(self) -> None:
        a, b, c = entry(), entry(), entry(work_date=date(2026, 3, 13))
        posted = list(plan_postings(lines_for(a, b, c), []).to_send)
        held = lines_holding(posted, [b.global_id])
        assert len(held) == 1 and set(held[0].entry_ids) == {a.global_id, b.global_id}
