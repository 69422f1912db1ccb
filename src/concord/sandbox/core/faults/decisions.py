"""``FaultSet``: the active rules of one emulator and the per-request decision of what to inject."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from concord.sandbox.core.clock import Clock
from concord.sandbox.core.errors import ErrorKind
from concord.sandbox.core.faults.rules import FaultRule, parse_endpoint


@dataclass(frozen=True, slots=True)
class FaultAnswer:
    """An answer the core gives instead of the emulator."""

    status: int
    kind: ErrorKind
    message: str
    retry_after_s: int | None = None


@dataclass(slots=True)
class FaultPlan:
    """What to do to one request; built by ``FaultSet.decide``, carried out by ``FaultInjector``."""

    delay_s: float = 0.0
    answer: FaultAnswer | None = None
    hang_s: float | None = None
    malformed: bool = False
    truncate: Literal["cut_json", "drop_connection"] | None = None
    drip: tuple[int, float] | None = None

    @property
    def rewrites_body(self) -> bool:
        """Whether the emulator's answer must be buffered and altered."""
        return self.malformed or self.truncate is not None or self.drip is not None

    def labels(self) -> list[str]:
        """What will actually be applied, for the request log (an answer pre-empts body effects)."""
        found = ["latency"] if self.delay_s > 0 else []
        if self.answer is not None:
            return [*found, self.answer.kind.value]
        if self.hang_s is not None:
            return [*found, ErrorKind.TIMEOUT.value]
        if self.malformed:
            found.append("malformed")
        elif self.truncate is not None:
            found.append("truncated")
        if self.drip is not None:
            found.append("slow_drip")
        return found


@dataclass(slots=True)
class _ArmedRule:
    rule: FaultRule
    methods: frozenset[str] | None
    pattern: re.Pattern[str]
    rng: random.Random
    matched: int = 0
    affected: int = 0
    injected: Counter[str] = field(default_factory=Counter)

    def stats(self) -> dict[str, object]:
        return {"matched": self.matched, "affected": self.affected, "injected": dict(self.injected)}


