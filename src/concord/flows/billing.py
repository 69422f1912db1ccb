"""Billing (domain.md §3.4): invoice events created in the ERP against the contract, from milestone
completion (fixed fee), from approved billable time and expenses per billing period (time and materials,
capped by the not-to-exceed), and per elapsed period of a subscription or managed service.

Two flows, one per clock that makes an invoice due:

``billing`` follows a project's records. A gathering flow, one instance per project (the project names its
contract in the ERP; one contract is delivered by one project), gathers the newest version of each of the
project's time entries, expenses and milestones from the PSA, and runs once a burst of approvals settles:

1. ``read``: the project in the ERP (for its contract) and, for the invoice lines, the people whose time
   is billed, from the PSA;
2. ``read_contract``: the contract as the ERP holds it now (pricing model, billing plan, cap, version);
3. ``bill``: the invoices due as of the day of the run (``concord.flows.invoicing``): each time-and-
   materials billing period that has ended since the last one invoiced, each milestone complete (or
   accepted) not yet invoiced. They are upserted in the ERP by their deterministic ids; what they billed is
   kept in the instance, so nothing is billed twice and the cap counts what was billed before. A record
   that cannot be billed (no bill rate, time over the cap, a milestone whose amount the PSA and the ERP
   disagree on, an entry changed after it was invoiced) opens one exception and the rest is billed;
4. ``billed``: the invoices are in the ERP; the approved-time-to-billing SLA of their time ends.

A period's invoice is made by the first run after the period ended, which comes with the next approvals
(or any later change on the project); time approved for it after that is billed on the next period's
invoice. A run that leaves approved billable time waiting in a period still running asks the engine to run
it again the day that period ends (``StepContext.run_again_at``, on the business clock), so a project whose
last time was approved before its last period ended is invoiced then, not at a next change that may never
come.

``subscription_billing`` follows the ERP's calendar. Subscription and managed-service fees are due when a
period has elapsed whether or not anything happens on the project, and Concord has no clock of its own to
wake a flow: its trigger is the ERP's accounting periods, which Concord detects. Finance changes a period's
record at every month end (locking receivables, closing the period) and when it opens the next periods,
so every month end runs the subscription billing. One instance gathers the periods' changes and runs once
they settle; a run reads every contract and project from the ERP and invoices each subscription period due
by the day of the run (ended, or begun when fees are billed in advance) that it has not invoiced before,
against the contract's project. A fee is invoiced by the month end after its period, at the latest; after
Concord was stopped, every period missed is invoiced at once.

Both flows bill as of the day of the run (``_as_of``): Concord's clock when it read the facts, or the
platforms' own, when the records the run saw (gathered or read) were changed later than that. A platform's
stamp says its business has reached that moment. In a firm both clocks agree; a sandbox that moves its
platforms through a simulated month in minutes has their periods billed by their calendar, not left until
Concord's clock catches up (a run that saw nothing recent still bills as of Concord's clock: late there, as
without a timer anyway, never early).

The flows see canonical records and commands only; which ERP record an invoice becomes (a NetSuite invoice
created from the contract's sales order, dated the day it is created) is the mappings' job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from pydantic import ValidationError

from concord.domain.findings import Finding, Systems
from concord.domain.keys import Stamp
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import (
    BillingBasis,
    BillingFrequency,
    Contract,
    ExpenseItem,
    ExpenseStatus,
    InvoiceEvent,
    InvoiceLineKind,
    Milestone,
    MilestoneStatus,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.sla import SlaMeasure
from concord.engine.flows import BusinessRef, Flow, Report, Step, StepContext
from concord.flows.billing_config import BillingConfig
from concord.flows.invoicing import (
    Billed,
    ProjectWork,
    Subscriptions,
    bill_project,
    bill_subscriptions,
    next_invoice_due,
)
from concord.flows.systems import named_systems, system_name

__all__ = ["FLOW_NAME", "SUBSCRIPTION_FLOW", "billing", "billing_key", "subscription_billing"]

FLOW_NAME = "billing"
SUBSCRIPTION_FLOW = "subscription_billing"
BILLED = "billed"
"""State key: what the instance has invoiced (``Billed.to_state`` or ``Subscriptions.to_state``)."""
INVOICING = "invoicing"
"""State key: what the invoices in flight add to ``BILLED`` once the ERP has them all (and, for a project,
the time they bill: time entry id → [approval time, label], for the SLA). Kept apart until then: when the
ERP refuses one, the next run (the retry, or a new record) decides the same invoices again from what was
billed before, and their deterministic ids make the ones the ERP already holds converge."""

_SOURCES = {
    InvoiceLineKind.TIME: "TimeEntry",
    InvoiceLineKind.EXPENSE: "ExpenseItem",
    InvoiceLineKind.MILESTONE: "Milestone",
}
"""What an invoice line bills → the object type of the records it names."""


def billing_key(object_type: str, global_id: str) -> str:
    """The business key of billing's exceptions about a record: apart from other flows' keys, so a flow
    that handled the record (time posted) does not close what billing found (time not invoiced)."""
    return f"{object_type}:{global_id}:billing"


def billing(config: BillingConfig) -> Flow:
    """The project billing flow (time and materials, milestones), for the systems and policy of ``config``."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp)

    def key(event: Event) -> str | None:
        project = event.payload.get("project_id")
        return str(project) if project else None

    def business(event: Event) -> BusinessRef:
        project = str(event.payload["project_id"])
        return BusinessRef(
            "Project", f"Billing:{project}", f"Billing of project {project}", {"concord": project}
        )

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        work = _work(ctx)
        if not _may_bill(work):
            return []  # nothing approved, nothing complete: nothing can be due
        reads = [CommandSpec(systems.erp, "get", "Project", {"global_id": ctx.flow_key})]
        people = sorted({e.resource_id for e in work.entries if _billable(e)})
        reads += [CommandSpec(systems.psa, "get", "Resource", {"global_id": person}) for person in people]
        return reads

    def read_contract(ctx: StepContext) -> Sequence[CommandSpec]:
        project = next((a for a in ctx.results.get("read") or [] if a.get("system") == systems.erp), None)
        if project is None:
            return []
        # The link to the contract serves even when the ERP's project is not a valid record otherwise.
        contract_id = (project.get("record") or project.get("values") or {}).get("contract_id")
        if not contract_id:
            ctx.report(_project_report(ctx.flow_key, project, named))
            return []
        return [CommandSpec(systems.erp, "get", "Contract", {"global_id": str(contract_id)})]

    def bill(ctx: StepContext) -> Sequence[CommandSpec]:
        ctx.state.pop(INVOICING, None)  # what a refused run meant to invoice is decided again
        answers = ctx.results.get("read_contract") or []
        if not answers:
            return []
        read_at = datetime.fromisoformat(str(answers[0]["read_at"]))
        contract = _contract(answers[0], config.default_frequency, read_at)
        if isinstance(contract, Report):
            ctx.report(contract)
            return []
        work = _work(ctx)
        as_of = _as_of(read_at, ctx, [*(ctx.results.get("read") or []), *answers])
        run = bill_project(
            contract,
            work,
            Billed.from_state(ctx.state.get(BILLED)),
            today=as_of.date(),
            stamp=Stamp(contract.correlation_id, as_of),
            project_id=ctx.flow_key,
            trigger=config.milestone_trigger,
            detail=config.time_lines,
            names=_names([a for a in ctx.results.get("read") or [] if a.get("system") == systems.psa]),
            systems=named,
        )
        due = next_invoice_due(contract, work, run.billed, as_of.date())
        if due is not None:  # the period's invoice is made once it ended, even if nothing else changes
            ctx.run_again_at(datetime.combine(due, time.min, tzinfo=UTC))
        reports = [_report(finding, read_at) for finding in run.findings]
        for report in reports:
            ctx.report(report)
        ctx.state[INVOICING] = {
            "billed": run.billed.to_state(),
            "time": _in_flight(run.invoices, work, systems.psa),
            "settle": _settled(ctx.flow_key, contract, run.invoices, reports),
            "at": read_at.isoformat(),
        }
        return [_upsert(systems.erp, invoice) for invoice in run.invoices]

    def billed(ctx: StepContext) -> Sequence[CommandSpec]:
        # The invoices of the run are in the ERP: remember them; the approved-time-to-billing SLA of
        # their time ends.
        done = ctx.state.pop(INVOICING, None)
        if done is None:
            return []
        ctx.state[BILLED] = done["billed"]
        for key in done["settle"]:
            ctx.settle(key, datetime.fromisoformat(done["at"]))
        for entry_id, (approved_at, label) in done["time"].items():
            subject = BusinessRef("TimeEntry", f"TimeEntry:{entry_id}", label)
            ctx.timed(SlaMeasure.APPROVED_TIME_TO_BILLING, subject, datetime.fromisoformat(approved_at))
        return []

    return Flow(
        name=FLOW_NAME,
        triggers=frozenset({"TimeEntryChanged", "ExpenseItemChanged", "MilestoneChanged"}),
        steps=(
            Step("read", read),
            Step("read_contract", read_contract),
            Step("bill", bill),
            Step("billed", billed),
        ),
        key=key,
        business=business,
        gather=config.settle.gathering(),
    )


