"""Declaring durable flows: named steps, each turning context into commands, with optional compensation.

A flow is triggered by event types; ``key`` picks the flow instance an event belongs to (one instance per
business key, so a re-sent or replayed trigger never starts a second run). A step is a pure function of
(trigger, state, earlier results) to commands; the runner commits its new state and its commands together.
When a command fails permanently, the compensations of the steps already done run in reverse order.
A step whose business rules refuse the work raises ``StepRefused``: the instance stops with one validation
exception, and starts again from its first step when the exception is retried or a newer version of its
trigger arrives.

A *gathering* flow (``gather``) keys many records to one instance (e.g. the approved time of one employee
on one project in one month) and acts on all of them together: each event's record is kept among the
instance's ``inputs`` (the newest version per record), and the instance runs once no new input arrived
for ``quiet_s`` (at the latest ``max_wait_s`` after it started waiting). An input that arrives while it
runs makes it run again afterwards; a finished instance runs again when a newer input arrives. Its steps
may report findings about single records (``StepContext.report``) without stopping the others, and
declare records settled (``StepContext.settle``) so their older exceptions close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from concord.domain.messages import JSON, CommandSpec, Event


@dataclass(slots=True)
class StepContext:
    """What a step sees: the trigger's payload, the instance's state and the results of earlier steps."""

    instance_id: str
    flow_key: str
    trigger: JSON
    state: JSON
    results: dict[str, list[JSON]]
    generation: int
    reports: list[Report] = field(default_factory=list)
    settled: list[tuple[str, datetime]] = field(default_factory=list)
    timings: list[SlaMark] = field(default_factory=list)

    def result(self, step: str, index: int = 0) -> JSON:
        """The result of command ``index`` of an earlier ``step``."""
        return self.results[step][index]

    @property
    def inputs(self) -> list[JSON]:
        """A gathering flow's records: the newest version of each, in the order they first arrived."""
        gathered: dict[str, JSON] = self.state.get(INPUTS, {})
        return [entry["payload"] for entry in gathered.values()]

    def input_times(self) -> dict[str, datetime]:
        """A gathering flow's records by global id → when the newest version of each changed at its
        source (the time its exceptions are settled or reported at)."""
        gathered: dict[str, JSON] = self.state.get(INPUTS, {})
        return {
            str(held["payload"]["global_id"]): datetime.fromisoformat(str(held["at"]))
            for held in gathered.values()
        }

    def report(self, report: Report) -> None:
        """Open an exception about one record the step handles (not opened twice while it is active)."""
        self.reports.append(report)

    def confirmed(self, business_key: str) -> bool:
        """Whether a person retried an exception about ``business_key`` of this instance: for a finding
        that waits for someone's confirmation (a re-dated posting), their go-ahead."""
        return business_key in self.state.get(CONFIRMED, [])

    def settle(self, business_key: str, observed_at: datetime) -> None:
        """A record was handled: its active sync exceptions about versions up to ``observed_at`` close."""
        self.settled.append((business_key, observed_at))

    def timed(self, measure: str, subject: BusinessRef, started_at: datetime, *, ended: bool = True) -> None:
        """A business SLA interval of ``subject`` that started at ``started_at``; ``ended`` (the default):
        it ends now, when this step runs (the commands that achieved it having succeeded)."""
        self.timings.append(SlaMark(measure, subject, started_at, ended))

    def run_again_at(self, moment: datetime) -> None:
        """Run this instance again from its first step at ``moment`` on the business clock (the platforms'
        time), even if nothing changes by then: a billing period that ends, a fee that falls due. Kept
        when the instance completes; a run for any other reason decides again. The earliest asked wins."""
        asked = self.state.get(RUN_AGAIN_AT)
        if asked is None or moment < datetime.fromisoformat(asked):
            self.state[RUN_AGAIN_AT] = moment.isoformat()

    @property
    def occurred_at(self) -> datetime:
        """When the change that started this instance happened at its source."""
        return datetime.fromisoformat(self.state["occurred_at"])


@dataclass(frozen=True, slots=True)
class SlaMark:
    """A step's word on one business SLA interval (domain.md §5): it started, and perhaps ended now."""

    measure: str
    subject: BusinessRef
    started_at: datetime
    ended: bool


StepFn = Callable[[StepContext], Sequence[CommandSpec]]

