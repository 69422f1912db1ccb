"""Time postings and accounting periods as canonical objects: what a posting must add up to, which way its
signs go, and the calendar the posting rules read from the ERP's periods."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from concord.domain.hours import Hours
from concord.domain.ids import new_id
from concord.domain.money import Money
from concord.domain.objects import AccountingPeriod, PostedEntry, TimePosting, business_messages
from concord.domain.periods import AccountingCalendar, calendar_of
from concord.domain.periods import AccountingPeriod as CalendarPeriod

from .samples import envelope, posting_fields, usd


def refusal(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        TimePosting(**fields)
    return "\n".join(business_messages(caught.value))


def entry(hours: str, cost: str, bill: str | None = None, currency: str = "USD") -> PostedEntry:
    return PostedEntry(
        entry_id=new_id(),
        hours=Hours(hours, reversal=hours.startswith("-")),
        cost_amount=Money(cost, currency),
        bill_amount=None if bill is None else Money(bill, currency),
    )


def reversal_fields(**overrides: Any) -> dict[str, Any]:
    entries = (entry("-7.50", "-468.75"), entry("-4", "-250"))
    fields = posting_fields(
        posting_key="tp-3f9a0c-1-rev",
        reverses="tp-3f9a0c-1",
        billable=False,
        hours=Hours("-11.5", reversal=True),
        cost_amount=usd("-718.75"),
        bill_amount=None,
        entries=entries,
    )
    return fields | overrides


class TestTimePosting:
    def test_a_posting_adds_up_and_keeps_its_drill_back(self) -> None:
        posting = TimePosting(**posting_fields())
        assert posting.hours == Hours("11.5") and posting.cost_amount == usd("718.75")
        assert len(posting.entries) == 2 and all(e.hours > 0 for e in posting.entries)

    def test_a_reversal_posts_negative_hours_and_amounts(self) -> None:
        posting = TimePosting(**reversal_fields())
        assert posting.reverses == "tp-3f9a0c-1" and posting.hours == Hours("-11.5", reversal=True)
        assert posting.model_dump(mode="json")["hours"] == "-11.50"

    def test_a_posting_holds_at_least_one_entry(self) -> None:
        message = refusal(**posting_fields(entries=()))
        assert "The posting tp-3f9a0c-1 holds no time entries; a posting holds at least one." in message

    def test_the_hours_are_the_sum_of_the_entries(self) -> None:
        message = refusal(**posting_fields(hours=Hours("12")))
        assert "The posting tp-3f9a0c-1 posts 12.00 h, but its entries add up to 11.50 h." in message

    def test_the_cost_is_the_sum_of_the_entries_in_one_currency(self) -> None:
        message = refusal(**posting_fields(cost_amount=usd("718.70")))
        assert (
            "The cost amount USD 718.70 of the posting tp-3f9a0c-1 is not the sum of its entries, USD 718.75."
            in message
        )
        foreign = (entry("7.5", "468.75", "1125"), entry("4", "250", "600", currency="EUR"))
        message = refusal(**posting_fields(entries=foreign, bill_amount=usd("1725")))
        assert "is in EUR but the posting tp-3f9a0c-1 is in USD" in message

    def test_the_bill_amount_is_the_sum_of_the_entries_when_billed(self) -> None:
        message = refusal(**posting_fields(bill_amount=usd("1700")))
        assert (
            "The bill amount USD 1,700.00 of the posting tp-3f9a0c-1 is not the sum of its entries, "
            "USD 1,725.00." in message
        )
        message = refusal(**posting_fields(bill_amount=None))
        assert "Entries of the posting tp-3f9a0c-1 have bill amounts, but the posting has none." in message

    def test_a_reversal_posts_negative_hours_and_a_posting_positive(self) -> None:
        message = refusal(**posting_fields(reverses="tp-0001-1"))
        assert (
            "The posting tp-3f9a0c-1 reverses tp-0001-1 but posts 11.50 h; a reversal posts negative hours."
            in message
        )
        message = refusal(**reversal_fields(reverses=None))
        assert (
            "posts -11.50 h; a posting posts positive hours (a reversal names the posting it reverses)."
            in message
        )

    def test_every_entry_has_the_sign_of_the_total(self) -> None:
        mixed = (entry("7.5", "468.75"), entry("-4", "-250"))
        message = refusal(
            **posting_fields(entries=mixed, hours=Hours("3.5"), cost_amount=usd("218.75"), bill_amount=None)
        )
        assert f"Time entry {mixed[1].entry_id} posts -4.00 h in the posting tp-3f9a0c-1 of 3.50 h" in message

    def test_an_entry_has_hours_and_amounts_of_their_sign_rounded_to_the_cent(self) -> None:
        with pytest.raises(ValidationError, match="posts 0 h; an entry in a posting has hours"):
            entry("0", "0")
        with pytest.raises(ValidationError, match=r"has the opposite sign of its -4\.00 h"):
            entry("-4", "250")
        with pytest.raises(ValidationError, match="has more decimals than USD allows"):
            entry("4", "250.005")
        assert entry("4", "0").cost_amount.is_zero  # no cost rate: posted at zero, still drilled back


def period(name: str, start: date, end: date, **flags: bool) -> AccountingPeriod:
    return AccountingPeriod(
        **envelope("netsuite"),
        name=name,
        start_date=start,
        end_date=end,
        closed=flags.pop("closed", False),
        **flags,
    )


class TestAccountingPeriod:
    def test_a_period_ends_after_it_starts(self) -> None:
        with pytest.raises(
            ValidationError, match="Accounting period 'Mar 2026' ends on 2026-03-01, before it starts"
        ):
            period("Mar 2026", date(2026, 3, 31), date(2026, 3, 1))

    def test_as_the_posting_rules_see_it(self) -> None:
        march = period("Mar 2026", date(2026, 3, 1), date(2026, 3, 31), closed=True)
        assert march.as_calendar_period() == CalendarPeriod(
            "Mar 2026", date(2026, 3, 1), date(2026, 3, 31), True
        )

    def test_the_calendar_keeps_base_periods_only(self) -> None:
        periods = [
            period("FY 2026", date(2026, 1, 1), date(2026, 12, 31), summary=True),
            period("Q1 2026", date(2026, 1, 1), date(2026, 3, 31), closed=True, summary=True),
            period("Feb 2026", date(2026, 2, 1), date(2026, 2, 28), closed=True),
            period("Adjust Feb 2026", date(2026, 2, 28), date(2026, 2, 28), adjustment=True),
            period("Mar 2026", date(2026, 3, 1), date(2026, 3, 31)),
        ]
        calendar = calendar_of(periods)
        assert [p.name for p in calendar.periods] == ["Feb 2026", "Mar 2026"]
        assert calendar.posting_date_from(date(2026, 2, 27)) == date(2026, 3, 1)
        # Kept, the summaries would overlap the months they group.
        with pytest.raises(ValueError, match="overlap"):
            AccountingCalendar(p.as_calendar_period() for p in periods)
