"""Revenue (domain.md §3.5): revenue events follow each contract's recognition basis and become journal
entries in the ERP. Three gathering flows, one per kind of fact that makes revenue due:

- ``revenue_delivery``: a project's approved time, one instance per project and month. On a time-and-
  materials contract the month's revenue is its approved billable time as delivered (hours times bill
  rate, to the cent); on a fixed fee recognised by percentage of completion, the contract value times
  the month's progress (its approved hours, or their cost, over the project's budgeted hours or cost:
  ``completion_method``).
- ``revenue_milestones``: a project's milestones, one instance per project. On a fixed fee recognised by
  milestone, a milestone completed in the PSA (or accepted: ``milestone_trigger``) is recognised for its
  billing plan amount.
- ``revenue_subscriptions``: the ERP's accounting periods, one instance for the firm. Every subscription
  contract recognises its value straight-line, one even share per period of its billing frequency.

Each run reads its facts afresh: the ERP's accounting periods, the project as the ERP keeps it (which names
its contract, ``contract_id``), and the contract itself (pricing model, revenue plan, value, billing plan
lines) with a ``get`` from the ERP, which owns contracts; the subscription flow lists the contracts.

**Why the ERP's accounting periods drive subscriptions.** Straight-line revenue is due as periods pass,
not when a record changes, and Concord acts on changes. The ERP's calendar is the firm's clock for revenue:
its periods change when finance sets up a year or closes a month, and every journal must land in an open
one. So each change of the calendar (and Concord's first look at it) recognises every subscription period
that ends by the end of the *current* open accounting period, each dated its last day. The books of a
period therefore hold its straight-line share by the time the period has elapsed and is closed, and never
a share of a later period; a period missed while its month was still open (Concord switched on late) is
booked in the first open period, as a catch-up.

**Never twice.** Every event has a deterministic id (``concord.domain.revenue.revenue_id``) and is upserted
by it; each instance keeps the events it sent. A re-run, a replay or a redelivery sends nothing new. A
later change (an entry approved late, edited or rejected; a milestone reopened; a new contract value) is a
new event of the difference, positive or negative, never an edit and never a second copy
(``concord.flows.revenue_plan``). Revenue of a closed period goes into the first open one.

**Limits, said plainly.** A month's instance sees that month's time only: a time-and-materials
not-to-exceed cap is applied to each month's value, not to the contract's running total, and percentage
of completion adds the months' shares (exact while the work stays within the budget, which is the
estimate at completion and must be kept current). Recognising across months would need the revenue
recognised before read back from the ERP, which the connector does not do yet.

Findings (no contract on the project, a rate missing, amounts that disagree, no open period) open one
exception each, in business words; the rest is recognised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from concord.domain.findings import Finding, Systems, quoted
from concord.domain.keys import Stamp
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import (
    AccountingPeriod,
    Contract,
    Milestone,
    Project,
    RecognitionBasis,
    TimeEntry,
    TimeEntryStatus,
)
from concord.domain.periods import AccountingCalendar, Period, calendar_of
from concord.engine.flows import BusinessRef, Flow, Report, Step, StepContext, StepFn
from concord.flows.revenue_config import RevenueConfig
from concord.flows.revenue_plan import (
    RecognitionPlan,
    SentRevenue,
    current_period_end,
    month_of,
    plan_as_delivered,
    plan_milestones,
    plan_percent_complete,
    plan_straight_line,
)
from concord.flows.sending import ACCEPTED, SENT, sending
from concord.flows.systems import named_systems

__all__ = ["DELIVERY", "MILESTONES", "SUBSCRIPTIONS", "revenue_flows"]

DELIVERY = "revenue_delivery"
MILESTONES = "revenue_milestones"
SUBSCRIPTIONS = "revenue_subscriptions"
REACHED = "reached_on"
"""State key of a milestones instance: milestone global id → the day it was first seen reached."""
FIRM = "firm"
"""The one key of the subscriptions flow: every subscription contract of the firm."""


def revenue_flows(config: RevenueConfig) -> tuple[Flow, Flow, Flow]:
    """The three revenue flows, for the systems, accounts and rules of ``config``."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp)
    return (
        _delivery_flow(config, named),
        _milestones_flow(config, named),
        _subscriptions_flow(config, named),
    )


