"""Time to ERP (domain.md §3.3): approved time in the PSA becomes postings in the ERP, with all their
dimensions, at the firm's granularity; an entry edited or rejected after posting becomes a reversal plus a
repost; time in a closed ERP period is held, or re-dated into the first open period.

A gathering flow: one instance per employee and month (per entry with ``per_entry`` granularity) gathers
the newest version of each of its time entries, and runs once a burst of approvals has settled. A run:

1. ``read``: the ERP's accounting periods, each project as the PSA and the ERP show it now, and the
   employee in the ERP (``list`` and ``get`` commands, so decisions rest on current facts);
2. ``align``: a project whose status the ERP has not caught up with (the PSA owns project status: a
   project the PSA started is still pending in the ERP) is given the PSA's status in the ERP;
3. ``post``: every approved entry is checked (``concord.domain.time_posting``); one that cannot be
   posted opens one exception about that entry, in business words, and the others go on. The postable
   entries become postings (``concord.flows.time_posting``); what differs from the postings sent before
   is sent: reversals first, then new postings, each upserted by a key derived from its content, so a
   run repeated after a crash or a replay sends nothing new.
4. ``posted``: the postings are in the ERP: they are kept as sent, and the approved-time-to-ERP SLA of
   their entries ends (domain.md §5). A posting the ERP refused is not kept, so retrying the exception
   plans it again.

The postings sent are kept in the instance, so the next run knows what the ERP holds from Concord. The
flow sees canonical records and commands only; which ERP record a posting becomes is the mappings' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime

from concord.domain.findings import Systems
from concord.domain.messages import JSON, CommandSpec
from concord.domain.objects import AccountingPeriod, ProjectStatus, TimeEntry, TimeEntryStatus
from concord.domain.periods import calendar_of
from concord.domain.posting_lines import PostingGranularity
from concord.domain.sla import SlaMeasure
from concord.engine.flows import BusinessRef, Flow, Step, StepContext
from concord.flows.ordering import apart, own_record
from concord.flows.posting_steps import (
    BookedAs,
    RecordPosting,
    read_back,
    read_stamp,
    run_reads,
    run_subject,
)
from concord.flows.sending import SENT, accepted, sending
from concord.flows.systems import named_systems
from concord.flows.time_posting import PostedLine, TimeFacts, judge_entries, plan_time_postings
from concord.flows.time_posting_config import TimePostingConfig

__all__ = ["FLOW_NAME", "time_to_erp"]

FLOW_NAME = "time_to_erp"
POSTING = "posting"
"""State key: entry id → approval time, of the entries the postings in flight hold (for the SLA)."""


def time_to_erp(config: TimePostingConfig) -> Flow:
    """The flow, for the systems and posting policy of ``config``."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp)
    policy = config.policy()
    per_entry = config.granularity is PostingGranularity.PER_ENTRY
    posting = RecordPosting("TimePosting", "Time entry", "Time", "work_date", per_entry)

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        # What to read rests on each entry's project, employee and status only: taken from the entries
        # as recorded (validated then), while ``post`` builds each TimeEntry.
        inputs = ctx.inputs
        entries = [BookedAs.of(payload) for payload in inputs]
        approved = [
            booked
            for booked, payload in zip(entries, inputs, strict=True)
            if payload.get("status") == TimeEntryStatus.APPROVED.value
        ]
        # Reads change nothing: they go out together (``ordering``).
        return apart(ctx, "read", run_reads(systems, ["AccountingPeriod"], entries, approved, _sent(ctx)))

    def align(ctx: StepContext) -> Sequence[CommandSpec]:
        # The PSA owns a project's status (authority matrix): an ERP project still pending after the PSA
        # started it (or open after the PSA closed it) is brought in line before time is posted on it.
        answers = ctx.results.get("read") or []
        return [
            CommandSpec(
                systems.erp, "update", "Project", {"global_id": project_id, "values": {"status": status}}
            )
            for project_id, status in _status_to_align(answers, systems.psa).items()
        ]

    def post(ctx: StepContext) -> Sequence[CommandSpec]:
        answers = ctx.results.get("read") or []
        if not answers:
            return []
        aligned = {str(a["global_id"]) for a in ctx.results.get("align") or [] if a.get("global_id")}
        entries = _entries(ctx)
        resource_id, correlation_id = run_subject(entries, _sent(ctx))
        facts = _facts(answers, systems.psa, resource_id, named, aligned)
        confirmed = [e.global_id for e in entries if ctx.confirmed(f"TimeEntry:{e.global_id}")]
        verdicts = judge_entries(entries, facts, policy, confirmed)
        changed_at = ctx.input_times()
        for verdict in verdicts:
            done = verdict.postable is not None
            posting.judged(
                ctx, verdict.entry, verdict.findings, posted=done, psa=systems.psa, changed_at=changed_at
            )
        stamp = read_stamp(answers, correlation_id)
        plan = plan_time_postings(verdicts, _sent(ctx), facts, config.granularity, stamp)
        # Kept as sent only once the ERP took them (``posted``): a posting it refuses is planned again when
        # the exception is retried, instead of being taken for done.
        sending(ctx, [line.to_state() for line in plan.sent])
        approved = {e.global_id: e for e in entries if e.approved_at is not None}
        ctx.state[POSTING] = {
            held.entry_id: _timing(approved[held.entry_id], systems.psa)
            for line in plan.to_send
            if line.reverses is None
            for held in line.posting.entries
            if held.entry_id in approved
        }
        upserts = [
            CommandSpec(
                systems.erp, "upsert", "TimePosting", line.posting.model_dump(mode="json", exclude_none=True)
            )
            for line in plan.to_send
        ]
        if any(line.reverses is not None for line in plan.to_send):
            return upserts  # reversals first, then the postings that replace them: one after the other
        # New postings only, each its own record in the ERP: they go out together (``ordering``).
        return [own_record(spec) for spec in upserts]

    def posted(ctx: StepContext) -> Sequence[CommandSpec]:
        # The postings of the run are in the ERP: they count as sent, and the approved-time-to-ERP SLA of
        # their entries ends.
        accepted(ctx)
        for entry_id, (approved_at, label) in ctx.state.pop(POSTING, {}).items():
            subject = BusinessRef("TimeEntry", f"TimeEntry:{entry_id}", label)
            ctx.timed(SlaMeasure.APPROVED_TIME_TO_ERP, subject, datetime.fromisoformat(approved_at))
        return []

    return Flow(
        name=FLOW_NAME,
        triggers=frozenset({"TimeEntryChanged"}),
        steps=(Step("read", read), Step("align", align), Step("post", post), Step("posted", posted)),
        key=posting.key,
        business=posting.business,
        gather=config.settle.gathering(),
    )