class FaultSet:
    """The fault rules of one emulator.

    Rules are changed from any thread (admin API, tests); ``decide`` runs on the server's event loop and
    reads an immutable tuple of armed rules, so it takes no lock.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._armed: tuple[_ArmedRule, ...] = ()
        self._next_id = 1

    @property
    def active(self) -> bool:
        """Whether any rule is installed (the middleware's fast path skips everything otherwise)."""
        return bool(self._armed)

    def rules(self) -> list[FaultRule]:
        """The installed rules, in evaluation order, with their ids and resolved outage windows."""
        return [armed.rule for armed in self._armed]

    def stats(self) -> dict[str, dict[str, object]]:
        """Per rule id: requests matched, requests affected and faults injected by kind."""
        return {armed.rule.id or "": armed.stats() for armed in self._armed}

    def add(self, rule: FaultRule) -> FaultRule:
        """Install one more rule (evaluated after the existing ones); returns it with its id.

        Raises:
            ValueError: ``rule.id`` is already used by an installed rule.
        """
        with self._lock:
            armed = self._arm(rule, taken={a.rule.id for a in self._armed})
            self._armed = (*self._armed, armed)
        return armed.rule

    def replace(self, rules: Iterable[FaultRule]) -> list[FaultRule]:
        """Install exactly ``rules`` (counters start again from zero).

        Raises:
            ValueError: Two rules have the same id (nothing is changed).
        """
        with self._lock:
            taken: set[str | None] = set()
            armed = []
            for rule in rules:
                armed.append(self._arm(rule, taken=taken))
                taken.add(armed[-1].rule.id)
            self._armed = tuple(armed)
        return self.rules()

    def remove(self, rule_id: str) -> bool:
        """Remove the rule with this id; ``False`` if there is none."""
        with self._lock:
            kept = tuple(armed for armed in self._armed if armed.rule.id != rule_id)
            found = len(kept) != len(self._armed)
            self._armed = kept
        return found

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._armed = ()

    def _arm(self, rule: FaultRule, *, taken: set[str | None]) -> _ArmedRule:
        if rule.id is not None and rule.id in taken:
            raise ValueError(f"a fault rule with id {rule.id!r} already exists")
        rule_id = rule.id
        while rule_id is None or rule_id in taken:
            rule_id = f"r{self._next_id}"
            self._next_id += 1
        now = self._clock.now()
        concrete = rule.model_copy(update={"id": rule_id, "outage": [w.resolved(now) for w in rule.outage]})
        methods, pattern = parse_endpoint(rule.endpoint)
        return _ArmedRule(concrete, methods, pattern, random.Random(rule.seed))

    def decide(self, method: str, path: str) -> FaultPlan | None:
        """Apply every matching rule's counters and dice to this request; ``None`` when nothing fires."""
        plan: FaultPlan | None = None
        for armed in self._armed:
            if armed.methods is not None and method not in armed.methods:
                continue
            if not armed.pattern.match(path):
                continue
            rule = armed.rule
            if rule.max_faults is not None and armed.affected >= rule.max_faults:
                continue
            plan = self._apply(armed, plan)
        return plan

    def _apply(self, armed: _ArmedRule, plan: FaultPlan | None) -> FaultPlan | None:
        rule, rng = armed.rule, armed.rng
        position = armed.matched
        armed.matched += 1
        # Draw every die the rule has, in a fixed order, so the sequence depends on the seed only.
        error = rule.error_rate > 0 and rng.random() < rule.error_rate
        hang = rule.timeout_rate > 0 and rng.random() < rule.timeout_rate
        malformed = rule.malformed_rate > 0 and rng.random() < rule.malformed_rate
        truncated = rule.truncated_rate > 0 and rng.random() < rule.truncated_rate
        delay_ms = rule.latency_ms + (rng.uniform(0.0, rule.jitter_ms) if rule.jitter_ms > 0 else 0.0)
        outage = bool(rule.outage) and any(window.contains(self._clock.now()) for window in rule.outage)
        burst = rule.burst_429 and position % (rule.burst_every + rule.burst_length) >= rule.burst_every

        answer = _answer(rule, outage=outage, burst=burst, error=error)
        hang = hang and answer is None
        if answer is not None or hang:
            # The emulator will not answer, so there is no body to spoil.
            malformed = truncated = False
        drip = rule.slow_drip and answer is None and not hang
        truncated = truncated and not malformed
        effects = [
            label
            for label, fired in (
                ("latency", delay_ms > 0),
                (answer.kind.value if answer is not None else "", answer is not None),
                (ErrorKind.TIMEOUT.value, hang),
                ("malformed", malformed),
                ("truncated", truncated),
                ("slow_drip", drip),
            )
            if fired
        ]
        if not effects:
            return plan

        armed.affected += 1
        armed.injected.update(effects)
        plan = plan or FaultPlan()
        plan.delay_s += delay_ms / 1000.0
        if plan.answer is None and plan.hang_s is None:
            plan.answer = answer
            plan.hang_s = rule.hang_s if answer is None and hang else None
        plan.malformed = plan.malformed or malformed
        if plan.truncate is None and truncated:
            plan.truncate = rule.truncate_mode
        if plan.drip is None and drip:
            plan.drip = (rule.drip_chunk_bytes, rule.drip_interval_ms / 1000.0)
        return plan


def _answer(rule: FaultRule, *, outage: bool, burst: bool, error: bool) -> FaultAnswer | None:
    if outage:
        return FaultAnswer(503, ErrorKind.OUTAGE, "Service unavailable (injected outage)")
    if burst:
        return FaultAnswer(
            429, ErrorKind.RATE_LIMITED, "Too many requests (injected 429 burst)", rule.retry_after_s
        )
    if error:
        return FaultAnswer(rule.error_status, ErrorKind.ERROR, "Injected server error")
    return None
