"""The two-step flow the engine demo, crash tests and benchmark run: mirror records into the test target.

Step ``push`` upserts the record version in the target (compensation: withdraw it); step ``confirm``
writes the target's id back. One instance per record version, ordered per record.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from concord.domain.messages import Change, CommandSpec, Event
from concord.engine.flows import BusinessRef, Flow, Step, StepContext
from concord.engine.recorder import ChangeSchemas
from concord.engine.runtime import Source

SYSTEM = "test"
OBJECT = "TestRecord"


class TestRecord(BaseModel):
    """A record of the test system."""

    __test__ = False
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    value: str = Field(max_length=200)
    amount: Decimal = Field(ge=0, decimal_places=2)


def _push(ctx: StepContext) -> Sequence[CommandSpec]:
    t = ctx.trigger
    payload = {"key": t["key"], "version": t["version"], "value": t["value"], "amount": t["amount"]}
    return [CommandSpec(SYSTEM, "upsert", OBJECT, payload)]


def _withdraw(ctx: StepContext) -> Sequence[CommandSpec]:
    t = ctx.trigger
    return [CommandSpec(SYSTEM, "withdraw", OBJECT, {"key": t["key"], "version": t["version"]})]


def _confirm(ctx: StepContext) -> Sequence[CommandSpec]:
    t = ctx.trigger
    target_id = ctx.result("push")["target_id"]
    return [
        CommandSpec(
            SYSTEM, "confirm", OBJECT, {"key": t["key"], "version": t["version"], "target_id": target_id}
        )
    ]


def _business(event: Event) -> BusinessRef:
    key = event.payload["key"]
    return BusinessRef(
        OBJECT, f"{OBJECT}:{key}", f"Test record {key} v{event.payload['version']}", {SYSTEM: key}
    )


MIRROR_FLOW = Flow(
    name="mirror",
    triggers=frozenset({f"{OBJECT}Changed"}),
    steps=(Step("push", _push, compensate=_withdraw), Step("confirm", _confirm)),
    key=lambda event: f"{event.payload['key']}:v{event.payload['version']}",
    business=_business,
)

MIRROR_SOURCE = Source(SYSTEM, OBJECT, page_size=500)


def mirror_schemas() -> ChangeSchemas:
    """Validation for the test system's records."""
    schemas = ChangeSchemas()
    schemas.register_model(OBJECT, TestRecord)
    return schemas


def generate_changes(
    count: int, *, records: int = 1000, seed: int = 7, invalid_every: int = 0
) -> list[Change]:
    """A deterministic feed: ``count`` changes over ``records`` records, versions rising per record.

    With ``invalid_every`` = N, every N-th change carries a malformed amount (a dirty record).
    """
    rng = random.Random(seed)
    versions: dict[str, int] = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    changes = []
    for index in range(count):
        key = f"R{rng.randrange(records):05d}"
        version = versions[key] = versions.get(key, 0) + 1
        amount: str = f"{rng.randrange(1, 1_000_000) / 100:.2f}"
        if invalid_every and index % invalid_every == invalid_every - 1:
            amount = "twelve"
        payload = {"key": key, "version": version, "value": f"value {index}", "amount": amount}
        changes.append(
            Change(SYSTEM, OBJECT, key, payload, start + timedelta(seconds=index), version=str(version))
        )
    return changes