def _timing(entry: TimeEntry, psa: str) -> list[str]:
    """(approval time, label) of an entry being posted, as the instance keeps them for the SLA."""
    assert entry.approved_at is not None
    return [entry.approved_at.isoformat(), f"{entry.system_ids.get(psa) or entry.global_id}"]


def _entries(ctx: StepContext) -> list[TimeEntry]:
    # The recorder validated every version against the canonical model before it became an event.
    return [TimeEntry.model_validate(payload) for payload in ctx.inputs]


def _sent(ctx: StepContext) -> list[PostedLine]:
    return [PostedLine.from_state(held) for held in ctx.state.get(SENT, [])]


_ALIGNED_STATUSES = (ProjectStatus.PENDING.value, ProjectStatus.ACTIVE.value, ProjectStatus.CLOSED.value)
"""Project statuses the ERP can take from the PSA (NetSuite has no "on hold")."""


def _status_to_align(answers: Sequence[JSON], psa: str) -> dict[str, str]:
    """Project global id → the PSA's status, for the projects whose ERP status differs from it."""
    psa_status: dict[str, str] = {}
    erp_status: dict[str, str] = {}
    for answer in answers:
        shown = answer.get("record") or answer.get("values") or {}
        if "global_id" not in answer or "status" not in shown or "employee_id" in shown:
            continue
        side = psa_status if answer.get("system") == psa else erp_status
        side[str(answer["global_id"])] = str(shown["status"])
    return {
        project_id: status
        for project_id, status in psa_status.items()
        if project_id in erp_status and erp_status[project_id] != status and status in _ALIGNED_STATUSES
    }


def _facts(
    answers: Sequence[JSON],
    psa: str,
    resource_id: str,
    named: Systems,
    aligned: AbstractSet[str] = frozenset(),
) -> TimeFacts:
    """The calendar, projects and employee from the answers of the ``read`` step (in any order)."""
    read = read_back(answers, psa, resource_id, aligned=aligned)
    periods = [
        AccountingPeriod.model_validate(record) for listed in read.listed[-1:] for record in listed["records"]
    ]
    return TimeFacts(calendar_of(periods), read.projects, read.resource, named)
