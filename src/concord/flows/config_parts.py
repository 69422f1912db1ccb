"""The pieces the flows' configuration files share: strict settings (an unknown or misspelt key is refused,
not ignored), the connectors that play the PSA and the ERP, and how long a burst of changes settles before
a gathering flow acts on it. Each flow's own model (``time_posting_config`` ...) is made of them;
``config_file`` reads a file into it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from concord.engine.flows import Gathering

__all__ = ["PsaErpSystems", "Settle", "Strict", "Text"]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class Strict(BaseModel):
    """Settings that refuse keys they do not know, and do not change once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PsaErpSystems(Strict):
    """The configured connectors that play each part (names as in concord.toml)."""

    psa: Text = "kantata"
    erp: Text = "netsuite"


class Settle(Strict):
    """How long a burst of changes settles before the flow acts on it."""

    quiet_s: float = Field(default=5.0, ge=0, le=3600)
    max_wait_s: float = Field(default=60.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _order(self) -> Settle:
        if self.max_wait_s < self.quiet_s:
            raise ValueError(f"max_wait_s ({self.max_wait_s}) must be at least quiet_s ({self.quiet_s})")
        return self

    def gathering(self) -> Gathering:
        """How a flow's instances wait for a burst to settle."""
        return Gathering(quiet_s=self.quiet_s, max_wait_s=self.max_wait_s)
