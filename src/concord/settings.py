"""Layered configuration: explicit arguments, then environment (``CONCORD_…``, sections joined by ``__``),
then the TOML file (``concord.toml``, or the path in ``CONCORD_CONFIG``), then defaults.

A bad file is refused with its path and what to fix. Secrets never live here: they come from the
environment or a secrets file.
"""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from concord.domain.sla import DEFAULT_TARGETS, SlaMeasure

#: The authority matrix Concord ships with (``concord/governance/authority.yaml``).
SHIPPED_AUTHORITY = Path(__file__).parent / "governance" / "authority.yaml"
#: How won deals become projects, as Concord ships it (``concord/flows/provisioning.yaml``).
SHIPPED_PROVISIONING = Path(__file__).parent / "flows" / "provisioning.yaml"
#: How approved time is posted to the ERP, as Concord ships it (``concord/flows/time_posting.yaml``).
SHIPPED_TIME_POSTING = Path(__file__).parent / "flows" / "time_posting.yaml"
#: How utilization per resource and week is computed, as shipped (``concord/flows/utilization.yaml``).
SHIPPED_UTILIZATION = Path(__file__).parent / "flows" / "utilization.yaml"
#: How Concord bills, as shipped (``concord/flows/billing.yaml``).
SHIPPED_BILLING = Path(__file__).parent / "flows" / "billing.yaml"
#: How revenue is recognised in the ERP, as Concord ships it (``concord/flows/revenue.yaml``).
SHIPPED_REVENUE = Path(__file__).parent / "flows" / "revenue.yaml"
#: How approved change orders reach the PSA and the ERP, as Concord ships it (``flows/change_orders.yaml``).
SHIPPED_CHANGE_ORDERS = Path(__file__).parent / "flows" / "change_orders.yaml"
#: How approved expenses are posted to the ERP, as Concord ships it (``concord/flows/expense_posting.yaml``).
SHIPPED_EXPENSE_POSTING = Path(__file__).parent / "flows" / "expense_posting.yaml"


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and how to fix it."""


class RetrySettings(BaseModel):
    """Retry spacing of transient failures."""

    initial_s: float = Field(0.5, ge=0)
    multiplier: float = Field(2.0, ge=1)
    max_delay_s: float = Field(300.0, gt=0)
    jitter: float = Field(0.2, ge=0, lt=1)
    max_attempts: int = Field(25, ge=1)


class BreakerSettings(BaseModel):
    """Circuit breaker per target system."""

    failure_threshold: int = Field(5, ge=1)
    cooldown_s: float = Field(5.0, ge=0)


class DeliverySettingsModel(BaseModel):
    """Delivery workers."""

    batch_size: int = Field(500, ge=1, le=10_000)
    lease_s: float = Field(60.0, gt=0)
    call_timeout_s: float = Field(30.0, gt=0)
    connector_batch: int = Field(100, ge=1)
    #: Batches in flight at once per worker, so one slow call does not hold up the others.
    lanes: int = Field(4, ge=1, le=64)


class SlaSettings(BaseModel):
    """Business SLA targets (domain.md §5) and how often breaches are looked for.

    Targets are durations: ISO 8601 (``"PT4H"``, ``"P35D"``) or seconds.
    """

    model_config = ConfigDict(extra="forbid")

    opportunity_to_project: timedelta = DEFAULT_TARGETS[SlaMeasure.OPPORTUNITY_TO_PROJECT]
    approved_time_to_erp: timedelta = DEFAULT_TARGETS[SlaMeasure.APPROVED_TIME_TO_ERP]
    approved_time_to_billing: timedelta = DEFAULT_TARGETS[SlaMeasure.APPROVED_TIME_TO_BILLING]
    exception_resolution: timedelta = DEFAULT_TARGETS[SlaMeasure.EXCEPTION_RESOLUTION]
    check_every_s: float = Field(30.0, gt=0)

    @field_validator(*(m.value for m in SlaMeasure))
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError('an SLA target is a positive duration, such as "PT4H" or "P2D"')
        return value

    def targets(self) -> dict[SlaMeasure, timedelta]:
        """The target of each measure."""
        return {measure: getattr(self, measure.value) for measure in SlaMeasure}


class Settings(BaseSettings):
    """Concord's settings."""

    model_config = SettingsConfigDict(env_prefix="CONCORD_", env_nested_delimiter="__", extra="forbid")

    database_url: str = "sqlite:///./concord.db"
    worker_id: str = "embedded"
    partitions: int = Field(8, ge=1, le=1024)
    dispatch_batch: int = Field(1000, ge=1)
    #: How many partitions one worker may lease (None: all it finds free). Set it to share dispatch.
    partitions_per_worker: int | None = Field(None, ge=1)
    log_level: str = "INFO"
    flows: list[str] = Field(default_factory=list)
    connectors: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: Connectors whose writes are shadowed: computed and compared with the target's records, recorded for
    #: ``concord shadow report``, never sent (``concord.connectors.shadow``). Reads still go to the target.
    shadow: list[str] = Field(default_factory=list)
    #: Which system owns which field (YAML); None switches governance and echo suppression off.
    authority: Path | None = SHIPPED_AUTHORITY
    #: Folders of mapping files to use instead of the shipped ones (``concord mappings check`` checks them).
    mappings: list[Path] = Field(default_factory=list)
    #: Named lookup tables mappings may use (e.g. ``region_legal_entity = {"UK" = "UK01"}``).
    reference_tables: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: How won deals become projects (YAML: contracted stages, regions, delivery templates), for the
    #: opportunity_to_project flow.
    provisioning: Path = SHIPPED_PROVISIONING
    #: How approved time is posted to the ERP (YAML: granularity, closed periods, settling), for time_to_erp.
    time_posting: Path = SHIPPED_TIME_POSTING
    #: Where utilization figures come from and go (YAML: systems, counted time, settling), for utilization.
    utilization: Path = SHIPPED_UTILIZATION
    #: How Concord bills (YAML: milestone trigger, time lines, subscriptions, settling), for billing.
    billing: Path = SHIPPED_BILLING
    #: How revenue is recognised in the ERP (YAML: completion method, milestone trigger, accounts, settling),
    #: for revenue.
    revenue: Path = SHIPPED_REVENUE
    #: How approved change orders reach the PSA and the ERP (YAML: systems, milestone fees, settling), for
    #: change_orders.
    change_orders: Path = SHIPPED_CHANGE_ORDERS
    #: How approved expenses are posted to the ERP (YAML: closed periods, exchange rates, settling), for
    #: expenses_to_erp.
    expense_posting: Path = SHIPPED_EXPENSE_POSTING
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()
    delivery: DeliverySettingsModel = DeliverySettingsModel()
    sla: SlaSettings = SlaSettings()


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``, section by section: an environment variable for one connector's
    secret (``CONCORD_CONNECTORS__SALESFORCE__AUTH__CONSUMER_SECRET``) completes that connector's
    section of the file instead of replacing every connector."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the TOML file (if any), overridden by the environment and by ``overrides``."""
    path = path or Path(os.environ.get("CONCORD_CONFIG", "concord.toml"))
    file_values: dict[str, Any] = {}
    if path.exists():
        try:
            file_values = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML ({error}); fix the syntax at that line") from error
        file_values = file_values.get("concord", file_values)
    try:
        from_env = Settings().model_dump(exclude_unset=True)
        merged = _deep_merge(file_values, from_env)
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**merged)
    except ValidationError as error:
        issues = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"{path}: invalid settings: {issues}") from error