def subscription_billing(config: BillingConfig) -> Flow:
    """The subscription billing flow, run by the ERP's accounting periods (see the module docstring)."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp)

    def business(event: Event) -> BusinessRef:
        return BusinessRef("Contract", "Billing:subscriptions", "Subscription and managed-service billing")

    def read_contracts(ctx: StepContext) -> Sequence[CommandSpec]:
        return [CommandSpec(systems.erp, "list", "Contract", {})]

    def read_projects(ctx: StepContext) -> Sequence[CommandSpec]:
        return [CommandSpec(systems.erp, "list", "Project", {})]

    def bill(ctx: StepContext) -> Sequence[CommandSpec]:
        ctx.state.pop(INVOICING, None)  # what a refused run meant to invoice is decided again
        contracts, projects = ctx.result("read_contracts"), ctx.result("read_projects")
        read_at = datetime.fromisoformat(str(contracts["read_at"]))
        found, reports = _subscriptions(contracts, config.default_frequency, read_at)
        delivering = _projects_of(projects)
        as_of = _as_of(read_at, ctx, [contracts, projects])
        run = bill_subscriptions(
            [(contract, delivering.get(contract.global_id)) for contract in found],
            Subscriptions.from_state(ctx.state.get(BILLED)),
            today=as_of.date(),
            stamp=Stamp(_correlation(ctx), as_of),
            in_advance=config.subscription_in_advance,
            systems=named,
        )
        for report in [*reports, *(_report(finding, read_at) for finding in run.findings)]:
            ctx.report(report)
        ctx.state[INVOICING] = run.billed.to_state()
        return [_upsert(systems.erp, invoice) for invoice in run.invoices]

    def billed(ctx: StepContext) -> Sequence[CommandSpec]:
        # The invoices of the run are in the ERP: remember them.
        if INVOICING in ctx.state:
            ctx.state[BILLED] = ctx.state.pop(INVOICING)
        return []

    return Flow(
        name=SUBSCRIPTION_FLOW,
        triggers=frozenset({"AccountingPeriodChanged"}),
        steps=(
            Step("read_contracts", read_contracts),
            Step("read_projects", read_projects),
            Step("bill", bill),
            Step("billed", billed),
        ),
        key=lambda event: "subscriptions",
        business=business,
        gather=config.settle.gathering(),
    )


# -- what the flows read -----------------------------------------------------------------------------------


def _as_of(read_at: datetime, ctx: StepContext, answers: Sequence[JSON]) -> datetime:
    """The moment a run bills as of: when Concord read the facts, or the latest moment the platforms
    stamped on what the run saw (the records gathered, the records read), when that is later."""
    stamps = [read_at, *ctx.input_times().values()]
    for answer in answers:
        records = answer.get("records") or ([answer["record"]] if answer.get("record") else [])
        stamps += [_instant(r["source_changed_at"]) for r in records if r.get("source_changed_at")]
    return max(stamps)


def _instant(text: object) -> datetime:
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _work(ctx: StepContext) -> ProjectWork:
    """The gathered records, each validated against its canonical model (the recorder did so before)."""
    entries, expenses, milestones = [], [], []
    for payload in ctx.inputs:
        if "work_date" in payload:
            entries.append(TimeEntry.model_validate(payload))
        elif "expense_date" in payload:
            expenses.append(ExpenseItem.model_validate(payload))
        else:
            milestones.append(Milestone.model_validate(payload))
    return ProjectWork(tuple(entries), tuple(expenses), tuple(milestones))


def _billable(record: TimeEntry | ExpenseItem) -> bool:
    approved = record.status in (TimeEntryStatus.APPROVED, ExpenseStatus.APPROVED)
    return approved and record.billable


def _may_bill(work: ProjectWork) -> bool:
    records: list[TimeEntry | ExpenseItem] = [*work.entries, *work.expenses]
    started = any(m.status is not MilestoneStatus.OPEN for m in work.milestones)
    return started or any(_billable(record) for record in records)


def _names(answers: Sequence[JSON]) -> dict[str, str]:
    """Resource global id → name, from the PSA's answers (a record, or the values of an invalid one)."""
    names = {}
    for answer in answers:
        shown = answer.get("record") or answer.get("values") or {}
        if shown.get("name"):
            names[str(answer["global_id"])] = str(shown["name"])
    return names


