"""The durable flow runner's decisions: pure functions of an instance and what just happened.

The runner never does I/O. The dispatcher and the delivery workers load instances inside a transaction,
ask the runner what follows, and write the instance and the commands it returns in that same
transaction (the transactional outbox), so a step's new state and its commands are never seen apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from concord.domain.ids import new_id
from concord.domain.messages import JSON, CommandSpec, Event
from concord.domain.ownership import owning_team
from concord.domain.tracing import TraceContext
from concord.engine.errors import Classification
from concord.engine.flows import (
    INPUTS,
    RUN_AGAIN_AT,
    Flow,
    FlowRegistry,
    Gathering,
    StepContext,
    StepRefused,
)
from concord.engine.model import (
    Category,
    ClaimedCommand,
    ExceptionDraft,
    FlowInstance,
    InstanceStatus,
    NewCommand,
    SlaTiming,
)
from concord.engine.ports import Clock

FORWARD = "forward"
COMPENSATE = "compensate"
REFUSED = "refused"
"""State key of an instance a step refused (``StepRefused``): it runs again from its first step."""
WAITING_SINCE = "waiting_since"
REWAKE = "rewake"
"""State key of a gathering instance that got new inputs while it ran: it runs again when it finishes."""


@dataclass(slots=True)
class Decision:
    """What the runner decided for one instance: commands to write, exceptions to open, keys resolved."""

    commands: list[NewCommand] = field(default_factory=list)
    exceptions: list[ExceptionDraft] = field(default_factory=list)
    #: (business key, when the succeeding version changed at its source)
    completed: list[tuple[str, datetime]] = field(default_factory=list)
    timings: list[SlaTiming] = field(default_factory=list)

    def extend(self, other: Decision) -> None:
        self.commands.extend(other.commands)
        self.exceptions.extend(other.exceptions)
        self.completed.extend(other.completed)
        self.timings.extend(other.timings)


class FlowRunner:
    """Advances flow instances step by step."""

    def __init__(self, flows: FlowRegistry, business_clock: Clock | None = None) -> None:
        self.flows = flows
        self.business_clock = business_clock
        """Ends business SLA intervals (``StepContext.timed``); None: the engine's own ``now``. The
        platforms stamp when an interval starts, so a sandbox whose clock a simulation moves needs its
        intervals ended by that clock too."""

    def start(self, flow: Flow, flow_key: str, event: Event, now: datetime) -> tuple[FlowInstance, Decision]:
        """A new instance for ``event``, with its first step's commands (or, gathering, waiting)."""
        business = flow.business(event)
        gathering = flow.gather is not None
        instance = FlowInstance(
            instance_id=flow.instance_id(flow_key),
            flow=flow.name,
            flow_key=flow_key,
            status=InstanceStatus.WAITING if gathering else InstanceStatus.RUNNING,
            step_index=0,
            generation=0 if gathering else 1,
            pending=0,
            state={
                "trigger": event.payload,
                "aggregate": event.aggregate_key,
                "business_label": business.label,
                "ids": business.ids,
                "occurred_at": event.occurred_at.isoformat(),
                "results": {},
            },
            trigger_event_id=event.event_id,
            business_type=business.object_type,
            business_key=business.key,
            traceparent=TraceContext.parse_or_new(event.traceparent).child().traceparent,
            created_at=now,
            updated_at=now,
            is_new=True,
        )
        if flow.gather is not None:
            self.gather(instance, event, now)
            return instance, Decision()
        return instance, self._run_forward(flow, instance, now)

    def gather(self, instance: FlowInstance, event: Event, now: datetime) -> bool:
        """Keep ``event``'s record among a gathering instance's inputs and schedule the instance to run.

        Returns whether anything changed: the same version of a record again (a redelivery, a replay)
        changes nothing and wakes nobody.
        """
        flow = self.flows.get(instance.flow)
        assert flow.gather is not None, f"flow {flow.name} does not gather"
        inputs: dict[str, JSON] = instance.state.setdefault(INPUTS, {})
        record = gathered_record(event)
        held = inputs.get(record)
        at = event.occurred_at.isoformat()
        if held is not None and _not_newer(held, event, at):
            return False
        inputs[record] = {"payload": event.payload, "at": at, "seq": event.log_seq}
        if event.occurred_at > _occurred_at(instance):
            instance.state["occurred_at"] = at
        self._run_again(flow.gather, instance, now)
        return True

    def release(self, instance: FlowInstance, record: str, now: datetime) -> bool:
        """A record ``instance`` gathered now belongs to another instance of its flow (its newer version
        moved: an entry re-dated into another month, given to another person): it leaves this instance's
        inputs, and the instance runs again without it, so that what it did for the record is undone (a
        posting reversed) while the other instance does it anew. Returns whether it held the record."""
        flow = self.flows.get(instance.flow)
        assert flow.gather is not None, f"flow {flow.name} does not gather"
        if instance.state.get(INPUTS, {}).pop(record, None) is None:
            return False
        self._run_again(flow.gather, instance, now)
        return True

    def _run_again(self, gathering: Gathering, instance: FlowInstance, now: datetime) -> None:
        """A gathering instance's inputs changed: it runs (again) once they settle."""
        instance.updated_at = now
        if instance.status is InstanceStatus.WAITING and not instance.is_new:
            since = datetime.fromisoformat(instance.state[WAITING_SINCE])
            instance.wake_at = min(now + _seconds(gathering.quiet_s), since + _seconds(gathering.max_wait_s))
        elif instance.status.finished or instance.is_new:
            self._wait(gathering, instance, now)
        else:
            instance.state[REWAKE] = True

    def wake(self, instance: FlowInstance, now: datetime) -> Decision:
        """Run a waiting gathering instance over the inputs it holds, from its first step."""
        return self.restart(instance, now)

    def on_success(
        self, instance: FlowInstance, command: ClaimedCommand, result: JSON, now: datetime
    ) -> Decision:
        """A command of ``instance`` had its effect."""
        flow = self.flows.get(instance.flow)
        instance.pending = max(0, instance.pending - 1)
        instance.updated_at = now
        if command.kind == FORWARD:
            instance.results.setdefault(command.step, []).append(result)
        if instance.pending:
            return Decision()
        if instance.status is InstanceStatus.RUNNING:
            instance.step_index += 1
            decision = self._run_forward(flow, instance, now)
        elif instance.status in (InstanceStatus.FAILING, InstanceStatus.COMPENSATING):
            decision = self._run_compensation(flow, instance, now)
        else:
            decision = Decision()
        return self._rewake_if_needed(flow, instance, decision, now)

    def on_failure(
        self,
        instance: FlowInstance,
        command: ClaimedCommand,
        verdict: Classification,
        detail: str,
        now: datetime,
    ) -> Decision:
        """A command of ``instance`` failed permanently (or ran out of attempts)."""
        flow = self.flows.get(instance.flow)
        instance.pending = max(0, instance.pending - 1)
        instance.updated_at = now
        category = Category(verdict.category)
        if command.kind == COMPENSATE:
            instance.status = InstanceStatus.FAILED
            instance.state["failed_command"] = command.command_id
            message = (
                f"{self._label(instance)}: Concord could not undo step '{command.step}' in {command.target} "
                f"after an earlier failure: {verdict.reason}. Someone must check {command.target} by hand."
            )
            return Decision(
                exceptions=[self._draft(instance, Category.COMPENSATION, message, detail, command)]
            )
        to_undo = self._compensable(flow, instance, command.step)
        if to_undo:
            instance.status = InstanceStatus.FAILING
            instance.state["undo"] = to_undo
            undo_names = ", ".join(flow.steps[i].name for i in to_undo)
            consequence = f"Concord is undoing the steps already done ({undo_names})."
        else:
            instance.status = InstanceStatus.FAILED
            instance.state["failed_command"] = command.command_id
            consequence = (
                "The flow is paused at this step until the cause is fixed and the exception retried."
            )
        message = (
            f"{self._label(instance)} was not completed: {command.target} refused step '{command.step}': "
            f"{verdict.reason}. {consequence}"
        )
        decision = Decision(exceptions=[self._draft(instance, category, message, detail, command)])
        if to_undo and instance.pending == 0:
            decision.extend(self._run_compensation(flow, instance, now))
        return self._rewake_if_needed(flow, instance, decision, now)

    def restart(self, instance: FlowInstance, now: datetime) -> Decision:
        """Run a compensated or refused instance again from its first step (a person fixed the cause)."""
        flow = self.flows.get(instance.flow)
        instance.generation += 1
        instance.step_index = 0
        instance.status = InstanceStatus.RUNNING
        instance.state["results"] = {}
        instance.state.pop("undo", None)
        instance.state.pop(REFUSED, None)
        instance.state.pop(WAITING_SINCE, None)
        instance.state.pop(RUN_AGAIN_AT, None)
        instance.state.pop("failed_command", None)
        instance.wake_at = None
        instance.completed_at = None
        instance.updated_at = now
        return self._rewake_if_needed(flow, instance, self._run_forward(flow, instance, now), now)

    @staticmethod
    def refused(instance: FlowInstance) -> bool:
        """Whether a step refused the instance (it starts again from its first step when retried)."""
        return instance.status is InstanceStatus.FAILED and REFUSED in instance.state

    def retriggers(self, instance: FlowInstance, event: Event) -> bool:
        """Whether ``event`` (a newer version of the refused instance's trigger) makes it run again."""
        return self.refused(instance) and event.occurred_at > _occurred_at(instance)

    def retrigger(self, instance: FlowInstance, event: Event, now: datetime) -> Decision:
        """Run a refused instance again from its first step, for a newer version of its trigger."""
        business = self.flows.get(instance.flow).business(event)
        instance.state.update(
            trigger=event.payload,
            business_label=business.label,
            ids=business.ids,
            occurred_at=event.occurred_at.isoformat(),
        )
        return self.restart(instance, now)

    def resume(self, instance: FlowInstance, now: datetime) -> Decision:
        """Run a failed instance's current step again (its own code failed; nothing was issued)."""
        flow = self.flows.get(instance.flow)
        instance.status = InstanceStatus.RUNNING
        instance.updated_at = now
        return self._rewake_if_needed(flow, instance, self._run_forward(flow, instance, now), now)

    # -- internals

    def _wait(self, gathering: Gathering, instance: FlowInstance, now: datetime) -> None:
        instance.status = InstanceStatus.WAITING
        instance.state[WAITING_SINCE] = now.isoformat()
        instance.state.pop(REWAKE, None)
        instance.wake_at = now + _seconds(min(gathering.quiet_s, gathering.max_wait_s))

    def _rewake_if_needed(
        self, flow: Flow, instance: FlowInstance, decision: Decision, now: datetime
    ) -> Decision:
        # Inputs that arrived while the instance ran were not all seen: wait for them to settle, run again.
        if flow.gather is not None and instance.status.finished and instance.state.get(REWAKE):
            self._wait(flow.gather, instance, now)
        return decision

    def _run_forward(self, flow: Flow, instance: FlowInstance, now: datetime) -> Decision:
        # Steps that ask for nothing complete at once; keep going until one issues commands.
        reported = Decision()
        while instance.step_index < len(flow.steps):
            step = flow.steps[instance.step_index]
            context = self._context(instance)
            try:
                specs = step.run(context)
            except StepRefused as refusal:
                reported.extend(self._refuse(instance, step.name, refusal))
                return reported
            except Exception as error:  # a step's own code failed: park it, keep the line moving
                reported.extend(self._step_crashed(instance, step.name, error))
                return reported
            reported.extend(self._reported(instance, context))
            reported.completed.extend(context.settled)
            if context.timings:
                ended = self.business_clock.now() if self.business_clock else now
                reported.timings.extend(_timings(instance, context, ended))
            if specs:
                reported.extend(self._issue(instance, step.name, FORWARD, specs, now))
                return reported
            instance.step_index += 1
        instance.status = InstanceStatus.COMPLETED
        instance.completed_at = now
        instance.wake_at = self._run_again_at(instance, now)
        reported.completed.append((instance.business_key, _occurred_at(instance)))
        return reported

    def _run_again_at(self, instance: FlowInstance, now: datetime) -> datetime | None:
        """When a completing instance runs again, on the business clock (``Dispatcher.wake_once``), as a
        step asked. A moment already past is dropped: the instance would run at once, and again, forever."""
        asked = instance.state.pop(RUN_AGAIN_AT, None)
        if asked is None:
            return None
        moment = datetime.fromisoformat(asked)
        business_now = self._business_now() if self.business_clock else now
        return moment if business_now is None or moment > business_now else None

    def _run_compensation(self, flow: Flow, instance: FlowInstance, now: datetime) -> Decision:
        instance.status = InstanceStatus.COMPENSATING
        undo: list[int] = instance.state.get("undo", [])
        while undo:
            step = flow.steps[undo.pop(0)]
            assert step.compensate is not None
            try:
                specs = step.compensate(self._context(instance))
            except Exception as error:
                return self._step_crashed(instance, step.name, error)
            if specs:
                return self._issue(instance, step.name, COMPENSATE, specs, now)
        instance.status = InstanceStatus.COMPENSATED
        instance.completed_at = now
        return Decision()

    def _compensable(self, flow: Flow, instance: FlowInstance, failed_step: str) -> list[int]:
        failed_index = flow.step_index(failed_step)
        # The failed step itself is undone only if some of its commands took effect.
        partly_done = bool(instance.results.get(failed_step))
        return [
            i
            for i in range(failed_index, -1, -1)
            if flow.steps[i].compensate is not None and (i < failed_index or partly_done)
        ]

    def _issue(
        self, instance: FlowInstance, step: str, kind: str, specs: Sequence[CommandSpec], now: datetime
    ) -> Decision:
        trace = TraceContext.parse_or_new(instance.traceparent)
        commands = [
            NewCommand(
                command_id=new_id(),
                idempotency_key=f"{instance.instance_id}/g{instance.generation}/{step}/{kind}/{index}",
                instance_id=instance.instance_id,
                step=step,
                kind=kind,
                target=spec.target,
                action=spec.action,
                object_type=spec.object_type,
                ordering_key=spec.ordering_key or instance.state.get("aggregate") or instance.flow_key,
                payload=spec.payload,
                traceparent=trace.child().traceparent,
                created_at=now,
            )
            for index, spec in enumerate(specs)
        ]
        instance.pending += len(commands)
        return Decision(commands=commands)

    def _context(self, instance: FlowInstance) -> StepContext:
        return StepContext(
            instance_id=instance.instance_id,
            flow_key=instance.flow_key,
            trigger=instance.state["trigger"],
            state=instance.state,
            results=instance.results,
            generation=instance.generation,
        )

    def _business_now(self) -> datetime | None:
        if self.business_clock is None:
            return None
        try:
            return self.business_clock.now()
        except Exception:  # a clock read over the network: the step decides by its own facts
            return None

    def _reported(self, instance: FlowInstance, context: StepContext) -> Decision:
        drafts = [
            ExceptionDraft(
                category=Category(report.category),
                team=owning_team(Category(report.category), report.business.object_type),
                business_type=report.business.object_type,
                business_key=report.business.key,
                business_label=report.business.label,
                message=report.message,
                detail=report.detail,
                traceparent=instance.traceparent,
                observed_at=report.observed_at,
                object_ids=dict(report.business.ids),
                instance_id=instance.instance_id,
                event_id=instance.trigger_event_id,
                once=True,
            )
            for report in context.reports
        ]
        return Decision(exceptions=drafts)

    def _step_crashed(self, instance: FlowInstance, step: str, error: Exception) -> Decision:
        instance.status = InstanceStatus.FAILED
        message = f"{self._label(instance)} could not continue at step '{step}': {error}"
        detail = f"{type(error).__name__} raised by step '{step}' of flow '{instance.flow}': {error!r}"
        return Decision(exceptions=[self._draft(instance, Category.VALIDATION, message, detail, None)])

    def _refuse(self, instance: FlowInstance, step: str, refusal: StepRefused) -> Decision:
        instance.status = InstanceStatus.FAILED
        instance.state[REFUSED] = step
        detail = f"step '{step}' of flow '{instance.flow}' refused the work: {refusal}"
        return Decision(exceptions=[self._draft(instance, Category.VALIDATION, str(refusal), detail, None)])

    def _label(self, instance: FlowInstance) -> str:
        return str(instance.state.get("business_label") or instance.business_key)

    def _draft(
        self,
        instance: FlowInstance,
        category: Category,
        message: str,
        detail: str,
        command: ClaimedCommand | None,
    ) -> ExceptionDraft:
        return ExceptionDraft(
            category=category,
            team=owning_team(category, instance.business_type),
            business_type=instance.business_type,
            business_key=instance.business_key,
            business_label=self._label(instance),
            message=message,
            detail=detail,
            traceparent=command.traceparent if command else instance.traceparent,
            observed_at=_occurred_at(instance),
            object_ids=dict(instance.state.get("ids", {})),
            instance_id=instance.instance_id,
            command_id=command.command_id if command else None,
            event_id=instance.trigger_event_id,
        )


