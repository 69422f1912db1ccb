"""Resource to utilization (domain.md §3.2), as configuration: the systems, which time counts as worked,
and how long Concord lets a burst of changes settle before it computes the weeks again.

It is data, a YAML file (``utilization.yaml`` beside this module is the shipped default; point
``utilization`` in concord.toml at your own). A file that cannot be used is refused at start-up with every
problem as ``file:line: what is wrong; how to fix it``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from concord.domain.objects import TimeEntryStatus
from concord.domain.utilization import COUNTED_STATUSES
from concord.engine.flows import Gathering
from concord.flows.config_file import load_config_file
from concord.flows.time_posting_config import Settle
from concord.settings import SHIPPED_UTILIZATION

__all__ = ["UtilizationConfig", "UtilizationSystems", "load_utilization"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UtilizationSystems(_Strict):
    """The configured connectors that play each part (names as in concord.toml)."""

    psa: Text = "kantata"
    """Where assignments and time entries come from."""
    erp: Text = "netsuite"
    """Where the resource master is read (cost rate, capacity)."""
    analytics: Text = "analytics"
    """Where the figures go (an ``analytics`` connector)."""


class UtilizationConfig(_Strict):
    """The firm's utilization settings."""

    systems: UtilizationSystems = UtilizationSystems()
    counted_statuses: frozenset[TimeEntryStatus] = Field(default=COUNTED_STATUSES, min_length=1)
    settle: Settle = Settle()

    @field_validator("counted_statuses")
    @classmethod
    def _never_draft_or_rejected(cls, value: frozenset[TimeEntryStatus]) -> frozenset[TimeEntryStatus]:
        wrong = sorted(s.value for s in value - COUNTED_STATUSES)
        if wrong:
            raise ValueError(f"only approved and submitted time can count as worked, not {', '.join(wrong)}")
        return value

    def gathering(self) -> Gathering:
        """How the flow's instances wait for a burst to settle."""
        return Gathering(quiet_s=self.settle.quiet_s, max_wait_s=self.settle.max_wait_s)


def load_utilization(path: Path | None = None) -> UtilizationConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(UtilizationConfig, path or SHIPPED_UTILIZATION, "utilization configuration")
