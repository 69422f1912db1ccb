"""Time to ERP over the Kantata and NetSuite emulators: approved time becomes journal entries with the
drill-back to every entry, a closed period is re-dated or held, and time approved after posting becomes a
reversal plus a repost, never a second copy."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger_world import (
    MAY_TO_JULY_2026,
    LedgerWorld,
    config_file,
    log_time,
    seed_customer,
    seed_employee,
    seed_job,
    seed_periods,
    workspace,
)
from provisioning_world import World


def _policy(tmp_path: Path, **changes: str) -> Path:
    options = {"granularity": "per_period", "closed_period": "redate", "self_approval_allowed": "true"}
    return config_file(tmp_path, "time_posting", **{**options, **changes})


class TimeWorld(LedgerWorld):
    """One consultant on one project, known to both systems and linked in Concord's cross-reference."""

    def __init__(self, world: World, tmp_path: Path, *, job_status: str = "2", **policy: str) -> None:
        super().__init__(world)
        seed_periods(world, MAY_TO_JULY_2026)
        customer = seed_customer(world)
        self.job = seed_job(world, customer, name="Globex ERP rollout", start="2026-04-01", status=job_status)
        self.employee = seed_employee(world)
        self.workspace = workspace(world, start="2026-04-01", require_time_approvals=True, status_key=300)
        references = {"netsuite_account_id": {"labour_cost": "610", "accrued_labour": "220"}}
        settings = world.settings(tmp_path, flows=["time_to_erp"], time_posting=_policy(tmp_path, **policy))
        merged = {**settings.reference_tables, **references}
        self.concord = world.engine(
            tmp_path, flows=["time_to_erp"], time_posting=_policy(tmp_path, **policy), reference_tables=merged
        )
        self.project, self.resource = self.link_consultant(self.workspace, self.job, self.employee, customer)

    def approve(self, *days: str, minutes: int = 450) -> list[str]:
        """Log time on ``days`` and approve it on one timesheet; returns the Kantata entry ids."""
        rates = {"rate_in_cents": 20000, "cost_rate_in_cents": 9000}
        return log_time(self.world, self.workspace, days, time_in_minutes=minutes, **rates)

    def journals(self) -> list[dict[str, Any]]:
        return self.ns_list("journalEntry")


