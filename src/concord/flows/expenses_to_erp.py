"""Expenses to ERP (domain.md §3.3): approved expenses in the PSA become postings in the ERP, one per
expense, in the currency of the project's legal entity (converted at the rate of the day the expense was
incurred), with all their dimensions and the billable amount; an expense edited or rejected after posting
becomes a reversal plus a repost; an expense in an ERP period closed (or locked for payables) is held, or
re-dated into the first open period.

A gathering flow: one instance per employee and month (per expense with ``gather: per_expense``) gathers
the newest version of each of its expenses, and runs once a burst of approvals has settled. A run:

1. ``read``: the ERP's accounting periods and legal entities, each project as the PSA and the ERP show it
   now, and the employee in the ERP (``list`` and ``get`` commands, so decisions rest on current facts);
2. ``post``: every approved expense is checked (``concord.domain.time_posting.check_expense``, and an
   exchange rate for its currency); one that cannot be posted opens one exception about that expense, in
   business words, and the others go on. The postable expenses become postings
   (``concord.flows.expense_posting``); what differs from the postings sent before is sent: reversals
   first, then new postings, each upserted by a key derived from its content, so a run repeated after a
   crash or a replay sends nothing new.

The postings sent are kept in the instance, so the next run knows what the ERP holds from Concord. The
flow sees canonical records and commands only; which ERP record a posting becomes is the mappings' job.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from pydantic import ValidationError

from concord.domain.findings import Finding, Systems
from concord.domain.fx import RateTable
from concord.domain.keys import Stamp
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import (
    AccountingPeriod,
    ExpenseItem,
    ExpenseStatus,
    LegalEntity,
    Project,
    ProjectStatus,
    Resource,
)
from concord.domain.time_posting import ErpProjectState
from concord.engine.flows import BusinessRef, Flow, Report, Step, StepContext
from concord.flows.expense_posting import (
    ExpenseFacts,
    PostedExpense,
    judge_expenses,
    payables_calendar,
    plan_expense_postings,
)
from concord.flows.expense_posting_config import ExpenseGathering, ExpensePostingConfig
from concord.flows.sending import ACCEPTED, SENT, sending
from concord.flows.time_posting import ProjectFacts

__all__ = ["FLOW_NAME", "expenses_to_erp"]

FLOW_NAME = "expenses_to_erp"

_NAMES = {"kantata": "Kantata", "netsuite": "NetSuite", "salesforce": "Salesforce"}


def expenses_to_erp(config: ExpensePostingConfig, rates: RateTable) -> Flow:
    """The flow, for the systems and posting policy of ``config`` and the exchange ``rates``."""
    systems = config.systems
    named = Systems(
        psa=systems.psa,
        psa_name=_NAMES.get(systems.psa, systems.psa),
        erp=systems.erp,
        erp_name=_NAMES.get(systems.erp, systems.erp),
    )
    policy = config.policy()
    per_expense = config.gather is ExpenseGathering.PER_EXPENSE

    def key(event: Event) -> str | None:
        item = event.payload
        if per_expense:
            return str(item["global_id"])
        return f"{item['resource_id']}|{str(item['expense_date'])[:7]}"

    def business(event: Event) -> BusinessRef:
        item = event.payload
        if per_expense:
            label = f"Expense {item['global_id']} ({item['expense_date']})"
        else:
            label = f"Expenses of resource {item['resource_id']} in {str(item['expense_date'])[:7]}"
        return BusinessRef("ExpensePosting", f"ExpensePosting:{key(event)}", label)

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        items = _items(ctx)
        sent = [PostedExpense.from_state(held) for held in ctx.state.get(SENT, [])]
        approved = [i for i in items if i.status is ExpenseStatus.APPROVED]
        if not approved and not sent:
            return []  # nothing to post and nothing posted to take back
        projects = sorted({i.project_id for i in approved} | {s.posting.project_id for s in sent})
        reads = [
            CommandSpec(systems.erp, "list", "AccountingPeriod", {}),
            CommandSpec(systems.erp, "list", "LegalEntity", {}),
        ]
        for project_id in projects:
            reads.append(CommandSpec(systems.psa, "get", "Project", {"global_id": project_id}))
            reads.append(CommandSpec(systems.erp, "get", "Project", {"global_id": project_id}))
        reads.append(CommandSpec(systems.erp, "get", "Resource", {"global_id": items[0].resource_id}))
        return reads

    def post(ctx: StepContext) -> Sequence[CommandSpec]:
        answers = ctx.results.get("read") or []
        if not answers:
            return []
        items = _items(ctx)
        facts = _facts(answers, systems.psa, items[0].resource_id, named, rates, config.exchange_rates.table)
        sent = [PostedExpense.from_state(held) for held in ctx.state.get(SENT, [])]
        confirmed = [i.global_id for i in items if ctx.confirmed(f"ExpenseItem:{i.global_id}")]
        verdicts = judge_expenses(
            items, facts, policy, sent=sent, markup=config.billable_markup, approved_redates=confirmed
        )
        changed_at = _changed_at(ctx)
        for verdict in verdicts:
            item_key = f"ExpenseItem:{verdict.item.global_id}"
            at = changed_at.get(verdict.item.global_id, verdict.item.source_changed_at)
            if verdict.line is not None or verdict.posted:
                ctx.settle(item_key, at)
            for finding in verdict.findings:
                ctx.report(_report(finding, verdict.item, item_key, at, systems.psa))
        read_at = next(str(a["read_at"]) for a in answers if "read_at" in a)
        stamp = Stamp(items[0].correlation_id, datetime.fromisoformat(read_at))
        plan = plan_expense_postings(verdicts, sent, facts, stamp)
        sending(ctx, [posted.to_state() for posted in plan.sent])
        return [
            CommandSpec(
                systems.erp,
                "upsert",
                "ExpensePosting",
                posted.posting.model_dump(mode="json", exclude_none=True),
            )
            for posted in plan.to_send
        ]

    return Flow(
        name=FLOW_NAME,
        triggers=frozenset({"ExpenseItemChanged"}),
        steps=(Step("read", read), Step("post", post), ACCEPTED),
        key=key,
        business=business,
        gather=config.gathering(),
    )


def _report(finding: Finding, item: ExpenseItem, item_key: str, at: datetime, psa: str) -> Report:
    """The exception a finding opens: about the expense, or about its project when the project is at fault."""
    if finding.subject.object_type == "Project" and finding.subject.global_id:
        project = finding.subject.global_id
        business = BusinessRef("Project", f"Project:{project}", f"Project {project}", {"concord": project})
    else:
        ids = {**item.system_ids, "concord": item.global_id}
        label = f"Expense {item.system_ids.get(psa) or item.global_id}"
        business = BusinessRef("ExpenseItem", item_key, label, ids)
    return Report(business, finding.category.value, finding.message, finding.rule, at)


def _items(ctx: StepContext) -> list[ExpenseItem]:
    # The recorder validated every version against the canonical model before it became an event.
    return [ExpenseItem.model_validate(payload) for payload in ctx.inputs]


def _changed_at(ctx: StepContext) -> dict[str, datetime]:
    gathered: Mapping[str, JSON] = ctx.state.get("inputs", {})
    return {
        str(held["payload"]["global_id"]): datetime.fromisoformat(str(held["at"]))
        for held in gathered.values()
    }


def _facts(
    answers: Sequence[JSON],
    psa: str,
    resource_id: str,
    named: Systems,
    rates: RateTable,
    rates_table: str,
) -> ExpenseFacts:
    """The calendar, legal entities, projects and employee from the answers of ``read`` (in any order)."""
    periods: list[AccountingPeriod] = []
    entities: dict[str, LegalEntity] = {}
    unreadable: dict[str, str] = {}
    psa_projects: dict[str, JSON] = {}
    erp_projects: dict[str, JSON] = {}
    resource: Resource | None = None
    for answer in answers:
        if "records" in answer:
            _listed(answer, periods, entities, unreadable)
        elif answer.get("global_id") == resource_id:
            if answer.get("record"):
                resource = Resource.model_validate(answer["record"])
        elif answer.get("system") == psa:
            psa_projects[str(answer["global_id"])] = answer
        else:
            erp_projects[str(answer["global_id"])] = answer
    projects = {
        project_id: _project(psa_projects.get(project_id, {}), answer)
        for project_id, answer in erp_projects.items()
    }
    return ExpenseFacts(
        payables_calendar(periods),
        projects,
        resource,
        entities,
        rates,
        named,
        rates_table,
        unreadable,
    )


def _listed(
    answer: JSON,
    periods: list[AccountingPeriod],
    entities: dict[str, LegalEntity],
    unreadable: dict[str, str],
) -> None:
    """One ``list`` answer: the accounting periods, or the legal entities (told apart by their records;
    an empty list is either, and adds nothing)."""
    for record in answer["records"]:
        if "functional_currency" in record:
            entity = LegalEntity.model_validate(record)
            entities[entity.code] = entity
        else:
            periods.append(AccountingPeriod.model_validate(record))
    for held in answer.get("invalid") or []:
        code = (held.get("values") or {}).get("code")
        if code and "start_date" not in (held.get("values") or {}):
            unreadable[str(code)] = str(held.get("why"))


def _project(psa: JSON, erp: JSON) -> ProjectFacts:
    """The project for the checks: the ERP's record with the PSA's status and dates (the PSA owns them)."""
    psa_values: JSON = psa.get("record") or psa.get("values") or {}
    erp_record = erp.get("record")
    name = f"project '{psa_values.get('name') or (erp_record or {}).get('name') or erp.get('global_id')}'"
    if not erp_record:
        return ProjectFacts(None, None, name, erp.get("invalid"))
    project = Project.model_validate(erp_record)
    erp_state = ErpProjectState(project.status)
    overlay: dict[str, object] = {}
    if psa_values.get("status") is not None:
        with contextlib.suppress(ValueError):
            overlay["status"] = ProjectStatus(psa_values["status"])
    for field in ("start_date", "end_date"):
        if psa_values.get(field) is not None:
            with contextlib.suppress(ValueError):
                overlay[field] = date.fromisoformat(str(psa_values[field]))
    # When the PSA's dates do not fit the ERP's record, the checks use the ERP's.
    with contextlib.suppress(ValidationError, ValueError):
        project = project.replace(**overlay)
    return ProjectFacts(project, erp_state, name)