def _contract(answer: JSON, default_frequency: BillingFrequency, read_at: datetime) -> Contract | Report:
    """The contract as the ERP answered, or the report of why it cannot be billed.

    A contract whose time-and-materials or subscription schedule names no billing period (one set up by
    hand in the ERP) is billed at the configured ``default_frequency``.
    """
    contract_id = str(answer["global_id"])
    if answer.get("record"):
        return Contract.model_validate(answer["record"])
    erp = system_name(str(answer.get("system")))
    if not answer.get("found"):
        why = f"it is not in {erp}"
    else:
        repaired = _with_frequency(answer, default_frequency, read_at)
        if repaired is not None:
            return repaired
        why = f"it cannot be read from {erp}: {answer.get('invalid')}"
    values = answer.get("values") or {}
    label = f"Contract {values.get('number') or contract_id}"
    ref = BusinessRef("Contract", billing_key("Contract", contract_id), label, {"concord": contract_id})
    message = f"{label} was not billed: {why}."
    return Report(ref, "validation", message, "billing.contract_unreadable", read_at)


def _with_frequency(answer: JSON, frequency: BillingFrequency, read_at: datetime) -> Contract | None:
    values = dict(answer.get("values") or {})
    plan = dict(values.get("billing_plan") or {})
    if not plan or plan.get("frequency") or plan.get("basis") == BillingBasis.MILESTONE.value:
        return None
    envelope = {
        "global_id": answer["global_id"],
        "system_ids": {str(answer["system"]): str(answer["system_id"])},
        "source_system": answer["system"],
        "source_changed_at": read_at,
        "correlation_id": "0" * 32,
    }
    try:
        return Contract.model_validate(
            {**values, **envelope, "billing_plan": {**plan, "frequency": frequency}}
        )
    except ValidationError:
        return None


