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

import contextlib
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime

from pydantic import ValidationError

from concord.domain.findings import Finding, Systems
from concord.domain.keys import Stamp
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import (
    AccountingPeriod,
    Project,
    ProjectStatus,
    Resource,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import calendar_of
from concord.domain.posting_lines import PostingGranularity
from concord.domain.sla import SlaMeasure
from concord.domain.time_posting import ErpProjectState
from concord.engine.flows import BusinessRef, Flow, Report, Step, StepContext
from concord.flows.sending import SENT, accepted, sending
from concord.flows.time_posting import (
    PostedLine,
    ProjectFacts,
    TimeFacts,
    judge_entries,
    plan_time_postings,
)
from concord.flows.time_posting_config import TimePostingConfig

__all__ = ["FLOW_NAME", "time_to_erp"]

FLOW_NAME = "time_to_erp"
POSTING = "posting"
"""State key: entry id → approval time, of the entries the postings in flight hold (for the SLA)."""

_NAMES = {"kantata": "Kantata", "netsuite": "NetSuite", "salesforce": "Salesforce"}


def time_to_erp(config: TimePostingConfig) -> Flow:
    """The flow, for the systems and posting policy of ``config``."""
    systems = config.systems
    named = Systems(
        psa=systems.psa,
        psa_name=_NAMES.get(systems.psa, systems.psa),
        erp=systems.erp,
        erp_name=_NAMES.get(systems.erp, systems.erp),
    )
    policy = config.policy()
    per_entry = config.granularity is PostingGranularity.PER_ENTRY

    def key(event: Event) -> str | None:
        entry = event.payload
        if per_entry:
            return str(entry["global_id"])
        return f"{entry['resource_id']}|{str(entry['work_date'])[:7]}"

    def business(event: Event) -> BusinessRef:
        entry = event.payload
        if per_entry:
            label = f"Time entry {entry['global_id']} ({entry['work_date']})"
        else:
            label = f"Time of resource {entry['resource_id']} in {str(entry['work_date'])[:7]}"
        return BusinessRef("TimePosting", f"TimePosting:{key(event)}", label)

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        entries = _entries(ctx)
        sent = [PostedLine.from_state(held) for held in ctx.state.get(SENT, [])]
        approved = [e for e in entries if e.status is TimeEntryStatus.APPROVED]
        if not approved and not sent:
            return []  # nothing to post and nothing posted to take back
        projects = sorted({e.project_id for e in approved} | {s.posting.project_id for s in sent})
        reads = [CommandSpec(systems.erp, "list", "AccountingPeriod", {})]
        for project_id in projects:
            reads.append(CommandSpec(systems.psa, "get", "Project", {"global_id": project_id}))
            reads.append(CommandSpec(systems.erp, "get", "Project", {"global_id": project_id}))
        reads.append(CommandSpec(systems.erp, "get", "Resource", {"global_id": entries[0].resource_id}))
        return reads

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
        aligned = {str(answer["global_id"]) for answer in ctx.results.get("align") or []}
        entries = _entries(ctx)
        facts = _facts(answers, systems.psa, entries[0].resource_id, named, aligned)
        confirmed = [e.global_id for e in entries if ctx.confirmed(f"TimeEntry:{e.global_id}")]
        verdicts = judge_entries(entries, facts, policy, confirmed)
        changed_at = _changed_at(ctx)
        for verdict in verdicts:
            entry_key = f"TimeEntry:{verdict.entry.global_id}"
            at = changed_at.get(verdict.entry.global_id, verdict.entry.source_changed_at)
            if verdict.postable is not None:
                ctx.settle(entry_key, at)
            for finding in verdict.findings:
                ctx.report(_report(finding, verdict.entry, entry_key, at, systems.psa))
        sent = [PostedLine.from_state(held) for held in ctx.state.get(SENT, [])]
        read_at = next(str(a["read_at"]) for a in answers if "read_at" in a)
        stamp = Stamp(entries[0].correlation_id, datetime.fromisoformat(read_at))
        plan = plan_time_postings(verdicts, sent, facts, config.granularity, stamp)
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
        return [
            CommandSpec(
                systems.erp, "upsert", "TimePosting", line.posting.model_dump(mode="json", exclude_none=True)
            )
            for line in plan.to_send
        ]

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
        key=key,
        business=business,
        gather=config.gathering(),
    )


