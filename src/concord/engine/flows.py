"""Declaring durable flows: named steps, each turning context into commands, with optional compensation.

A flow is triggered by event types; ``key`` picks the flow instance an event belongs to (one instance per
business key, so a re-sent or replayed trigger never starts a second run). A step is a pure function of
(trigger, state, earlier results) to commands; the runner commits its new state and its commands together.
When a command fails permanently, the compensations of the steps already done run in reverse order.
A step whose business rules refuse the work raises ``StepRefused``: the instance stops with one validation
exception, and starts again from its first step when the exception is retried or a newer version of its
trigger arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
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

    def result(self, step: str, index: int = 0) -> JSON:
        """The result of command ``index`` of an earlier ``step``."""
        return self.results[step][index]


StepFn = Callable[[StepContext], Sequence[CommandSpec]]


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
