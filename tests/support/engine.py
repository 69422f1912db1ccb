"""Building an engine around the test connector, the way the application does (through bootstrap)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from concord.bootstrap import Concord, bootstrap
from concord.domain.messages import Change
from concord.engine.flows import Flow
from concord.engine.ports import Clock
from concord.settings import BreakerSettings, DeliverySettingsModel, RetrySettings, Settings
from concord.testing.connector import Behaviour, TestConnector
from concord.testing.ledger import Effect
from concord.testing.mirror_flow import MIRROR_FLOW, MIRROR_SOURCE, mirror_schemas

FAST_RETRY = RetrySettings(initial_s=0.01, multiplier=2.0, max_delay_s=0.2, jitter=0.2, max_attempts=40)


def make_engine(
    url: str,
    feed: Sequence[Change],
    behaviour: Behaviour | None = None,
    *,
    retry: RetrySettings = FAST_RETRY,
    breaker: BreakerSettings | None = None,
    delivery: DeliverySettingsModel | None = None,
    flows: Sequence[Flow] = (MIRROR_FLOW,),
    worker_id: str = "embedded",
    connector: TestConnector | None = None,
    business_clock: Clock | None = None,
) -> tuple[Concord, TestConnector]:
    connector = connector or TestConnector(feed=list(feed), behaviour=behaviour or Behaviour())
    settings = Settings(
        database_url=url,
        worker_id=worker_id,
        retry=retry,
        breaker=breaker or BreakerSettings(),
        delivery=delivery or DeliverySettingsModel(),
    )
    concord = bootstrap(
        settings,
        connectors={"test": connector},
        flows=flows,
        schemas=mirror_schemas(),
        sources=[MIRROR_SOURCE],
        rng=random.Random(1),
        log_to_stderr=False,
        business_clock=business_clock,
    )
    return concord, connector


def effects_by(effects: Sequence[Effect], action: str) -> list[Effect]:
    return [e for e in effects if e.action == action]


def assert_exactly_once(effects: Sequence[Effect], feed: Sequence[Change]) -> None:
    """Every valid change was pushed and confirmed exactly once, in version order per record."""
    expected = {(c.payload["key"], c.payload["version"]) for c in feed}
    for action in ("upsert", "confirm"):
        seen = [(e.payload["key"], e.payload["version"]) for e in effects_by(effects, action)]
        assert len(seen) == len(set(seen)), f"duplicate {action} effects"
        assert set(seen) == expected, f"{action}: {len(expected - set(seen))} missing"
        last: dict[str, int] = {}
        for key, version in seen:
            assert version > last.get(key, 0), (
                f"{action} of {key} out of order: v{version} after v{last[key]}"
            )
            last[key] = version
