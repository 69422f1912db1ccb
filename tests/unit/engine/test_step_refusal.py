"""A step that refuses the work (``StepRefused``): one validation exception in the step's own words, and the
instance runs again from its first step, with its facts read afresh, for a retry or a newer trigger."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from concord.domain.messages import CommandSpec, Event
from concord.engine.flows import BusinessRef, Flow, FlowRegistry, Step, StepContext, StepRefused
from concord.engine.model import Category, InstanceStatus
from concord.engine.runner import FlowRunner

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def read(ctx: StepContext) -> list[CommandSpec]:
    return [CommandSpec("crm", "get", "Opportunity", {"global_id": ctx.trigger["id"]})]


def check(ctx: StepContext) -> list[CommandSpec]:
    if ctx.trigger["region"] == "LATAM":
        raise StepRefused(
            f"Deal {ctx.trigger['id']} was not provisioned: region 'LATAM' maps to no legal entity."
        )
    return []


FLOW = Flow(
    name="provision",
    triggers=frozenset({"DealChanged"}),
    steps=(Step("check", check), Step("read", read)),
    key=lambda e: str(e.payload["id"]),
    business=lambda e: BusinessRef(
        "Opportunity", f"Opportunity:{e.payload['id']}", f"Deal {e.payload['id']}"
    ),
)


def event(region: str, at: datetime) -> Event:
    payload = {"id": "D1", "region": region}
    traceparent = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    return Event("E", 1, "DealChanged", "Deal", "D1", "crm", "D1", payload, at, at, traceparent)


def test_a_refusal_opens_one_validation_exception_in_the_steps_words_and_issues_nothing() -> None:
    runner = FlowRunner(FlowRegistry([FLOW]))
    instance, decision = runner.start(FLOW, "D1", event("LATAM", NOW), NOW)
    assert instance.status is InstanceStatus.FAILED and runner.refused(instance)
    assert decision.commands == []
    [refusal] = decision.exceptions
    assert refusal.category is Category.VALIDATION
    assert refusal.message == "Deal D1 was not provisioned: region 'LATAM' maps to no legal entity."


def test_only_a_newer_trigger_runs_a_refused_instance_again_from_its_first_step() -> None:
    runner = FlowRunner(FlowRegistry([FLOW]))
    instance, _ = runner.start(FLOW, "D1", event("LATAM", NOW), NOW)
    assert not runner.retriggers(instance, event("UK", NOW))  # the same version again (a replay)
    assert not runner.retriggers(instance, event("UK", NOW - timedelta(minutes=1)))

    newer = event("UK", NOW + timedelta(minutes=1))
    assert runner.retriggers(instance, newer)
    decision = runner.retrigger(instance, newer, NOW)
    assert instance.status is InstanceStatus.RUNNING and not runner.refused(instance)
    assert instance.generation == 2 and instance.state["trigger"]["region"] == "UK"
    [command] = decision.commands
    assert command.action == "get" and "/g2/" in command.idempotency_key


def test_a_completed_instance_is_never_run_again_by_a_trigger() -> None:
    runner = FlowRunner(FlowRegistry([FLOW]))
    instance, _ = runner.start(FLOW, "D1", event("UK", NOW), NOW)
    instance.status = InstanceStatus.COMPLETED
    assert not runner.retriggers(instance, event("LATAM", NOW + timedelta(days=1)))