# -- delivery: time and materials, percentage of completion ----------------------------------------------


def _delivery_flow(config: RevenueConfig, named: Systems) -> Flow:
    erp, psa = config.systems.erp, config.systems.psa

    def key(event: Event) -> str | None:
        entry = event.payload
        return f"{entry['project_id']}|{str(entry['work_date'])[:7]}"

    def business(event: Event) -> BusinessRef:
        entry = event.payload
        project, month = entry["project_id"], str(entry["work_date"])[:7]
        label = f"Revenue of project {project} in {month}"
        return BusinessRef("Revenue", f"Revenue:{key(event)}", label, {"concord": str(project)})

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        entries = _entries(ctx)
        approved = [e for e in entries if e.status is TimeEntryStatus.APPROVED]
        if not approved and not ctx.state.get(SENT):
            return []  # nothing to recognise and nothing recognised to take back
        project_id, _ = _project_month(ctx)
        return _project_reads(config, project_id)

    def recognise(ctx: StepContext) -> Sequence[CommandSpec]:
        entries = _entries(ctx)
        # From the instance's key, not its entries: every entry may have left it (re-dated into another
        # month, moved to another project), and what was recognised for them is then taken back.
        project_id, month = _project_month(ctx)
        facts = _Facts.of(ctx, psa, named, f"Revenue of project {{project}} in {month.start:%b %Y}")
        if facts is None:
            return []
        sent = _sent(ctx)
        basis = facts.contract.revenue_plan.basis
        accounts = config.accounts.of(basis)
        if basis is RecognitionBasis.AS_DELIVERED:
            plan = plan_as_delivered(
                facts.contract,
                month,
                entries,
                sent,
                project_id=project_id,
                calendar=facts.calendar,
                accounts=accounts,
                stamp=facts.stamp,
                systems=named,
            )
        elif basis is RecognitionBasis.PERCENT_COMPLETE:
            plan = plan_percent_complete(
                facts.contract,
                month,
                entries,
                sent,
                project=facts.project,
                project_id=project_id,
                method=config.completion_method,
                calendar=facts.calendar,
                accounts=accounts,
                stamp=facts.stamp,
                systems=named,
            )
        else:
            return []  # milestones and subscriptions are recognised by their own flows
        return _act(ctx, facts, plan, erp, [f"TimeEntry:{e.global_id}" for e in entries])

    return _project_flow(DELIVERY, "TimeEntryChanged", config, key, business, read, recognise)


def _project_month(ctx: StepContext) -> tuple[str, Period]:
    """The project and month a delivery revenue instance is about (its key: "project id|YYYY-MM")."""
    project_id, month = ctx.flow_key.rsplit("|", 1)
    return project_id, month_of(date.fromisoformat(f"{month}-01"))


# -- milestones ------------------------------------------------------------------------------------------


def _milestones_flow(config: RevenueConfig, named: Systems) -> Flow:
    erp = config.systems.erp

    def key(event: Event) -> str | None:
        return str(event.payload["project_id"])

    def business(event: Event) -> BusinessRef:
        project = str(event.payload["project_id"])
        label = f"Milestone revenue of project {project}"
        return BusinessRef("Revenue", f"Revenue:milestones:{project}", label, {"concord": project})

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        return _project_reads(config, _milestones(ctx)[0].project_id)

    def recognise(ctx: StepContext) -> Sequence[CommandSpec]:
        milestones = _milestones(ctx)
        facts = _Facts.of(ctx, config.systems.psa, named, "Milestone revenue of project {project}")
        if facts is None or facts.contract.revenue_plan.basis is not RecognitionBasis.MILESTONE_ACCEPTANCE:
            return []
        held: Mapping[str, str] = ctx.state.get(REACHED, {})
        plan = plan_milestones(
            facts.contract,
            milestones,
            _sent(ctx),
            reached_on={mid: date.fromisoformat(day) for mid, day in held.items()},
            today=facts.stamp.at.date(),
            trigger=config.milestone_trigger,
            calendar=facts.calendar,
            accounts=config.accounts.of(RecognitionBasis.MILESTONE_ACCEPTANCE),
            stamp=facts.stamp,
            systems=named,
        )
        ctx.state[REACHED] = {mid: day.isoformat() for mid, day in plan.reached_on.items()}
        return _act(ctx, facts, plan, erp, [f"Milestone:{m.global_id}" for m in milestones])

    return _project_flow(MILESTONES, "MilestoneChanged", config, key, business, read, recognise)


