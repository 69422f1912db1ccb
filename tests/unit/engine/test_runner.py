"""The flow runner's decisions, without a store."""

from __future__ import annotations

from datetime import UTC, datetime

from concord.domain.messages import CommandSpec, Event
from concord.engine.errors import Classification
from concord.engine.flows import BusinessRef, Flow, FlowRegistry, Gathering, Step, StepContext
from concord.engine.model import ClaimedCommand, InstanceStatus, NewCommand
from concord.engine.runner import FlowRunner

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _cmd(name: str) -> Step:
    def run(ctx: StepContext) -> list[CommandSpec]:
        return [CommandSpec("erp", name, "Project", {"n": ctx.trigger["n"]})]

    def undo(ctx: StepContext) -> list[CommandSpec]:
        return [CommandSpec("erp", f"undo-{name}", "Project", {"n": ctx.trigger["n"]})]

    return Step(name, run, compensate=undo)


def _flow(*steps: Step) -> Flow:
    return Flow(
        name="provision",
        triggers=frozenset({"DealChanged"}),
        steps=steps,
        key=lambda e: str(e.payload["n"]),
        business=lambda e: BusinessRef(
            "Opportunity", f"Opportunity:{e.payload['n']}", f"Deal {e.payload['n']}"
        ),
    )


def _event() -> Event:
    return Event(
        "E1",
        1,
        "DealChanged",
        "Deal",
        "D1",
        "crm",
        "D1",
        {"n": 7},
        NOW,
        NOW,
        "00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )


def _claimed(command: NewCommand) -> ClaimedCommand:
    return ClaimedCommand(
        1,
        command.command_id,
        command.idempotency_key,
        command.instance_id,
        command.step,
        command.kind,
        command.target,
        command.action,
        command.object_type,
        command.ordering_key,
        command.payload,
        1,
        command.traceparent,
        command.created_at,
    )


def test_steps_run_in_order_and_the_instance_completes() -> None:
    runner = FlowRunner(FlowRegistry([_flow(_cmd("customer"), _cmd("project"))]))
    instance, first = runner.start(runner.flows.get("provision"), "7", _event(), NOW)
    assert [c.action for c in first.commands] == ["customer"]
    assert first.commands[0].idempotency_key == "provision:7/g1/customer/forward/0"
    second = runner.on_success(instance, _claimed(first.commands[0]), {"id": "C-1"}, NOW)
    assert [c.action for c in second.commands] == ["project"]
    done = runner.on_success(instance, _claimed(second.commands[0]), {"id": "P-1"}, NOW)
    assert instance.status is InstanceStatus.COMPLETED and done.completed == [("Opportunity:7", NOW)]
    assert instance.results == {"customer": [{"id": "C-1"}], "project": [{"id": "P-1"}]}


def test_a_permanent_failure_undoes_the_done_steps_in_reverse_order() -> None:
    runner = FlowRunner(FlowRegistry([_flow(_cmd("a"), _cmd("b"), _cmd("c"))]))
    instance, d = runner.start(runner.flows.get("provision"), "7", _event(), NOW)
    d = runner.on_success(instance, _claimed(d.commands[0]), {}, NOW)
    d = runner.on_success(instance, _claimed(d.commands[0]), {}, NOW)
    failed = runner.on_failure(
        instance, _claimed(d.commands[0]), Classification(False, "closed period"), "", NOW
    )
    assert failed.exceptions[0].message.startswith(
        "Deal 7 was not completed: erp refused step 'c': closed period."
    )
    assert [c.action for c in failed.commands] == ["undo-b"]
    d = runner.on_success(instance, _claimed(failed.commands[0]), {}, NOW)
    assert [c.action for c in d.commands] == ["undo-a"]
    runner.on_success(instance, _claimed(d.commands[0]), {}, NOW)
    assert instance.status is InstanceStatus.COMPENSATED

    restarted = runner.restart(instance, NOW)
    assert restarted.commands[0].idempotency_key == "provision:7/g2/a/forward/0"  # a new run, new keys


def test_a_step_whose_code_fails_parks_the_instance_with_a_readable_exception() -> None:
    def broken(ctx: StepContext) -> list[CommandSpec]:
        raise ValueError("no delivery template for service line 'Cloud'")

    runner = FlowRunner(FlowRegistry([_flow(Step("template", broken))]))
    instance, decision = runner.start(runner.flows.get("provision"), "7", _event(), NOW)
    assert instance.status is InstanceStatus.FAILED
    [draft] = decision.exceptions
    assert (
        draft.message
        == "Deal 7 could not continue at step 'template': no delivery template for service line 'Cloud'"
    )
    assert draft.team == "delivery" and draft.category == "validation"


def test_a_gathering_instance_keeps_two_kinds_of_record_numbered_alike_apart() -> None:
    flow = Flow(
        name="gather",
        triggers=frozenset({"AssignmentChanged", "TimeEntryChanged"}),
        steps=(Step("noop", lambda ctx: []),),
        key=lambda e: "R1",
        business=lambda e: BusinessRef("Resource", "Resource:R1", "Resource R1"),
        gather=Gathering(quiet_s=1, max_wait_s=2),
    )
    runner = FlowRunner(FlowRegistry([flow]))
    trace = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    # The same platform id on two object types: Kantata numbers assignments and time entries apart.
    first = Event(
        "E1", 1, "AssignmentChanged", "Assignment", "kantata:1", "kantata", "1", {"k": "a"}, NOW, NOW, trace
    )
    second = Event(
        "E2", 2, "TimeEntryChanged", "TimeEntry", "kantata:1", "kantata", "1", {"k": "t"}, NOW, NOW, trace
    )
    instance, _ = runner.start(flow, "R1", first, NOW)
    assert runner.gather(instance, second, NOW)
    context = StepContext(instance.instance_id, "R1", {}, instance.state, {}, 1)
    assert sorted(record["k"] for record in context.inputs) == ["a", "t"]
