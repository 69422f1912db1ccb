"""A posted time entry re-dated into the next month is posted once: the month that held it reverses its
posting and reposts the rest, the month it moved to posts it (the engine takes a record away from the
gathering instance that held it when its newer version belongs to another)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from provisioning_world import World
from test_time_to_erp import TimeWorld, _entry_lines


def _reopen_and_redate(time: TimeWorld, entries: list[str], entry_id: str, day: str) -> None:
    """The manager reopens the (only) approved timesheet, the consultant moves one of its ``entries`` to
    ``day`` and submits them again, and the manager approves them."""
    sheets = time.world.kantata_api("GET", "timesheet_submissions.json")
    (sheet_id,) = [ref["id"] for ref in sheets["results"]]
    reject = {"resolution": {"submission_ids": [sheet_id], "description": "wrong day"}}
    time.world.kantata_api("POST", "timesheet_rejections.json", reject)
    time.world.kantata_api("PUT", f"time_entries/{entry_id}.json", {"time_entry": {"date_performed": day}})
    resubmit = {"workspace_id": time.workspace, "title": "Week (corrected)", "line_item_ids": entries}
    answer = time.world.kantata_api("POST", "timesheet_submissions.json", {"timesheet_submission": resubmit})
    approve = {"resolution": {"submission_ids": [answer["results"][0]["id"]], "description": "ok"}}
    time.world.kantata_api("POST", "timesheet_approvals.json", approve)


def _net_cost_by_entry(journals: list[dict[str, Any]]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = defaultdict(Decimal)
    for journal in journals:
        for line in _entry_lines(journal):
            amount = Decimal(str(line.get("debit") or 0)) - Decimal(str(line.get("credit") or 0))
            net[str(line["custcol_concord_time_entry"])] += amount
    return dict(net)


def test_an_entry_redated_into_the_next_month_after_posting_is_posted_once(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path)
    staying, moving = time.approve("2026-06-29", "2026-06-30")
    time.run()
    (june,) = time.journals()
    assert len(_entry_lines(june)) == 2

    _reopen_and_redate(time, [staying, moving], moving, "2026-07-01")
    time.run()
    journals = time.journals()
    by_date: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for journal in journals:
        by_date[journal["tranDate"]].append(journal)
    # June: the posting, its reversal and a repost of the entry that stayed; July: the moved entry.
    assert len(by_date["2026-06-30"]) == 3 and len(by_date["2026-07-31"]) == 1
    (july,) = by_date["2026-07-31"]
    assert len(_entry_lines(july)) == 1
    net = _net_cost_by_entry(journals)
    assert len(net) == 2 and set(net.values()) == {Decimal("675.00")}, net  # 7.5 h at 90.00, once each
    assert not time.exceptions()

    time.run()  # nothing new: nothing sent again
    assert len(time.journals()) == len(journals)
    time.concord.close()
