"""The same seed on the same starting data gives the same simulation, even though the two sandboxes
were loaded concurrently and may have given their records different ids."""

from __future__ import annotations

from conftest import END, START, Simulated


def test_the_same_seed_twice_gives_identical_counts_every_day(simulated: Simulated, twin: Simulated) -> None:
    first, second = simulated.report, twin.report
    assert [day.to_json() for day in first.days] == [day.to_json() for day in second.days]
    assert first.totals == second.totals and first.totals["entries_logged"] > 0
    assert first.hours == second.hours and first.expenses == second.expenses


def test_the_twin_sandboxes_hold_the_same_simulated_records(simulated: Simulated, twin: Simulated) -> None:
    window = f"CreatedDate >= {START}T00:00:00Z AND CreatedDate < {END}T23:59:59Z"
    query = f"SELECT Name, StageName, Amount FROM Opportunity WHERE {window}"
    deals = [
        sorted((r["Name"], r["StageName"], r["Amount"]) for r in s.read.soql(query))
        for s in (simulated, twin)
    ]
    assert deals[0] and deals[0] == deals[1]
    expenses = [
        sorted(
            (e["date"], e["category"], e["amount_in_cents"], e["notes"])
            for e in s.read.kantata("expenses", date_between=f"{START}:{END}")[0]
        )
        for s in (simulated, twin)
    ]
    assert expenses[0] and expenses[0] == expenses[1]