# -- subscriptions ---------------------------------------------------------------------------------------


def _subscriptions_flow(config: RevenueConfig, named: Systems) -> Flow:
    erp = config.systems.erp
    accounts = config.accounts.of(RecognitionBasis.STRAIGHT_LINE)

    def key(event: Event) -> str | None:
        return FIRM

    def business(event: Event) -> BusinessRef:
        return BusinessRef("Revenue", "Revenue:subscriptions", "Subscription revenue")

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        return [CommandSpec(erp, "list", "Contract", {})]

    def recognise(ctx: StepContext) -> Sequence[CommandSpec]:
        answer = ctx.result("read")
        # The instance gathers the ERP's accounting periods themselves: they are its calendar.
        calendar = calendar_of(AccountingPeriod.model_validate(p) for p in ctx.inputs)
        stamp = Stamp(_correlation(ctx), _read_at(answer))
        as_of = current_period_end(calendar, stamp.at.date())
        sent = _sent(ctx)
        contracts = [Contract.model_validate(record) for record in answer.get("records") or []]
        commands: list[CommandSpec] = []
        for contract in sorted(contracts, key=lambda c: (c.start_date, c.number)):
            if contract.revenue_plan.basis is not RecognitionBasis.STRAIGHT_LINE:
                continue
            plan = plan_straight_line(
                contract, sent, as_of=as_of, calendar=calendar, accounts=accounts, stamp=stamp, systems=named
            )
            at = stamp.at
            contract_key = f"Revenue:Contract:{contract.global_id}"
            for finding in plan.findings:
                ctx.report(_report(finding, at, contract_key))
            if not plan.findings:
                ctx.settle(contract_key, at)
            sent += list(plan.to_send)
            commands += [_upsert(erp, made) for made in plan.to_send]
        for report in _unreadable_subscriptions(answer, named, stamp.at):
            ctx.report(report)
        sending(ctx, [made.to_state() for made in sent])
        return commands

    return Flow(
        name=SUBSCRIPTIONS,
        triggers=frozenset({"AccountingPeriodChanged"}),
        steps=(Step("read", read), Step("recognise", recognise), ACCEPTED),
        key=key,
        business=business,
        gather=config.settle.gathering(),
    )


def _unreadable_subscriptions(answer: JSON, named: Systems, at: datetime) -> list[Report]:
    """One exception per subscription contract the ERP holds but the canonical model cannot take (its
    values still say it is recognised straight-line): it would otherwise be left out in silence."""
    reports = []
    for held in answer.get("invalid") or []:
        values: JSON = held.get("values") or {}
        if (values.get("revenue_plan") or {}).get("basis") != RecognitionBasis.STRAIGHT_LINE.value:
            continue
        name = values.get("number") or f"{named.erp_name} sales order {held.get('system_id')}"
        key = f"Revenue:Contract:{held.get('global_id') or held.get('system_id')}"
        ids = {named.erp: str(held.get("system_id"))}
        message = (
            f"Subscription revenue of contract {name} was not recognised: it cannot be read in "
            f"{named.erp_name}: {held.get('why')}."
        )
        business = BusinessRef("Contract", key, f"Contract {name}", ids)
        reports.append(Report(business, "mapping", message, "revenue.contract_unreadable", at))
    return reports


