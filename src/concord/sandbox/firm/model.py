"""The generated firm as plain data: what each system holds before Concord is switched on.

Every record has a stable ``key`` (``A-0001``, ``E-00042``, ``T-000123``...) chosen by the generator; the
loader maps keys to the ids each platform assigns. Money is ``Decimal`` in the record's currency; time
is whole minutes (Kantata's unit), with ``hours`` derived exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from concord.domain.objects.enums import PricingModel, ProjectStatus, TimeEntryStatus

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class LegalEntity:
    """A legal entity (NetSuite subsidiary) and the CRM region it serves."""

    code: str
    name: str
    country: str
    currency: str
    region: str


@dataclass(frozen=True)
class Role:
    """A delivery role (Kantata role, CRM line item role)."""

    key: str
    name: str
    level: int


@dataclass(frozen=True)
class RateCardVersion:
    """Bill rates per role from ``effective`` on."""

    effective: date
    default_rate: Decimal
    rates: tuple[tuple[str, Decimal], ...]

    def rate_for(self, role_key: str) -> Decimal:
        """The bill rate of ``role_key`` (the default rate when the role is not listed)."""
        return dict(self.rates).get(role_key, self.default_rate)


@dataclass(frozen=True)
class RateCard:
    """A rate card of one currency, with its versions in effective-date order."""

    key: str
    title: str
    currency: str
    versions: tuple[RateCardVersion, ...]

    def version_on(self, day: date) -> RateCardVersion:
        """The version in force on ``day`` (the first one before any version starts)."""
        current = self.versions[0]
        for version in self.versions:
            if version.effective <= day:
                current = version
        return current


@dataclass(frozen=True)
class Employee:
    """A consultant: a Kantata user and a NetSuite employee (``number`` is the HR employee id)."""

    number: str
    first_name: str
    last_name: str
    email: str
    role_key: str
    entity_code: str
    cost_center: str
    cost_rate: Decimal
    capacity_hours: int
    manager: str | None

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Address:
    """A billing address."""

    street: str
    city: str
    state: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class Account:
    """A CRM account (customer or prospect)."""

    key: str
    name: str
    industry: str
    segment: str
    region: str
    currency: str
    billing: Address
    phone: str
    website: str
    tax_id: str | None
    tax_profile: str | None
    customer: bool


@dataclass(frozen=True)
class Contact:
    """A CRM contact of an account."""

    key: str
    account_key: str
    first_name: str
    last_name: str
    email: str
    title: str


@dataclass(frozen=True)
class LineItem:
    """An opportunity line: a role's hours at a rate, or a subscription's months at a monthly fee."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    role_key: str | None

    @property
    def total(self) -> Decimal:
        """Quantity times unit price, rounded half-up to the cent."""
        return (self.quantity * self.unit_price).quantize(_CENT)


@dataclass(frozen=True)
class Opportunity:
    """A CRM opportunity with its line items."""

    key: str
    account_key: str
    name: str
    stage: str
    close_date: date
    currency: str
    service_line: str
    region: str
    pricing_model: PricingModel
    expected_start: date
    delivery_template: str
    lead_source: str
    line_items: tuple[LineItem, ...]

    @property
    def amount(self) -> Decimal:
        """The sum of the rounded line totals."""
        return sum((line.total for line in self.line_items), Decimal(0))


@dataclass(frozen=True)
class ErpCustomer:
    """A NetSuite customer created by hand before Concord: its name may differ from the CRM's."""

    account_key: str
    name: str
    entity_code: str
    currency: str
    email: str


@dataclass(frozen=True)
class AccountingPeriod:
    """A NetSuite accounting period: a year, a quarter or a month (the posting periods)."""

    key: str
    name: str
    start: date
    end: date
    kind: str
    parent_key: str | None
    closed: bool


@dataclass(frozen=True)
class Task:
    """A Kantata story of a project: a milestone (fixed fee) or a task."""

    key: str
    title: str
    story_type: str
    start: date
    due: date
    completed: bool