def _subscriptions(
    answer: JSON, default_frequency: BillingFrequency, read_at: datetime
) -> tuple[list[Contract], list[Report]]:
    """The subscription contracts the ERP lists, and a report for each it lists but cannot be read."""
    contracts = [Contract.model_validate(record) for record in answer.get("records") or []]
    reports = []
    for held in answer.get("invalid") or []:
        values = held.get("values") or {}
        if values.get("pricing_model") != "subscription" or not held.get("global_id"):
            continue  # not a subscription Concord knows of (another sales order of the account)
        listed = {**held, "system": answer["system"], "found": True, "invalid": held["why"]}
        found = _contract(listed, default_frequency, read_at)
        if isinstance(found, Report):
            reports.append(found)
        else:
            contracts.append(found)
    return [c for c in contracts if c.billing_plan.basis is BillingBasis.SUBSCRIPTION_PERIOD], reports


def _projects_of(answer: JSON) -> dict[str, str]:
    """Contract global id → the global id of the ERP project that delivers it (the link serves even from
    a project the ERP holds incompletely)."""
    linked = [(record.get("contract_id"), record.get("global_id")) for record in answer.get("records") or []]
    linked += [
        ((held.get("values") or {}).get("contract_id"), held.get("global_id"))
        for held in answer.get("invalid") or []
    ]
    return {
        str(contract): str(project) for contract, project in sorted(linked, key=str) if contract and project
    }


