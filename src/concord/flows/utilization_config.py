"""Resource to utilization (domain.md §3.2), as configuration: the systems, which time counts as worked,
and how long Concord lets a burst of changes settle before it computes the weeks again.

It is data, a YAML file (``utilization.yaml`` beside this module is the shipped default; point
``utilization`` in concord.toml at your own). A file that cannot be used is refused at start-up with every
problem as ``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from concord.domain.objects import TimeEntryStatus
from concord.domain.utilization import COUNTED_STATUSES
from concord.flows.config_file import load_config_file
from concord.flows.config_parts import PsaErpSystems, Settle, Strict, Text
from concord.settings import SHIPPED_UTILIZATION

__all__ = ["UtilizationConfig", "UtilizationSystems", "load_utilization"]


class UtilizationSystems(PsaErpSystems):
    """The configured connectors that play each part (names as in concord.toml): the PSA, where assignments
    and time entries come from; the ERP, where the resource master is read (cost rate, capacity); and the
    analytics sink."""

    analytics: Text = "analytics"
    """Where the figures go (an ``analytics`` connector)."""


class UtilizationConfig(Strict):
    """The firm's utilization settings."""

    systems: UtilizationSystems = UtilizationSystems()
    counted_statuses: frozenset[TimeEntryStatus] = Field(default=COUNTED_STATUSES, min_length=1)
    reread_records: bool = False
    """Read every gathered record again from the PSA on each run (one request per record)."""
    settle: Settle = Settle()

    @field_validator("counted_statuses")
    @classmethod
    def _never_draft_or_rejected(cls, value: frozenset[TimeEntryStatus]) -> frozenset[TimeEntryStatus]:
        wrong = sorted(s.value for s in value - COUNTED_STATUSES)
        if wrong:
            raise ValueError(f"only approved and submitted time can count as worked, not {', '.join(wrong)}")
        return value


def load_utilization(path: Path | None = None) -> UtilizationConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(UtilizationConfig, path or SHIPPED_UTILIZATION, "utilization configuration")
