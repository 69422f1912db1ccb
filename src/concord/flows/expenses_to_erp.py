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

from collections.abc import Sequence

from concord.domain.findings import Systems
from concord.domain.fx import RateTable
from concord.domain.messages import JSON, CommandSpec
from concord.domain.objects import AccountingPeriod, ExpenseItem, ExpenseStatus, LegalEntity
from concord.engine.flows import Flow, Step, StepContext
from concord.flows.expense_posting import (
    ExpenseFacts,
    PostedExpense,
    judge_expenses,
    payables_calendar,
    plan_expense_postings,
)
from concord.flows.expense_posting_config import ExpenseGathering, ExpensePostingConfig
from concord.flows.posting_steps import RecordPosting, read_back, read_stamp, run_reads, run_subject
from concord.flows.sending import ACCEPTED, SENT, sending
from concord.flows.systems import named_systems

__all__ = ["FLOW_NAME", "expenses_to_erp"]

FLOW_NAME = "expenses_to_erp"


def expenses_to_erp(config: ExpensePostingConfig, rates: RateTable) -> Flow:
    """The flow, for the systems and posting policy of ``config`` and the exchange ``rates``."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp)
    policy = config.policy()
    per_expense = config.gather is ExpenseGathering.PER_EXPENSE
    posting = RecordPosting("ExpensePosting", "Expense", "Expenses", "expense_date", per_expense)

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        items = _items(ctx)
        approved = [i for i in items if i.status is ExpenseStatus.APPROVED]
        return run_reads(systems, ["AccountingPeriod", "LegalEntity"], items, approved, _sent(ctx))

    def post(ctx: StepContext) -> Sequence[CommandSpec]:
        answers = ctx.results.get("read") or []
        if not answers:
            return []
        items = _items(ctx)
        sent = _sent(ctx)
        resource_id, correlation_id = run_subject(items, sent)
        facts = _facts(answers, systems.psa, resource_id, named, rates, config.exchange_rates.table)
        confirmed = [i.global_id for i in items if ctx.confirmed(f"ExpenseItem:{i.global_id}")]
        verdicts = judge_expenses(
            items, facts, policy, sent=sent, markup=config.billable_markup, approved_redates=confirmed
        )
        changed_at = ctx.input_times()
        for verdict in verdicts:
            done = verdict.line is not None or verdict.posted
            posting.judged(
                ctx, verdict.item, verdict.findings, posted=done, psa=systems.psa, changed_at=changed_at
            )
        stamp = read_stamp(answers, correlation_id)
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
        key=posting.key,
        business=posting.business,
        gather=config.settle.gathering(),
    )


def _items(ctx: StepContext) -> list[ExpenseItem]:
    # The recorder validated every version against the canonical model before it became an event.
    return [ExpenseItem.model_validate(payload) for payload in ctx.inputs]


def _sent(ctx: StepContext) -> list[PostedExpense]:
    return [PostedExpense.from_state(held) for held in ctx.state.get(SENT, [])]


def _facts(
    answers: Sequence[JSON],
    psa: str,
    resource_id: str,
    named: Systems,
    rates: RateTable,
    rates_table: str,
) -> ExpenseFacts:
    """The calendar, legal entities, projects and employee from the answers of ``read`` (in any order)."""
    read = read_back(answers, psa, resource_id, per_value=True)
    periods: list[AccountingPeriod] = []
    entities: dict[str, LegalEntity] = {}
    unreadable: dict[str, str] = {}
    for answer in read.listed:
        _listed(answer, periods, entities, unreadable)
    return ExpenseFacts(
        payables_calendar(periods),
        read.projects,
        read.resource,
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
