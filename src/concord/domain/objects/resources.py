"""The people who deliver and what the firm sells them at: resources, service offerings and rate cards."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from concord.domain.hours import Hours
from concord.domain.money import Money
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import PricingModel
from concord.domain.objects.rules import business_rule, check_non_negative, check_period, check_week_hours
from concord.domain.objects.types import Code, Email, ExternalId, GlobalId, Name

__all__ = ["RateCard", "RateCardEntry", "Resource", "ServiceOffering"]


class Resource(CanonicalRecord):
    """A consultant or other person who can be assigned to projects."""

    SCHEMA_NAME: ClassVar[str] = "Resource"
    SCHEMA_VERSION: ClassVar[int] = 1

    employee_id: ExternalId
    """The employee id in the HR system."""
    name: Name
    email: Email | None = None
    role: Name
    """E.g. "Senior Consultant"; rate cards price roles."""
    home_legal_entity_code: Code
    """The legal entity that employs the resource."""
    cost_center: Name | None = None
    cost_rate: Money | None = None
    """Internal cost of one hour."""
    capacity_hours_per_week: Hours
    manager_id: GlobalId | None = None
    """Global id of the resource's manager (another Resource)."""
    active: bool = True

    @model_validator(mode="after")
    def _rules(self) -> Resource:
        check_week_hours(self.capacity_hours_per_week, f"capacity of {self.name}")
        check_non_negative(self.cost_rate, f"cost rate of {self.name}")
        if self.manager_id == self.global_id:
            raise business_rule(f"{self.name} cannot be their own manager.")
        return self


class ServiceOffering(CanonicalRecord):
    """Something the firm sells, in a service line, delivered from a project template."""

    SCHEMA_NAME: ClassVar[str] = "ServiceOffering"
    SCHEMA_VERSION: ClassVar[int] = 1

    code: Code
    name: Name
    service_line: Name
    delivery_template: Name | None = None
    """The PSA project template a contracted deal of this offering is created from."""
    pricing_models: tuple[PricingModel, ...] = ()
    """The pricing models the offering is sold with."""
    active: bool = True


class RateCardEntry(ValueObject):
    """The bill rate of one role in one currency."""

    role: Name
    rate: Money
    """Bill rate for one hour."""


class RateCard(CanonicalRecord):
    """Bill rates per role and currency for a service line, valid between two dates."""

    SCHEMA_NAME: ClassVar[str] = "RateCard"
    SCHEMA_VERSION: ClassVar[int] = 1

    code: Code
    name: Name
    service_line: Name
    effective_from: date
    effective_to: date | None = None
    """Last day the rates apply; None while the card is current."""
    rates: tuple[RateCardEntry, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _rules(self) -> RateCard:
        check_period(self.effective_from, self.effective_to, f"Rate card {self.code}")
        seen: set[tuple[str, str]] = set()
        for entry in self.rates:
            check_non_negative(entry.rate, f"rate of {entry.role} on rate card {self.code}")
            key = (entry.role.casefold(), entry.rate.currency)
            if key in seen:
                raise business_rule(
                    f"Rate card {self.code} lists more than one {entry.rate.currency} rate "
                    f"for {entry.role!r}."
                )
            seen.add(key)
        return self

    def rate_for(self, role: str, currency: str) -> Money | None:
        """The bill rate of `role` in `currency` (role names compare case-insensitively), or None."""
        wanted = role.casefold()
        for entry in self.rates:
            if entry.role.casefold() == wanted and entry.rate.currency == currency:
                return entry.rate
        return None

    def is_effective_on(self, day: date) -> bool:
        """Whether the card's rates apply on `day`."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)