STARTER_CONFIG = """\
# Concord configuration. Every value here can also be set in the environment:
# CONCORD_DATABASE_URL, CONCORD_WORKER_ID, CONCORD_RETRY__MAX_ATTEMPTS, ...
# Secrets (API keys, client secrets) never go in this file: use the environment or a secrets file.
[concord]
# Where Concord keeps its state. Embedded default: a SQLite file next to this config.
# For production: "postgresql://user@host:5432/concord"
database_url = "sqlite:///./concord.db"

# A stable name for this worker: a restarted worker with the same name takes its work back at once.
worker_id = "embedded"

# Events are ordered per aggregate inside a partition; partitions are leased to workers.
partitions = 8

# Flows to run (see `concord flows`); each brings the sources it needs.
flows = ["mirror"]

# Shadow mode: the connectors whose writes are only computed and compared with the target's records,
# never sent, e.g. while the old integration still runs (see `concord shadow report`).
# shadow = ["netsuite"]

# Connectors by name. `kind` picks the plug-in; the test connector serves generated changes.
[concord.connectors.test]
kind = "test"
changes = 1000

[concord.retry]
# Transient failures (timeouts, 5xx, 429) back off exponentially with jitter.
initial_s = 0.5
multiplier = 2.0
max_delay_s = 300.0
jitter = 0.2
# After this many attempts a command is parked in the exception queue (target unavailable).
max_attempts = 25

[concord.breaker]
# Consecutive transient failures that open a target's circuit, and how long it stays open.
failure_threshold = 5
cooldown_s = 5.0

[concord.delivery]
batch_size = 500
lease_s = 60.0
call_timeout_s = 30.0
"""
