"""Who the firm is and who it works for: legal entities, customers and their contacts."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from concord.domain.money import CurrencyCode
from concord.domain.objects.base import CanonicalRecord, ValueObject
from concord.domain.objects.enums import ContactRole
from concord.domain.objects.rules import business_rule
from concord.domain.objects.types import Code, CountryCode, Email, ExternalId, GlobalId, Name

__all__ = ["Address", "Contact", "Customer", "LegalEntity", "TaxProfile"]


class Address(ValueObject):
    """A postal address."""

    lines: tuple[Name, ...] = Field(min_length=1, max_length=4)
    """Street lines, one to four."""
    city: Name
    postal_code: ExternalId | None = None
    region: Name | None = None
    """State, county or province, where the country uses one."""
    country: CountryCode


class TaxProfile(ValueObject):
    """How a customer is taxed."""

    tax_id: ExternalId | None = None
    """VAT number, EIN or equivalent registration."""
    tax_regime: Name | None = None
    """E.g. "EU reverse charge", "US sales tax"."""
    exempt: bool = False
    """Whether the customer is exempt from tax (then no tax id is needed)."""

    @model_validator(mode="after")
    def _tax_id_unless_exempt(self) -> TaxProfile:
        if self.tax_id is None and not self.exempt:
            raise business_rule("A tax profile needs a tax id unless the customer is tax exempt.")
        return self


class LegalEntity(CanonicalRecord):
    """A company of the firm that contracts, invoices and keeps books (an ERP subsidiary)."""

    SCHEMA_NAME: ClassVar[str] = "LegalEntity"
    SCHEMA_VERSION: ClassVar[int] = 1

    code: Code
    """The firm's short code for the entity, e.g. US01; regions and records refer to it."""
    name: Name
    country: CountryCode
    functional_currency: CurrencyCode
    """The currency its books are kept in."""
    erp_subsidiary_id: ExternalId | None = None
    """Its subsidiary id in the ERP."""
    tax_regime: Name | None = None


class Customer(CanonicalRecord):
    """A client of the firm: the master the CRM and the ERP share under the authority matrix."""

    SCHEMA_NAME: ClassVar[str] = "Customer"
    SCHEMA_VERSION: ClassVar[int] = 1

    name: Name
    billing_address: Address | None = None
    tax_profile: TaxProfile | None = None
    currency: CurrencyCode | None = None
    """The currency the customer is invoiced in."""
    payment_terms: Name | None = None
    """E.g. "Net 30"."""
    legal_entity_code: Code | None = None
    """The legal entity that contracts with the customer."""
    segment: Name | None = None
    region: Name | None = None

    def master_data_gaps(self) -> tuple[str, ...]:
        """What the customer master still lacks before a deal can be provisioned (domain.md §3.1)."""
        gaps = []
        if self.billing_address is None:
            gaps.append("billing address")
        if self.tax_profile is None:
            gaps.append("tax profile")
        if self.currency is None:
            gaps.append("currency")
        return tuple(gaps)


class Contact(CanonicalRecord):
    """A person at a customer."""

    SCHEMA_NAME: ClassVar[str] = "Contact"
    SCHEMA_VERSION: ClassVar[int] = 1

    customer_id: GlobalId
    name: Name
    email: Email | None = None
    roles: tuple[ContactRole, ...] = ()
    """What the contact is for (billing, sponsor); each role once."""

    @model_validator(mode="after")
    def _roles_once(self) -> Contact:
        if len(set(self.roles)) != len(self.roles):
            raise business_rule(f"Contact {self.name!r} lists the same role more than once.")
        return self