# -- shared ----------------------------------------------------------------------------------------------


def _project_flow(
    name: str,
    trigger: str,
    config: RevenueConfig,
    key: Callable[[Event], str | None],
    business: Callable[[Event], BusinessRef],
    read: StepFn,
    recognise: StepFn,
) -> Flow:
    """A flow of a project's revenue: ``read`` the calendar and the project, ``get`` the contract the ERP's
    project names, ``recognise``, and keep what the ERP accepted."""
    erp = config.systems.erp

    def contract(ctx: StepContext) -> Sequence[CommandSpec]:
        return _read_contract(ctx, erp)

    return Flow(
        name=name,
        triggers=frozenset({trigger}),
        steps=(Step("read", read), Step("contract", contract), Step("recognise", recognise), ACCEPTED),
        key=key,
        business=business,
        gather=config.settle.gathering(),
    )


def _project_reads(config: RevenueConfig, project_id: str) -> list[CommandSpec]:
    """The ERP's accounting periods, and the project as the ERP and the PSA show it."""
    erp, psa = config.systems.erp, config.systems.psa
    project = {"global_id": project_id}
    return [
        CommandSpec(erp, "list", "AccountingPeriod", {}),
        CommandSpec(erp, "get", "Project", project),
        CommandSpec(psa, "get", "Project", project),
    ]


@dataclass(frozen=True, slots=True)
class _Facts:
    """What a project's revenue rests on, from the answers of its ``read`` and ``contract`` steps."""

    calendar: AccountingCalendar
    contract: Contract
    project: Project | None
    """The project's budget (the estimate at completion): the PSA's, or the ERP's when the PSA has none."""
    stamp: Stamp

    @classmethod
    def of(cls, ctx: StepContext, psa: str, named: Systems, what: str) -> _Facts | None:
        """The facts, or None after reporting why revenue cannot be recognised (one exception)."""
        answers = ctx.results.get("read") or []
        if not answers:
            return None
        periods: list[AccountingPeriod] = []
        erp_project: JSON = {}
        psa_project: JSON = {}
        for answer in answers:
            if "records" in answer:
                periods = [AccountingPeriod.model_validate(record) for record in answer["records"]]
            elif answer.get("system") == psa:
                psa_project = answer
            else:
                erp_project = answer
        project_id = str(erp_project.get("global_id"))
        project_key = f"Revenue:Project:{project_id}"
        stamp = Stamp(_correlation(ctx), _read_at(erp_project))
        problem = _contract_problem(ctx, erp_project, named)
        if problem is not None:
            business = BusinessRef("Project", project_key, f"Project {project_id}", {"concord": project_id})
            at = _latest(ctx)
            shown = psa_project.get("record") or psa_project.get("values") or erp_project.get("record") or {}
            name = shown.get("name") or project_id
            message = f"{what.format(project=quoted(str(name)))} was not recognised: {problem}."
            ctx.report(Report(business, "validation", message, "revenue.no_contract", at))
            return None
        contract = Contract.model_validate(ctx.result("contract")["record"])
        budgeted = psa_project.get("record") or erp_project.get("record")
        project = Project.model_validate(budgeted) if budgeted else None
        if psa_project.get("record") and erp_project.get("record"):
            # The PSA plans delivery (the budget is the estimate at completion); the ERP's record is the
            # fallback when the PSA holds no budget.
            from_psa = Project.model_validate(psa_project["record"])
            if from_psa.budget.hours is None and from_psa.budget.cost is None:
                project = Project.model_validate(erp_project["record"])
        ctx.settle(project_key, _latest(ctx))
        return cls(calendar_of(periods), contract, project, stamp)