def gathered_record(event: Event) -> str:
    """How a gathering instance names the record an event is a version of (a platform may number two
    kinds of record alike: Kantata's assignment 1 and time entry 1)."""
    return f"{event.object_type}|{event.aggregate_key}"


def _not_newer(held: JSON, event: Event, at: str) -> bool:
    """Whether ``event`` brings nothing newer than the input held for its record.

    The event log's order decides between versions stamped alike (a replay dispatches the older ones again,
    after the newer one is held); the source's stamp decides otherwise.
    """
    if held.get("seq") and event.log_seq:
        return bool(event.log_seq <= held["seq"])
    return bool(held["at"] > at or (held["at"] == at and held["payload"] == event.payload))


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def _occurred_at(instance: FlowInstance) -> datetime:
    return datetime.fromisoformat(instance.state["occurred_at"])


def _timings(instance: FlowInstance, context: StepContext, now: datetime) -> list[SlaTiming]:
    return [
        SlaTiming(
            measure=mark.measure,
            subject_type=mark.subject.object_type,
            subject_key=mark.subject.key,
            label=mark.subject.label,
            started_at=mark.started_at,
            ended_at=now if mark.ended else None,
            instance_id=instance.instance_id,
            traceparent=instance.traceparent,
        )
        for mark in context.timings
    ]