def _timing(entry: TimeEntry, psa: str) -> list[str]:
    """(approval time, label) of an entry being posted, as the instance keeps them for the SLA."""
    assert entry.approved_at is not None
    return [entry.approved_at.isoformat(), f"{entry.system_ids.get(psa) or entry.global_id}"]


def _report(finding: Finding, entry: TimeEntry, entry_key: str, at: datetime, psa: str) -> Report:
    """The exception a finding opens: about the entry, or about its project when the project is at fault."""
    if finding.subject.object_type == "Project" and finding.subject.global_id:
        project = finding.subject.global_id
        business = BusinessRef("Project", f"Project:{project}", f"Project {project}", {"concord": project})
    else:
        ids = {**entry.system_ids, "concord": entry.global_id}
        label = f"Time entry {entry.system_ids.get(psa) or entry.global_id}"
        business = BusinessRef("TimeEntry", entry_key, label, ids)
    return Report(business, finding.category.value, finding.message, finding.rule, at)


def _entries(ctx: StepContext) -> list[TimeEntry]:
    # The recorder validated every version against the canonical model before it became an event.
    return [TimeEntry.model_validate(payload) for payload in ctx.inputs]


def _changed_at(ctx: StepContext) -> dict[str, datetime]:
    gathered: Mapping[str, JSON] = ctx.state.get("inputs", {})
    return {
        str(held["payload"]["global_id"]): datetime.fromisoformat(str(held["at"]))
        for held in gathered.values()
    }


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
    periods: list[AccountingPeriod] = []
    psa_projects: dict[str, JSON] = {}
    erp_projects: dict[str, JSON] = {}
    resource: Resource | None = None
    for answer in answers:
        if "records" in answer:
            periods = [AccountingPeriod.model_validate(record) for record in answer["records"]]
        elif answer.get("global_id") == resource_id:
            if answer.get("record"):
                resource = Resource.model_validate(answer["record"])
        elif answer.get("system") == psa:
            psa_projects[str(answer["global_id"])] = answer
        else:
            erp_projects[str(answer["global_id"])] = answer
    projects = {
        project_id: _project(psa_projects.get(project_id, {}), answer, project_id in aligned)
        for project_id, answer in erp_projects.items()
    }
    return TimeFacts(calendar_of(periods), projects, resource, named)


def _project(psa: JSON, erp: JSON, aligned: bool = False) -> ProjectFacts:
    """The project for the checks: the ERP's record with the PSA's status and dates (the PSA owns them).

    ``aligned``: the flow has just given the ERP's project the PSA's status.
    """
    psa_values: JSON = psa.get("record") or psa.get("values") or {}
    erp_record = erp.get("record")
    name = f"project '{psa_values.get('name') or (erp_record or {}).get('name') or erp.get('global_id')}'"
    if not erp_record:
        return ProjectFacts(None, None, name, erp.get("invalid"))
    project = Project.model_validate(erp_record)
    erp_state = ErpProjectState(project.status)
    overlay = {
        field: value
        for field, value in (
            ("status", psa_values.get("status")),
            ("start_date", psa_values.get("start_date")),
            ("end_date", psa_values.get("end_date")),
        )
        if value is not None
    }
    # When the PSA's dates do not fit the ERP's record, the checks use the ERP's.
    with contextlib.suppress(ValidationError, ValueError):
        project = project.replace(**_typed(overlay))
    if aligned:
        erp_state = ErpProjectState(project.status)
    return ProjectFacts(project, erp_state, name)


def _typed(values: JSON) -> dict[str, object]:
    typed: dict[str, object] = {}
    for field, value in values.items():
        if field == "status":
            typed[field] = ProjectStatus(value)
        else:
            typed[field] = date.fromisoformat(str(value))
    return typed