def _contract_problem(ctx: StepContext, erp_project: JSON, named: Systems) -> str | None:
    """Why the project's contract cannot be had from the ERP, in words; None when it was read."""
    erp = named.erp_name
    record = erp_project.get("record")
    if not record:
        why = erp_project.get("invalid")
        return (
            f"its project cannot be read in {erp}: {why}" if why else f"its project does not exist in {erp}"
        )
    if not record.get("contract_id"):
        return f"its project in {erp} names no contract, so its recognition basis is unknown"
    answers = ctx.results.get("contract") or []
    found = answers[0] if answers else {}
    if found.get("record"):
        return None
    contract_id = record["contract_id"]
    if found.get("invalid"):
        return f"its contract {contract_id} cannot be read in {erp}: {found['invalid']}"
    return f"its contract {contract_id} does not exist in {erp}"


def _read_contract(ctx: StepContext, erp: str) -> Sequence[CommandSpec]:
    """``get`` the contract the ERP's project names (nothing when it names none: ``recognise`` says so)."""
    for answer in ctx.results.get("read") or []:
        record = answer.get("record") or {}
        if answer.get("system") == erp and "records" not in answer and record.get("contract_id"):
            return [CommandSpec(erp, "get", "Contract", {"global_id": record["contract_id"]})]
    return []


def _act(
    ctx: StepContext, facts: _Facts, plan: RecognitionPlan, erp: str, record_keys: Sequence[str]
) -> list[CommandSpec]:
    """Report the plan's findings, settle what is fine, keep what is sent, and the commands that send it."""
    at = _latest(ctx)
    changed_at = ctx.input_times()
    # A contract's findings here are about this project's month (or milestones): keyed so, another
    # instance's successful run does not close them.
    contract_key = f"Revenue:Contract:{facts.contract.global_id}@{ctx.instance_id}"
    troubled = set()
    for finding in plan.findings:
        report = _report(finding, changed_at.get(finding.subject.global_id or "", at), contract_key)
        troubled.add(report.business.key)
        ctx.report(report)
    for key in (contract_key, *(f"Revenue:{k}" for k in record_keys)):
        if key not in troubled:
            ctx.settle(key, at)
    sending(ctx, [made.to_state() for made in (*_sent(ctx), *plan.to_send)])
    return [_upsert(erp, made) for made in plan.to_send]


def _upsert(erp: str, made: SentRevenue) -> CommandSpec:
    return CommandSpec(erp, "upsert", "RevenueEvent", made.event.model_dump(mode="json", exclude_none=True))


def _report(finding: Finding, at: datetime, contract_key: str) -> Report:
    """The exception a finding opens: about the record at fault (a time entry, a milestone), else the
    contract. Keys start with ``Revenue:`` so revenue's exceptions are settled apart from other flows'."""
    subject = finding.subject
    if subject.object_type in ("TimeEntry", "Milestone", "ExpenseItem") and subject.global_id:
        ids = {**dict(subject.system_ids), "concord": subject.global_id}
        label = f"{subject.object_type} {subject.label or subject.global_id}"
        business = BusinessRef(
            subject.object_type, f"Revenue:{subject.object_type}:{subject.global_id}", label, ids
        )
    else:
        ids = {**dict(subject.system_ids), **({"concord": subject.global_id} if subject.global_id else {})}
        business = BusinessRef(
            "Contract", contract_key, f"Contract {subject.label or subject.global_id}", ids
        )
    return Report(business, finding.category.value, finding.message, finding.rule, at)


def _sent(ctx: StepContext) -> list[SentRevenue]:
    return [SentRevenue.from_state(held) for held in ctx.state.get(SENT, [])]


def _entries(ctx: StepContext) -> list[TimeEntry]:
    # The recorder validated every version against the canonical model before it became an event.
    return [TimeEntry.model_validate(payload) for payload in ctx.inputs]


def _milestones(ctx: StepContext) -> list[Milestone]:
    return [Milestone.model_validate(payload) for payload in ctx.inputs]


def _correlation(ctx: StepContext) -> str:
    return str(ctx.inputs[0]["correlation_id"])


def _read_at(answer: JSON) -> datetime:
    return datetime.fromisoformat(str(answer["read_at"]))


def _latest(ctx: StepContext) -> datetime:
    return max(ctx.input_times().values())
