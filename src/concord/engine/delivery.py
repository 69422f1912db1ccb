"""Act: delivery workers claim due commands, call the connectors and settle the outcomes.

Claiming leases a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so N workers share the outbox without
blocking each other). Each command carries its deterministic idempotency key, so calling again after a
crash converges instead of duplicating. Transient failures back off with jitter, per target, behind a
circuit breaker; permanent ones go to the flow's compensation and the exception queue. Settling writes
the outcomes, the flows' next steps and their commands in one transaction.

A write screen (``concord.engine.gates``), when one is given, sees the claimed commands inside the claim
transaction, before any call: a command it skips is settled as done with the screen's result (the flow
moves on as on success) and never reaches the connector.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from concord.domain.messages import CommandEnvelope
from concord.engine.dispatcher import persist
from concord.engine.errors import Classification, ConcurrentWrite
from concord.engine.gates import Screened, WriteScreen
from concord.engine.model import ClaimedCommand, Retry
from concord.engine.ports import Clock, Connector, Failed, Outcome, Succeeded
from concord.engine.resilience import Breakers, RetryPolicy
from concord.engine.runner import Decision, FlowRunner

if TYPE_CHECKING:
    from concord.storage.sql.store import SqlStore

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """Knobs of the delivery workers."""

    batch_size: int = 200
    lease_s: float = 60.0
    call_timeout_s: float = 30.0
    connector_batch: int = 100


class Deliverer:
    """One worker's delivery loop."""

    def __init__(
        self,
        store: SqlStore,
        connectors: Mapping[str, Connector],
        runner: FlowRunner,
        worker_id: str,
        clock: Clock,
        policy: RetryPolicy,
        breakers: Breakers,
        settings: DeliverySettings,
        rng: random.Random | None = None,
        screen: WriteScreen | None = None,
    ) -> None:
        self.store = store
        self.connectors = connectors
        self.runner = runner
        self.worker_id = worker_id
        self.clock = clock
        self.policy = policy
        self.breakers = breakers
        self.settings = settings
        self.rng = rng or random.Random()
        self.screen = screen
        self.on_claimed: Callable[[], None] | None = None
        """Called when a claim took commands (the worker wakes another lane: there may be more)."""

    def release_orphans(self) -> int:
        """At start-up: take back what this worker (same stable id) held when it last died."""
        with self.store.transaction() as tx:
            return tx.outbox.release(self.worker_id, self.clock.now())

    async def deliver_once(self) -> int:
        """Claim, execute and settle one batch; returns how many commands were settled."""
        claimed, screened = self._claim()
        if not claimed:
            return 0
        if self.on_claimed is not None:
            self.on_claimed()
        by_target: dict[str, list[ClaimedCommand]] = defaultdict(list)
        for command in claimed:
            if command.command_id in screened.skipped:
                continue
            payload = screened.payloads.get(command.command_id)
            by_target[command.target].append(
                command if payload is None else replace(command, payload=payload)
            )
        results = await asyncio.gather(*(self._call_target(t, cmds) for t, cmds in by_target.items()))
        outcomes = [pair for group in results for pair in group]
        outcomes += [
            (c, Succeeded(screened.skipped[c.command_id]))
            for c in claimed
            if c.command_id in screened.skipped
        ]
        self._settle(outcomes)
        return len(outcomes)

    def _claim(self) -> tuple[list[ClaimedCommand], Screened]:
        """Lease a batch and let the screen look at it, in one transaction."""
        for attempt in range(1, 4):
            now = self.clock.now()
            try:
                with self.store.transaction() as tx:
                    claimed = tx.outbox.claim(
                        self.worker_id,
                        now,
                        self.settings.batch_size,
                        self.settings.lease_s,
                        self.breakers.blocked(now),
                    )
                    screened = Screened()
                    if claimed and self.screen is not None:
                        screened = self.screen.screen(tx, claimed, now)
                return claimed, screened
            except ConcurrentWrite:
                # Another worker remembered a write to the same record at the same moment: claim again.
                if attempt == 3:
                    raise
        raise AssertionError("unreachable")

    async def _call_target(
        self, target: str, commands: list[ClaimedCommand]
    ) -> list[tuple[ClaimedCommand, Outcome | None]]:
        connector = self.connectors.get(target)
        if connector is None:
            verdict = Classification(
                False, f"no connector named '{target}' is configured", category="mapping"
            )
            return [(c, Failed(verdict)) for c in commands]
        breaker = self.breakers[target]
        deferred: list[tuple[ClaimedCommand, Outcome | None]] = []
        if breaker.trial_only:
            commands, deferred = commands[:1], [(c, None) for c in commands[1:]]
        pairs: list[tuple[ClaimedCommand, Outcome | None]] = []
        size = self.settings.connector_batch
        for start in range(0, len(commands), size):
            chunk = commands[start : start + size]
            outcomes = await self._execute(connector, chunk)
            pairs.extend(zip(chunk, outcomes, strict=True))
            self._observe(target, outcomes)
        return pairs + deferred

    async def _execute(self, connector: Connector, chunk: list[ClaimedCommand]) -> Sequence[Outcome]:
        envelopes = [_envelope(c) for c in chunk]
        try:
            outcomes = await asyncio.wait_for(connector.execute(envelopes), self.settings.call_timeout_s)
        except Exception as error:  # the whole call failed; the connector says how
            verdict = connector.classify(error)
            return [Failed(verdict, f"{type(error).__name__}: {error}")] * len(chunk)
        if len(outcomes) != len(chunk):
            verdict = Classification(
                True, f"connector '{connector.name}' answered {len(outcomes)} of {len(chunk)}"
            )
            return [Failed(verdict)] * len(chunk)
        return outcomes

    def _observe(self, target: str, outcomes: Sequence[Outcome]) -> None:
        now = self.clock.now()
        breaker = self.breakers[target]
        for outcome in outcomes:
            if isinstance(outcome, Succeeded) or not outcome.classification.transient:
                breaker.succeeded(now)
            elif outcome.classification.throttled:
                breaker.throttled(now, outcome.classification.retry_after or self.policy.initial_s)
            else:
                breaker.failed(now)

    def _settle(self, outcomes: list[tuple[ClaimedCommand, Outcome | None]]) -> None:
        now = self.clock.now()
        with self.store.transaction() as tx:
            mine = tx.outbox.still_mine(self.worker_id, [c.seq for c, _ in outcomes])
            lost = len(outcomes) - len(mine)
            if lost:
                log.warning("leases lost before settling; another worker owns them now", count=lost)
            outcomes = [(c, o) for c, o in outcomes if c.seq in mine]
            instances = tx.instances.get_many([c.instance_id for c, _ in outcomes if c.instance_id])
            decision = Decision()
            done: list[tuple[ClaimedCommand, object]] = []
            retries: list[Retry] = []
            failed: list[tuple[ClaimedCommand, str]] = []
            for command, outcome in outcomes:
                instance = instances.get(command.instance_id) if command.instance_id else None
                if outcome is None:  # deferred behind a half-open breaker's trial
                    retries.append(
                        Retry(
                            command.command_id,
                            now,
                            "waiting for the circuit breaker's trial call",
                            command.attempts - 1,
                        )
                    )
                elif isinstance(outcome, Succeeded):
                    done.append((command, outcome.result))
                    if instance is not None:
                        decision.extend(self.runner.on_success(instance, command, outcome.result, now))
                elif outcome.classification.paused:
                    wait = outcome.classification.retry_after or self.policy.initial_s
                    retries.append(
                        Retry(
                            command.command_id,
                            now + timedelta(seconds=wait),
                            _error(outcome),
                            command.attempts - 1,
                        )
                    )
                elif outcome.classification.transient and command.attempts < self.policy.max_attempts:
                    delay = self.policy.delay(command.attempts, outcome.classification.retry_after, self.rng)
                    retries.append(
                        Retry(
                            command.command_id,
                            now + timedelta(seconds=delay),
                            _error(outcome),
                            command.attempts,
                        )
                    )
                    log.debug(
                        "command will be retried",
                        command_id=command.command_id,
                        target=command.target,
                        attempt=command.attempts,
                        delay_s=round(delay, 3),
                        reason=outcome.classification.reason,
                        traceparent=command.traceparent,
                    )
                else:
                    log.info(
                        "command failed for good",
                        command_id=command.command_id,
                        target=command.target,
                        attempts=command.attempts,
                        reason=outcome.classification.reason,
                        traceparent=command.traceparent,
                    )
                    verdict = _final_verdict(outcome.classification, command.attempts)
                    failed.append((command, _error(outcome)))
                    if instance is not None:
                        decision.extend(
                            self.runner.on_failure(instance, command, verdict, outcome.detail, now)
                        )
            tx.outbox.settle_done(done, now)
            tx.outbox.settle_retry(retries)
            tx.outbox.settle_failed(failed, now)
            if failed and self.screen is not None:
                self.screen.abandoned(tx, [command for command, _ in failed], now)
            persist(tx, list(instances.values()), decision, now)


def _envelope(command: ClaimedCommand) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=command.command_id,
        idempotency_key=command.idempotency_key,
        target=command.target,
        action=command.action,
        object_type=command.object_type,
        payload=command.payload,
        traceparent=command.traceparent,
        attempt=command.attempts,
    )


def _error(outcome: Failed) -> str:
    text = outcome.classification.reason
    return f"{text} ({outcome.detail})" if outcome.detail else text


def _final_verdict(verdict: Classification, attempts: int) -> Classification:
    if not verdict.transient:
        return verdict
    reason = f"still failing after {attempts} attempts, last: {verdict.reason}"
    return Classification(False, reason, category="target_unavailable")
