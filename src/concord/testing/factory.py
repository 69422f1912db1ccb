"""Building the test connector from configuration (``kind = "test"``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from concord.testing.connector import Behaviour, TestConnector
from concord.testing.ledger import MemoryLedger, SqliteLedger
from concord.testing.mirror_flow import generate_changes


class TestConnectorOptions(BaseModel):
    """Options of a test connector in configuration."""

    __test__ = False
    model_config = ConfigDict(extra="forbid")

    kind: str = "test"
    changes: int = Field(1000, ge=0)
    records: int = Field(100, ge=1)
    seed: int = 7
    invalid_every: int = Field(0, ge=0)
    ledger: Path | None = None
    latency_s: float = Field(0.0, ge=0)
    transient_rate: float = Field(0.0, ge=0, le=1)
    timeout_rate: float = Field(0.0, ge=0, le=1)
    throttle_every: int = Field(0, ge=0)
    throttle_burst: int = Field(0, ge=0)
    retry_after_s: float = Field(1.0, ge=0)


def test_connector(name: str, options: Mapping[str, Any], *_: object) -> TestConnector:
    """A test connector serving a generated feed, keeping its ledger in memory or in a file."""
    opts = TestConnectorOptions.model_validate(dict(options))
    behaviour = Behaviour(
        latency_s=opts.latency_s,
        transient_rate=opts.transient_rate,
        timeout_rate=opts.timeout_rate,
        throttle_every=opts.throttle_every,
        throttle_burst=opts.throttle_burst,
        retry_after_s=opts.retry_after_s,
        seed=opts.seed,
    )
    feed = generate_changes(
        opts.changes, records=opts.records, seed=opts.seed, invalid_every=opts.invalid_every
    )
    ledger = SqliteLedger(opts.ledger) if opts.ledger else MemoryLedger()
    return TestConnector(name=name, feed=feed, behaviour=behaviour, ledger=ledger)


test_connector.__test__ = False  # type: ignore[attr-defined]
