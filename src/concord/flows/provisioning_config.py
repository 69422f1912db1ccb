"""How won deals become projects (opportunity-to-project), as configuration: which CRM stages mean
contracted, which legal entity contracts in each sales region, how each pricing model is billed and
recognised, and the delivery template of each service line (its phases, each closing with a milestone).

It is data, a YAML file (``provisioning.yaml`` beside this module is the shipped default; point
``provisioning`` in concord.toml at your own). A file that cannot be used is refused at start-up with every
problem as ``file:line: what is wrong; how to fix it``. Which ERP subsidiary a legal entity books in is
the ERP connector's business (its reference table, e.g. ``netsuite_subsidiary_id``), not this file's.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from concord.domain.objects import BillingFrequency, RecognitionBasis
from concord.flows.config_file import load_config_file
from concord.settings import SHIPPED_PROVISIONING

__all__ = [
    "SHIPPED_PROVISIONING",
    "DeliveryTemplate",
    "Phase",
    "ProvisioningConfig",
    "SubscriptionTerm",
    "Systems",
    "load_provisioning",
]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
FIXED_FEE_REVENUE = (RecognitionBasis.MILESTONE_ACCEPTANCE, RecognitionBasis.PERCENT_COMPLETE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Systems(_Strict):
    """The configured connectors that play each part (names as in concord.toml)."""

    crm: Text = "salesforce"
    psa: Text = "kantata"
    erp: Text = "netsuite"


class Phase(_Strict):
    """One phase of a delivery template; it closes with a milestone."""

    name: Text
    weeks: int = Field(ge=1, le=520)
    """How long the phase runs; phases follow one another from the project's start."""
    milestone: Text
    """The milestone that closes the phase (fixed fees are billed on it)."""
    fee_percent: Decimal | None = Field(default=None, ge=0, le=100)
    """The share of a fixed fee billed on this milestone."""


class SubscriptionTerm(_Strict):
    """How a subscription or managed service sold on this template is billed."""

    frequency: BillingFrequency = BillingFrequency.MONTHLY
    periods: int = Field(ge=1, le=120)
    """How many billing periods the contract runs."""


class DeliveryTemplate(_Strict):
    """The project structure a service line's deals are delivered with."""

    code: Text
    """The template's name in the PSA and on the project (e.g. TPL-IMPL-STD)."""
    phases: tuple[Phase, ...] = Field(min_length=1)
    subscription: SubscriptionTerm | None = None
    """The term of subscription deals; without it, a subscription deal on this template is refused."""

    @model_validator(mode="after")
    def _milestones(self) -> DeliveryTemplate:
        names = [phase.milestone.casefold() for phase in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("two phases close with the same milestone; give each phase its own milestone")
        shares = [phase.fee_percent for phase in self.phases if phase.fee_percent is not None]
        if shares and len(shares) != len(self.phases):
            raise ValueError("give every phase a fee_percent, or none (then fixed-fee deals are refused)")
        if shares and sum(shares) != 100:
            raise ValueError(f"the fee_percent of the phases add up to {sum(shares)}, not 100")
        return self

    @property
    def bills_fixed_fees(self) -> bool:
        """Whether the template says how a fixed fee is split over its milestones."""
        return all(phase.fee_percent is not None for phase in self.phases)


class ProvisioningConfig(_Strict):
    """Opportunity-to-project's configuration (domain.md §3.1)."""

    systems: Systems = Systems()
    contracted_stages: tuple[Text, ...] = Field(default=("Closed Won",), min_length=1)
    """CRM stages that mean the deal is contracted; reaching one starts provisioning."""
    regions: dict[Text, Text] = Field(default_factory=dict)
    """CRM sales region → the code of the legal entity that contracts there."""
    time_and_materials_billing: BillingFrequency = BillingFrequency.MONTHLY
    fixed_fee_revenue: RecognitionBasis = RecognitionBasis.MILESTONE_ACCEPTANCE
    delivery_templates: dict[Text, DeliveryTemplate] = Field(default_factory=dict)
    """Service line → its delivery template."""
    provision_from: date | None = None
    """Deals that closed before this day were provisioned by whatever ran before Concord: left alone."""

    @model_validator(mode="after")
    def _revenue(self) -> ProvisioningConfig:
        if self.fixed_fee_revenue not in FIXED_FEE_REVENUE:
            allowed = " or ".join(basis.value for basis in FIXED_FEE_REVENUE)
            raise ValueError(
                f"fixed_fee_revenue is recognised by {allowed}, not {self.fixed_fee_revenue.value}"
            )
        return self

    def is_contracted(self, stage: object) -> bool:
        """Whether a CRM stage means contracted."""
        return isinstance(stage, str) and stage in self.contracted_stages

    def is_ours(self, close_date: object) -> bool:
        """Whether a deal that closed on ``close_date`` is Concord's to provision (see ``provision_from``)."""
        if self.provision_from is None:
            return True
        try:
            return date.fromisoformat(str(close_date)) >= self.provision_from
        except ValueError:
            return True  # a deal without a readable close date is checked (and refused) by the flow

    def template_for(self, service_line: str | None) -> DeliveryTemplate | None:
        """The delivery template of a service line, or None."""
        return None if service_line is None else self.delivery_templates.get(service_line)


def load_provisioning(path: Path | None = None) -> ProvisioningConfig:
    """The configuration in ``path`` (the shipped one by default).

    Raises:
        ConfigError: the file cannot be used; the message lists every problem with its line and fix.
    """
    return load_config_file(ProvisioningConfig, path or SHIPPED_PROVISIONING, "provisioning configuration")