def _lines(journal: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = journal["lines"]["line"]
    return lines


def _entry_lines(journal: dict[str, Any]) -> list[dict[str, Any]]:
    return [line for line in _lines(journal) if line.get("custcol_concord_time_entry")]


def test_approved_time_is_posted_once_per_period_with_drill_back_and_a_closed_period_redated(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path)
    time.approve("2026-06-01", "2026-06-02", "2026-06-03", "2026-05-29")
    time.run()
    june, redated = sorted(time.journals(), key=lambda j: len(_entry_lines(j)), reverse=True)
    # The June time is one posting; the May entry, its period closed, is re-dated into June.
    assert june["tranDate"] == redated["tranDate"] == "2026-06-30"
    assert "re-dated from 2026-05-29" in redated["memo"] and "re-dated" not in june["memo"]
    entry_lines = _entry_lines(june)
    assert len(entry_lines) == 3 and len(_entry_lines(redated)) == 1
    # 3 x 7.5 h at 90.00 cost: 675.00 each, balanced by one accrual line.
    assert {Decimal(str(line["debit"])) for line in entry_lines} == {Decimal("675.00")}
    credits = [Decimal(str(line["credit"])) for line in _lines(june) if line.get("credit") is not None]
    assert credits == [Decimal("2025.00")]
    assert Decimal(str(june["custbody_concord_hours"])) == Decimal("22.5")
    assert Decimal(str(june["custbody_concord_bill_amount"])) == Decimal("4500.00")
    assert not time.exceptions()

    time.run()  # nothing new: nothing sent again
    assert len(time.journals()) == 2
    time.concord.close()


def test_time_approved_after_posting_reverses_the_posting_and_reposts_the_whole(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path)
    first = time.approve("2026-06-08", "2026-06-09")
    time.run()
    assert len(time.journals()) == 1
    later = time.approve("2026-06-10")
    time.run()
    original, reversal, repost = time.journals()
    assert original["custbody_concord_posting_key"] == reversal["custbody_concord_reverses"]
    assert all(line.get("credit") is not None for line in _entry_lines(reversal)), "a reversal credits cost"
    assert len(_entry_lines(repost)) == 3
    held = {line["custcol_concord_time_entry"] for line in _entry_lines(repost)}
    assert len(held) == 3 and len(first + later) == 3
    time.concord.close()


def test_with_the_hold_policy_a_closed_period_holds_its_entry_with_one_exception(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path, closed_period="hold")
    time.approve("2026-06-15", "2026-05-28")
    time.run()
    (journal,) = time.journals()
    assert journal["tranDate"] == "2026-06-30" and len(_entry_lines(journal)) == 1
    (held,) = time.exceptions()
    assert held["category"] == "validation" and held["business_type"] == "TimeEntry"
    assert "was not posted" in held["message"] and "May 2026 is closed in NetSuite" in held["message"]
    time.approve("2026-06-16")  # the month runs again: the held entry is not reported twice
    time.run()
    assert len(time.exceptions()) == 1
    time.concord.close()


def test_a_project_the_psa_started_but_the_erp_still_shows_pending_is_aligned_then_posted(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path, job_status="4")  # NetSuite: Pending
    time.approve("2026-06-22")
    time.run()
    (journal,) = time.journals()
    assert len(_entry_lines(journal)) == 1
    (job,) = [j for j in world.ns_records("job") if j["id"] == time.job]
    assert str(job["entityStatus"]) in ("2", "{'id': '2'}") or job["entityStatus"] == {"id": "2"}
    time.concord.close()


def test_a_posting_the_erp_refuses_is_posted_when_its_exception_is_retried(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path)
    # NetSuite refuses the first journal write for good (a 400: retrying the same request cannot help).
    world.ns_fault(
        endpoint="PUT /services/rest/record/v1/journalEntry/*", error_rate=1.0, error_status=400, max_faults=1
    )
    time.approve("2026-06-22", "2026-06-23")
    time.run()
    assert time.journals() == []
    (refused,) = time.exceptions()
    world.ns_clear_faults()
    time.concord.exceptions.retry(refused["exception_id"], "finance@firm")
    time.run()
    (journal,) = time.journals()
    assert len(_entry_lines(journal)) == 2, "the refused posting was planned again, not taken for sent"
    time.concord.close()


def _run_commands(time: TimeWorld, step: str, generation: int) -> list[dict[str, Any]]:
    """The commands one run (generation) of the June instance issued at ``step``."""
    instance = f"time_to_erp:{time.resource}|2026-06"
    with time.concord.store.transaction() as tx:
        issued = tx.outbox.for_instance(instance)
    return [c for c in issued if c["step"] == step and f"/g{generation}/{step}/" in c["idempotency_key"]]


def test_a_runs_reads_and_new_postings_go_out_together_while_a_reversal_precedes_its_repost(
    world: World, tmp_path: Path
) -> None:
    time = TimeWorld(world, tmp_path)
    time.approve("2026-06-01", "2026-06-02")
    rates = {"rate_in_cents": 20000, "cost_rate_in_cents": 9000}
    log_time(world, time.workspace, ["2026-06-04"], time_in_minutes=240, billable=False, **rates)
    time.run()  # billable and non-billable June time: two postings
    # Reads change nothing and the postings are distinct records: each command has its own ordering key,
    # so the outbox hands them out together instead of one after the other.
    reads = _run_commands(time, "read", 1)
    assert len(reads) >= 4 and len({c["ordering_key"] for c in reads}) == len(reads)
    posts = _run_commands(time, "post", 1)
    assert len(posts) == 2
    assert {c["ordering_key"] for c in posts} == {f"TimePosting:{c['payload']['global_id']}" for c in posts}

    time.approve("2026-06-03")
    time.run()
    # A reversal and the repost that replaces it keep one key: sent in that order.
    reposts = _run_commands(time, "post", 2)
    assert [bool(c["payload"].get("reverses")) for c in reposts] == [True, False]
    assert len({c["ordering_key"] for c in reposts}) == 1
    assert len(time.journals()) == 4 and not time.exceptions()  # two postings, a reversal, a repost
    time.concord.close()
