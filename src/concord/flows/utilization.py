"""Resource to utilization (domain.md §3.2): assignments in the PSA make the forecast labour cost (hours
times cost rate) and the assigned utilization per resource per ISO week; time entries make the worked and
billable utilization (hours over capacity). The figures go to Concord's analytical sink (an ``analytics``
connector, ``resource_weeks``), where ``concord utilization`` shows them.

A gathering flow with two kinds of instance per resource:

- **planned** (key ``<resource>|planned``): all of the resource's assignments. An assignment spans weeks,
  and an event goes to one instance, so it is not keyed to each week it covers: the resource's
  assignments are gathered together, and every week they cover is computed, which also sets a week back
  to nothing assigned when an assignment moves away from it. A resource holds few assignments, so the
  instance stays small.
- **worked** (key ``<resource>|worked|<ISO week>``): the resource's time entries of one ISO week (a time
  entry lies in one week). Per week, not per resource: a consultant logs hundreds of entries a year.

The two are kept apart also because the engine holds a gathering instance's records by their id in their
system, and a PSA numbers assignments and time entries separately: in one instance, assignment 7 and time
entry 7 would take each other's place. Each instance writes its part of the week (planned or worked
figures); the sink keeps the other part and works out the utilizations from the row.

A run:

1. ``read``: the resource in the ERP (capacity, cost rate) and, with ``reread_records``, the current
   version of each gathered record in the PSA (``get``), so the figures rest on facts as they are now: a
   record deleted since, or an entry moved to another week or person, is no longer counted here. Without
   it (the default: one request per record adds up to tens of thousands a month), the newest version
   detected of each record counts;
2. ``write``: the weeks are computed (``concord.flows.utilization_plan``, on the domain's
   ``weekly_utilization``) and the ones whose figures changed since the last write are upserted into the
   sink; a forecast cost that cannot be known in full opens one exception about the resource;
3. ``written``: the sink holds them; the instance remembers what it wrote, so a replay writes nothing.

A resource the ERP does not hold stops the instance with one exception, until it is retried or the
resource's records change again. A change of capacity or cost rate in the ERP shows in a resource's weeks
when its assignments or time next change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TypeVar

from concord.domain.findings import Finding, Systems
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.objects import Assignment, Resource, TimeEntry
from concord.engine.flows import BusinessRef, Flow, Report, Step, StepContext, StepRefused
from concord.flows.systems import named_systems
from concord.flows.utilization_config import UtilizationConfig
from concord.flows.utilization_plan import Part, WeekPlan, flow_key, plan_planned_weeks, plan_worked_week

__all__ = ["FLOW_NAME", "utilization"]

FLOW_NAME = "utilization"
WRITTEN = "written"
"""State key: week (Monday, ISO) → content hash of the figures the sink holds from this instance."""
WRITING = "writing"
"""State key: what ``written`` holds once the writes of the run have succeeded."""

_OBJECTS = {"Assignment": Part.PLANNED, "TimeEntry": Part.WORKED}
R = TypeVar("R", Assignment, TimeEntry)


def utilization(config: UtilizationConfig) -> Flow:
    """The flow, for the systems and counted time of ``config``."""
    systems = config.systems
    named = named_systems(psa=systems.psa, erp=systems.erp)

    def key(event: Event) -> str | None:
        record, part = event.payload, _OBJECTS[event.object_type]
        if not record.get("resource_id"):
            return None  # a deletion carries no resource: the read-back of the next run drops the record
        if part is Part.PLANNED:
            return flow_key(part, str(record["resource_id"]))
        return flow_key(part, str(record["resource_id"]), date.fromisoformat(str(record["work_date"])))

    def business(event: Event) -> BusinessRef:
        resource, instance = str(event.payload["resource_id"]), key(event)
        _, part, *week = str(instance).split("|")
        what = "Assignments" if part == Part.PLANNED else f"Time in {week[0]}"
        return BusinessRef("Resource", f"Utilization:{instance}", f"{what} of resource {resource}")

    def read(ctx: StepContext) -> Sequence[CommandSpec]:
        records = ctx.inputs
        if not records:
            return []
        resource_id, part = _instance(ctx)
        object_type = "Assignment" if part is Part.PLANNED else "TimeEntry"
        reads = [CommandSpec(systems.erp, "get", "Resource", {"global_id": resource_id})]
        if not config.reread_records:
            return reads
        for record in records:
            held = {"global_id": record["global_id"]}
            system_id = (record.get("system_ids") or {}).get(systems.psa)
            reads.append(CommandSpec(systems.psa, "get", object_type, held | _maybe(system_id)))
        return reads

    def write(ctx: StepContext) -> Sequence[CommandSpec]:
        answers = {str(a.get("global_id")): a for a in ctx.results.get("read") or []}
        if not answers:
            return []
        resource_id, part = _instance(ctx)
        resource = _resource(answers.get(resource_id), resource_id, named)
        before: Mapping[str, str] = ctx.state.get(WRITTEN, {})
        if part is Part.PLANNED:
            assignments = _current(ctx.inputs, answers, Assignment)
            plan = plan_planned_weeks(resource, assignments, before, named)
            _report(ctx, plan, resource)
        else:
            entries = _current(ctx.inputs, answers, TimeEntry)
            monday = date.fromisoformat(ctx.flow_key.rsplit("|", 1)[1] + "-1")
            plan = plan_worked_week(resource, monday, entries, before, config.counted_statuses)
        ctx.state[WRITING] = plan.written
        return [
            CommandSpec(systems.analytics, "upsert", "ResourceWeek", figures.model_dump(mode="json"))
            for figures in plan.to_write
        ]

    def written(ctx: StepContext) -> Sequence[CommandSpec]:
        if WRITING in ctx.state:
            ctx.state[WRITTEN] = ctx.state.pop(WRITING)
        return []

    return Flow(
        name=FLOW_NAME,
        triggers=frozenset({"AssignmentChanged", "TimeEntryChanged"}),
        steps=(Step("read", read), Step("write", write), Step("written", written)),
        key=key,
        business=business,
        gather=config.settle.gathering(),
    )


def _maybe(system_id: object) -> JSON:
    return {"system_id": str(system_id)} if system_id else {}


def _instance(ctx: StepContext) -> tuple[str, Part]:
    resource_id, part, *_ = ctx.flow_key.split("|")
    return resource_id, Part(part)


def _resource(answer: JSON | None, resource_id: str, named: Systems) -> Resource:
    """The resource as the ERP holds it now; refused (one exception) when it cannot be read."""
    if answer and answer.get("record"):
        return Resource.model_validate(answer["record"])
    invalid = answer.get("invalid") if answer else None
    why = f"it is not valid there: {invalid}" if invalid else "it is not there"
    raise StepRefused(
        f"The utilization of resource {resource_id} is not worked out: {named.erp_name} holds its capacity "
        f"and cost rate, but {why}. Create or link the employee in {named.erp_name} and retry this "
        "exception; it is also worked out again when the resource's assignments or time next change."
    )


def _current(gathered: Sequence[JSON], answers: Mapping[str, JSON], model: type[R]) -> list[R]:
    """The gathered records as the PSA holds them now: gone ones left out; one the PSA holds in a form
    Concord cannot read is taken as last read (its newer version opened its own exception)."""
    current: list[R] = []
    for payload in gathered:
        answer = answers.get(str(payload["global_id"])) or {}
        if answer.get("record"):
            current.append(model.model_validate(answer["record"]))
        elif answer.get("found") is not False:
            current.append(model.model_validate(payload))
    return current


def _report(ctx: StepContext, plan: WeekPlan, resource: Resource) -> None:
    """Open the plan's findings about the resource, or close the ones opened before when there are none."""
    business_key = f"Utilization:{resource.global_id}"
    ids = {**resource.system_ids, "concord": resource.global_id}
    business = BusinessRef("Resource", business_key, f"Resource '{resource.name}'", ids)
    if not plan.findings:
        ctx.settle(business_key, ctx.occurred_at)
    for finding in plan.findings:
        ctx.report(_as_report(finding, business, ctx))


def _as_report(finding: Finding, business: BusinessRef, ctx: StepContext) -> Report:
    return Report(business, finding.category.value, finding.message, finding.rule, ctx.occurred_at)
