"""A connector with programmable behaviour, for tests, the demo and benchmarks.

As a source it serves a deterministic feed of changes; as a target it misbehaves on command (latency,
transient errors, timeouts, 429 bursts with Retry-After, permanent rejections, commands it cannot encode)
and keeps what it received in a :mod:`ledger <concord.testing.ledger>` so that tests can count effects.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from concord.domain.messages import Change, CommandEnvelope
from concord.engine.errors import CannotEncode, Classification, QuotaExhausted, Throttled, TransientError
from concord.engine.ports import DetectedChanges, Failed, Outcome, Succeeded
from concord.testing.ledger import Ledger, MemoryLedger

RejectRule = Callable[[CommandEnvelope], str | None]


@dataclass
class Behaviour:
    """How the test target behaves; change it while the engine runs (e.g. to fix a cause)."""

    latency_s: float = 0.0
    transient_rate: float = 0.0
    timeout_rate: float = 0.0
    hang_s: float = 3600.0
    applied_before_timeout: float = 0.5
    throttle_every: int = 0
    throttle_burst: int = 0
    retry_after_s: float = 1.0
    reject: RejectRule | None = None
    #: The first N calls find the shared quota budget spent (nothing is sent; the work must wait).
    quota_spent_calls: int = 0
    seed: int = 0


@dataclass
class TestConnector:
    """The ``test`` system."""

    __test__ = False  # not a pytest test class

    name: str = "test"
    feed: Sequence[Change] = ()
    behaviour: Behaviour = field(default_factory=Behaviour)
    ledger: Ledger = field(default_factory=MemoryLedger)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.behaviour.seed)
        self._requests = 0
        self._burst_left = 0

    async def detect(self, object_type: str, cursor: str | None, limit: int) -> DetectedChanges:
        start = int(cursor or 0)
        page = [c for c in self.feed[start : start + limit] if c.object_type == object_type]
        end = min(start + limit, len(self.feed))
        return DetectedChanges(page, str(end), more=end < len(self.feed))

    async def execute(self, commands: Sequence[CommandEnvelope]) -> Sequence[Outcome]:
        b = self.behaviour
        self._requests += 1
        if b.latency_s:
            await asyncio.sleep(b.latency_s)
        if self._requests <= b.quota_spent_calls:
            raise QuotaExhausted("the daily API budget is spent", retry_after=b.retry_after_s)
        if self._throttled():
            raise Throttled("429 Too Many Requests", retry_after=b.retry_after_s)
        if b.timeout_rate and self._rng.random() < b.timeout_rate:
            if self._rng.random() < b.applied_before_timeout:
                for command in commands:  # it worked, but the answer never comes back
                    self._apply(command)
            await asyncio.sleep(b.hang_s)
        return [self._one(command) for command in commands]

    def classify(self, error: BaseException) -> Classification:
        return Classification.of(error)

    def _one(self, command: CommandEnvelope) -> Outcome:
        b = self.behaviour
        self.ledger.call(command.idempotency_key, command.attempt)
        if b.transient_rate and self._rng.random() < b.transient_rate:
            return Failed(Classification.of(TransientError("503 Service Unavailable")))
        try:
            _encode(command)
        except CannotEncode as error:
            return Failed(Classification.of(error))
        if b.reject is not None:
            reason = b.reject(command)
            if reason:
                return Failed(Classification(False, reason, category="target_rejected"))
        return Succeeded(self._apply(command))

    def _apply(self, command: CommandEnvelope) -> dict[str, str]:
        ordering = str(command.payload.get("key", ""))
        self.ledger.apply(command.idempotency_key, command.action, ordering, command.payload)
        return {"target_id": f"T-{command.payload.get('key', command.command_id)}"}

    def _throttled(self) -> bool:
        b = self.behaviour
        if self._burst_left > 0:
            self._burst_left -= 1
            return True
        if b.throttle_every and self._requests % b.throttle_every == 0:
            self._burst_left = b.throttle_burst - 1
            return b.throttle_burst > 0
        return False


def _encode(command: CommandEnvelope) -> None:
    # The test target's wire format is text without control characters, like many real APIs.
    for key, value in command.payload.items():
        if isinstance(value, str) and any(ord(ch) < 32 for ch in value):
            raise CannotEncode(f"field '{key}' holds a control character the target cannot accept")