def _correlation(ctx: StepContext) -> str:
    trigger = ctx.trigger.get("correlation_id")
    return str(trigger) if trigger else "0" * 32


# -- what the flows write ----------------------------------------------------------------------------------


def _upsert(erp: str, invoice: InvoiceEvent) -> CommandSpec:
    return CommandSpec(erp, "upsert", "InvoiceEvent", invoice.model_dump(mode="json", exclude_none=True))


def _in_flight(invoices: Sequence[InvoiceEvent], work: ProjectWork, psa: str) -> JSON:
    """Time entry id → [approval time, label], of the approved time the invoices bill (for the SLA)."""
    approved = {e.global_id: (e.approved_at, e.system_ids.get(psa) or e.global_id) for e in work.entries}
    billed = {
        source_id
        for invoice in invoices
        for line in invoice.lines
        if line.kind is InvoiceLineKind.TIME
        for source_id in line.source_ids
    }
    return {
        entry_id: [at.isoformat(), label]
        for entry_id, (at, label) in approved.items()
        if entry_id in billed and at is not None
    }


def _settled(
    project_id: str, contract: Contract, invoices: Sequence[InvoiceEvent], reports: Sequence[Report]
) -> list[str]:
    """The business keys whose billing exceptions a run closes once its invoices are in the ERP: the
    project's and the contract's (they were read), and those of the records invoiced, unless the run
    found something about them again."""
    keys = [billing_key("Project", project_id), billing_key("Contract", contract.global_id)]
    keys += [
        billing_key(_SOURCES[line.kind], source_id)
        for invoice in invoices
        for line in invoice.lines
        if line.kind in _SOURCES
        for source_id in line.source_ids
    ]
    found = {report.business.key for report in reports}
    return [key for key in dict.fromkeys(keys) if key not in found]


def _report(finding: Finding, at: datetime) -> Report:
    """The exception a finding opens, about the record it is about."""
    subject = finding.subject
    key = billing_key(subject.object_type, subject.global_id or "?")
    ids = {**dict(subject.system_ids), **({"concord": subject.global_id} if subject.global_id else {})}
    label = f"{subject.object_type} {subject.label or subject.global_id}"
    business = BusinessRef(subject.object_type, key, label, ids)
    return Report(business, finding.category.value, finding.message, finding.rule, at)


def _project_report(project_id: str, answer: JSON, systems: Systems) -> Report:
    erp = systems.erp_name
    if not answer.get("found"):
        why = f"the project is not in {erp}"
    elif "invalid" in answer:
        why = f"the project cannot be read from {erp}: {answer['invalid']}"
    else:
        why = f"the project in {erp} names no contract"
    name = (answer.get("record") or answer.get("values") or {}).get("name")
    label = f"project '{name}'" if name else f"project {project_id}"
    message = (
        f"Approved work on {label} was not billed: {why}. Link the project to its contract in {erp}; "
        "it is billed at the project's next change, or when this exception is retried."
    )
    business = BusinessRef("Project", billing_key("Project", project_id), label, {"concord": project_id})
    at = datetime.fromisoformat(str(answer["read_at"]))
    return Report(business, "validation", message, "billing.project_without_contract", at)
