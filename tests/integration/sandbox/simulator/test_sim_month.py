"""What a simulated fortnight leaves in the emulators, read back through their own APIs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from conftest import DAYS, END, START, Simulated

WINDOW = f"{START}:{END}"
SF_FROM = f"{START}T00:00:00Z"
SF_UNTIL = f"{END + timedelta(days=1)}T00:00:00Z"
# The loader wrote the firm at real time, later than the simulated days: a window isolates the simulation.
CREATED = f"CreatedDate >= {SF_FROM} AND CreatedDate < {SF_UNTIL}"


def test_the_simulation_starts_after_the_seeded_time_and_meets_no_refusal(simulated: Simulated) -> None:
    report = simulated.report
    assert report.start == START
    assert [day.day for day in report.days] == [START + timedelta(days=n) for n in range(DAYS)]
    assert report.totals.get("api_errors", 0) == 0, [e for day in report.days for e in day.errors]
    weekend = [day for day in report.days if day.day.weekday() >= 5]
    assert weekend and all(not day.counts for day in weekend)


def test_consultants_logged_time_daily_and_it_was_approved(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    entries, _ = read.kantata("time_entries", date_performed_between=WINDOW)
    # The firm's own time ends the day before the simulation starts: everything here is simulated.
    assert len(entries) == totals["entries_logged"] > 500
    workdays = {date.fromisoformat(e["date_performed"]) for e in entries}
    assert all(day.weekday() < 5 for day in workdays)
    assert len(workdays) == sum(1 for day in simulated.report.days if day.day.weekday() < 5)
    per_user_day: dict[tuple[str, str], int] = {}
    for entry in entries:
        key = (entry["user_id"], entry["date_performed"])
        per_user_day[key] = per_user_day.get(key, 0) + entry["time_in_minutes"]
    typical = sorted(per_user_day.values())[len(per_user_day) // 2]
    assert 360 <= typical <= 540 + 240  # 6 to 9 hours a day (a duplicate or a catch-up may add more)
    approved = read.kantata_count("time_entries", date_performed_between=WINDOW, approved="true")
    # Approved through the month-end burst; the last days' time waits for next week's approvals.
    assert len(entries) // 2 < approved <= totals["entries_approved"]


def test_a_timesheet_edited_after_approval_was_approved_again(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    assert totals["entries_edited_after_approval"] >= 2  # at least one a week
    reopened, _ = read.kantata("timesheet_submissions", statuses="rejected", include="user,workspace")
    reopened = [s for s in reopened if str(s.get("resolution_description", "")).startswith("Reopened:")]
    corrected, included = read.kantata(
        "timesheet_submissions", statuses="approved", include="time_entries,user,workspace"
    )
    corrected = [s for s in corrected if s["title"].endswith("(corrected)")]
    assert reopened and corrected
    pairs = [
        (before, after)
        for before in reopened
        for after in corrected
        if (before["user_id"], before["workspace_id"]) == (after["user_id"], after["workspace_id"])
        and before["current_resolution_created_at_date"] < after["current_resolution_created_at_date"]
    ]
    assert pairs, "a reopened timesheet's entries were approved again later"
    _, after = pairs[0]
    notes = [included["time_entries"][i]["notes"] or "" for i in after["time_entry_ids"]]
    assert any(note.endswith(")") and "(" in note for note in notes)


def test_deals_moved_and_closed_in_salesforce(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    window = f"LastModifiedDate >= {SF_FROM} AND LastModifiedDate < {SF_UNTIL}"
    won = read.soql(
        f"SELECT Id, CloseDate, IsWon FROM Opportunity WHERE StageName = 'Closed Won' AND {window}"
    )
    assert len(won) >= totals["deals_won"] >= 2
    assert all(row["IsWon"] and START.isoformat() <= row["CloseDate"] <= END.isoformat() for row in won)
    created = read.soql(f"SELECT Id, Amount, StageName FROM Opportunity WHERE {CREATED}")
    assert len(created) == totals["deals_created"] > 0
    lines = read.soql(f"SELECT Id FROM OpportunityLineItem WHERE {CREATED}")
    assert len(lines) == totals["line_items_created"] >= len(created)


def test_change_orders_were_raised_and_approved_on_won_deals(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    orders = read.soql(
        "SELECT Id, Status__c, Approved_By__c, Approved_Date__c, Delta_Amount__c, Opportunity__r.StageName "
        f"FROM Change_Order__c WHERE {CREATED}"
    )
    assert len(orders) == totals["change_orders_created"] >= 2
    approved = [o for o in orders if o["Status__c"] == "Approved"]
    assert len(approved) == totals["change_orders_approved"] > 0
    for order in approved:
        assert order["Approved_By__c"] and order["Delta_Amount__c"] > 0
        assert SF_FROM[:10] <= order["Approved_Date__c"][:10] <= END.isoformat()


def test_expenses_were_filed_with_receipts(simulated: Simulated) -> None:
    read, totals = simulated.read, simulated.report.totals
    expenses, _ = read.kantata("expenses", date_between=WINDOW)
    assert len(expenses) == totals["expenses_filed"] > 0
    for expense in expenses:
        assert expense["category"] and expense["amount_in_cents"] > 0
        assert expense["currency"] in ("USD", "GBP")
        assert isinstance(expense["is_billable"], bool) and expense["reimbursable"] is True
        assert "RCPT-" in expense["notes"] and expense["receipt_id"]


def test_march_was_closed_in_netsuite_after_the_month_end_burst(simulated: Simulated) -> None:
    report = simulated.report
    burst = next(day for day in report.days if day.day == date(2026, 3, 31))
    assert burst.counts["timesheets_approved_late"] > 0
    periods = simulated.read.suiteql(
        "SELECT periodname, closed, isquarter, isyear, TO_CHAR(startdate, 'YYYY-MM-DD') AS startdate "
        "FROM accountingperiod"
    )
    march = [
        p for p in periods if p["startdate"] == "2026-03-01" and p["isquarter"] == "F" and p["isyear"] == "F"
    ]
    april = [
        p for p in periods if p["startdate"] == "2026-04-01" and p["isquarter"] == "F" and p["isyear"] == "F"
    ]
    assert [p["closed"] for p in march] == ["T"] and [p["closed"] for p in april] == ["F"]
    assert report.totals["periods_closed"] >= 1
    closing_day = next(day for day in report.days if day.counts.get("periods_closed"))
    assert closing_day.day == date(2026, 4, 3)  # the third working day of April


def test_the_clocks_run_on_from_the_end_of_the_simulation(simulated: Simulated) -> None:
    for clock in simulated.read.clocks():
        assert clock["frozen"] is False
        now = datetime.fromisoformat(clock["now"])
        assert END + timedelta(days=1) == now.date()