@dataclass(frozen=True)
class Project:
    """A project provisioned by hand in Kantata for a won opportunity (a legacy project)."""

    key: str
    opportunity_key: str
    title: str
    currency: str
    rate_card_key: str
    pricing_model: PricingModel
    price: Decimal
    start: date
    due: date
    status: ProjectStatus
    team: tuple[str, ...]
    lead: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class TimeEntry:
    """A Kantata time entry; ``submission`` is the key of the timesheet it is submitted on."""

    key: str
    project_key: str
    employee: str
    work_date: date
    minutes: int
    billable: bool
    rate: Decimal
    notes: str
    status: TimeEntryStatus
    submission: str | None

    @property
    def hours(self) -> Decimal:
        """The minutes as hours, to two places."""
        return (Decimal(self.minutes) / 60).quantize(_CENT)


@dataclass(frozen=True)
class Submission:
    """A Kantata timesheet submission: one employee's entries of one project, pending or approved."""

    key: str
    project_key: str
    employee: str
    title: str
    entries: tuple[str, ...]
    approved: bool


@dataclass(frozen=True)
class EntryEdit:
    """An approved entry that was rejected, edited and approved again (changed after approval)."""

    entry_key: str
    submission_key: str
    edited_minutes: int
    reason: str


class DirtyKind(StrEnum):
    """The dirty cases of a real firm (domain.md §7), each planted on purpose."""

    CUSTOMER_WITHOUT_TAX_PROFILE = "customer_without_tax_profile"
    REGION_WITHOUT_LEGAL_ENTITY = "region_without_legal_entity"
    TIME_ON_CLOSED_PROJECT = "time_on_closed_project"
    DUPLICATE_SUBMISSION = "duplicate_submission"
    EDITED_AFTER_APPROVAL = "edited_after_approval"
    RATE_CARD_CHANGED_MID_MONTH = "rate_card_changed_mid_month"


@dataclass(frozen=True)
class DirtyCase:
    """One planted dirty case.

    Attributes:
        kind: What is wrong.
        system: Where it lives (``salesforce``, ``kantata``).
        subject: The record type that carries it (``Opportunity``, ``TimeEntry``, ``RateCard``).
        key: Generator key of that record.
        related: Generator keys of the other records involved (account, project, duplicate...).
        description: The case in business words.
    """

    kind: DirtyKind
    system: str
    subject: str
    key: str
    related: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Firm:
    """A whole generated firm: reference data, CRM, PSA and ERP contents and the dirty-case manifest."""

    size: str
    seed: int
    as_of: date
    legal_entities: tuple[LegalEntity, ...]
    roles: tuple[Role, ...]
    rate_cards: tuple[RateCard, ...]
    employees: tuple[Employee, ...]
    accounts: tuple[Account, ...]
    contacts: tuple[Contact, ...]
    opportunities: tuple[Opportunity, ...]
    erp_customers: tuple[ErpCustomer, ...]
    periods: tuple[AccountingPeriod, ...]
    projects: tuple[Project, ...]
    time_entries: tuple[TimeEntry, ...]
    submissions: tuple[Submission, ...]
    edits: tuple[EntryEdit, ...]
    manifest: tuple[DirtyCase, ...]

    def counts(self) -> dict[str, int]:
        """How many records of each kind the firm has."""
        return {
            "legal_entities": len(self.legal_entities),
            "roles": len(self.roles),
            "rate_cards": len(self.rate_cards),
            "employees": len(self.employees),
            "accounts": len(self.accounts),
            "contacts": len(self.contacts),
            "opportunities": len(self.opportunities),
            "line_items": sum(len(o.line_items) for o in self.opportunities),
            "erp_customers": len(self.erp_customers),
            "accounting_periods": len(self.periods),
            "projects": len(self.projects),
            "tasks": sum(len(p.tasks) for p in self.projects),
            "time_entries": len(self.time_entries),
            "submissions": len(self.submissions),
            "dirty_cases": len(self.manifest),
        }
