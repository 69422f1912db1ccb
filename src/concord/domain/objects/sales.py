"""Deals being won in the CRM: opportunities and their line items."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import model_validator

from concord.domain.hours import Hours
from concord.domain.money import CurrencyCode, Money, line_amount
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import PricingModel
from concord.domain.objects.rules import check_non_negative, check_same_currency
from concord.domain.objects.types import GlobalId, Name

__all__ = ["Opportunity", "OpportunityLineItem"]


class OpportunityLineItem(ValueObject):
    """Estimated effort of one role on a deal; the project budget is built from these."""

    role: Name
    hours: Hours
    rate: Money
    """Bill rate for one hour."""

    @property
    def amount(self) -> Money:
        """Hours times rate, rounded half-up at the line."""
        return line_amount(self.hours, self.rate)


class Opportunity(CanonicalRecord):
    """A deal in the CRM. Reaching the contracted stage starts opportunity-to-project (domain.md §3.1)."""

    SCHEMA_NAME: ClassVar[str] = "Opportunity"
    SCHEMA_VERSION: ClassVar[int] = 1

    customer_id: GlobalId
    name: Name
    stage: Name
    """The CRM stage as named there, e.g. "Closed Won"; which stage means contracted is configuration."""
    amount: Money
    currency: CurrencyCode
    close_date: date
    service_line: Name | None = None
    region: Name | None = None
    """Sales region; configuration maps it to the legal entity that contracts."""
    pricing_model: PricingModel | None = None
    """None when the CRM does not say; provisioning then stops with an exception."""
    expected_start: date | None = None
    line_items: tuple[OpportunityLineItem, ...] = ()
    project_id: GlobalId | None = None
    """The delivery project provisioned from the deal, once it is contracted (written back to the CRM)."""
    contract_id: GlobalId | None = None
    """The contract (statement of work) made from the deal, once it is contracted."""

    @model_validator(mode="after")
    def _rules(self) -> Opportunity:
        owner = f"opportunity {self.name!r}"
        amounts = [("amount", self.amount)]
        amounts += [(f"rate of {item.role}", item.rate) for item in self.line_items]
        check_same_currency(amounts, self.currency, owner)
        check_non_negative(self.amount, f"amount of {owner}")
        for item in self.line_items:
            check_non_negative(item.rate, f"rate of {item.role} on {owner}")
        return self

    def line_items_total(self) -> Money:
        """Sum of the rounded line item amounts, in the opportunity's currency."""
        return Money.sum((item.amount for item in self.line_items), self.currency)