RUN_AGAIN_AT = "run_again_at"
"""State key: when a step asked its instance to run again (``StepContext.run_again_at``)."""
CONFIRMED = "confirmed"
"""State key of a gathering instance: business keys of its exceptions people retried."""
INPUTS = "inputs"
"""State key of a gathering instance's records: "object type|aggregate key" → {"payload", "at", "seq"}."""


@dataclass(frozen=True, slots=True)
class Gathering:
    """How a gathering flow waits for its inputs to settle before it runs."""

    quiet_s: float = 2.0
    """Run once no new input arrived for this long..."""
    max_wait_s: float = 30.0
    """...but no later than this after the instance started waiting (a steady trickle never starves it)."""

    def __post_init__(self) -> None:
        if self.quiet_s < 0 or self.max_wait_s < self.quiet_s:
            raise ValueError(
                f"a gathering waits quiet_s >= 0 and max_wait_s >= quiet_s, not {self.quiet_s} and "
                f"{self.max_wait_s}"
            )


@dataclass(frozen=True, slots=True)
class Report:
    """A finding a step reports about one record, in business words (opened as an exception)."""

    business: BusinessRef
    category: str
    """An exception category (``concord.engine.model.Category`` value)."""
    message: str
    detail: str
    observed_at: datetime
    """When the reported version of the record changed at its source."""


class StepRefused(Exception):
    """A step's business rules refuse the work with the facts it has (a validation failure, not a bug).

    The message is shown as it is in the exception queue, so write it for the people who read it
    ("Opportunity 'Globex ERP rollout' is Closed Won but was not provisioned: region 'LATAM' maps to no
    legal entity."). Refuse before any step had an effect: the instance starts again from its first step,
    reading its facts afresh, when the exception is retried or when a newer version of the record that
    triggered it arrives.
    """


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a flow. ``compensate`` undoes its effects when a later step fails permanently."""

    name: str
    run: StepFn
    compensate: StepFn | None = None


@dataclass(frozen=True, slots=True)
class BusinessRef:
    """The business object an instance works on, as exceptions name it."""

    object_type: str
    key: str
    label: str
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Flow:
    """A durable, multi-step process."""

    name: str
    triggers: frozenset[str]
    steps: tuple[Step, ...]
    key: Callable[[Event], str | None]
    business: Callable[[Event], BusinessRef]
    gather: Gathering | None = None
    """Set for a gathering flow: many records per instance, run once they settle."""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or ":" in self.name:
            raise ValueError(f"flow name {self.name!r} must be non-empty and contain no '/' or ':'")
        if not self.steps:
            raise ValueError(f"flow {self.name!r} has no steps; give it at least one Step")
        names = [step.name for step in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"flow {self.name!r} has duplicate step names: {names}")
        if not self.triggers:
            raise ValueError(f"flow {self.name!r} has no trigger event types")

    def step_index(self, name: str) -> int:
        """Position of the step called ``name``."""
        for index, step in enumerate(self.steps):
            if step.name == name:
                return index
        raise KeyError(f"flow {self.name!r} has no step {name!r}")

    def instance_id(self, flow_key: str) -> str:
        """The durable id of this flow's instance for a business key."""
        return f"{self.name}:{flow_key}"


class FlowRegistry:
    """Routing as data: event type → the flows it triggers. Flows are registered explicitly."""

    def __init__(self, flows: Iterable[Flow] = ()) -> None:
        self._flows: dict[str, Flow] = {}
        self._routes: dict[str, list[Flow]] = {}
        for flow in flows:
            self.register(flow)

    def register(self, flow: Flow) -> None:
        """Add a flow; names are unique."""
        if flow.name in self._flows:
            raise ValueError(f"a flow named {flow.name!r} is already registered")
        self._flows[flow.name] = flow
        for trigger in flow.triggers:
            self._routes.setdefault(trigger, []).append(flow)

    def for_event(self, event_type: str) -> list[Flow]:
        """The flows an event of this type triggers."""
        return self._routes.get(event_type, [])

    def get(self, name: str) -> Flow:
        """The flow called ``name``."""
        try:
            return self._flows[name]
        except KeyError:
            raise KeyError(f"no flow named {name!r}; known: {sorted(self._flows)}") from None

    def __iter__(self) -> Any:
        return iter(self._flows.values())
