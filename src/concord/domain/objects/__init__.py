"""The canonical business objects of domain.md §2: what flows see, whatever system a record came from.

Every record is a frozen pydantic model carrying the common envelope (`CanonicalRecord`); the value
objects inside records (lines, plans, addresses) are `ValueObject`s. References between records are
global ids, except legal entities, which are referred to by their code.
"""

from __future__ import annotations

from concord.domain.objects.base import ENVELOPE_FIELDS, CanonicalRecord, ValueObject
from concord.domain.objects.contracts import (
    BillingPlan,
    BillingPlanLine,
    ChangeOrder,
    Contract,
    PlannedMilestone,
    RevenuePlan,
)
from concord.domain.objects.delivery import Assignment, Milestone, Project, ProjectBudget
from concord.domain.objects.enums import (
    ALLOWED_BILLING_BASES,
    ALLOWED_RECOGNITION_BASES,
    ApprovalState,
    BillingBasis,
    BillingFrequency,
    ContactRole,
    ExpenseStatus,
    InvoiceLineKind,
    JournalSide,
    MilestoneStatus,
    PricingModel,
    ProjectStatus,
    RecognitionBasis,
    TimeEntryStatus,
)
from concord.domain.objects.expense_postings import ExpensePosting
from concord.domain.objects.finance import (
    AccountingPeriod,
    InvoiceEvent,
    InvoiceLine,
    JournalLine,
    PostedEntry,
    PurchaseCommitment,
    RevenueEvent,
    TimePosting,
)
from concord.domain.objects.parties import Address, Contact, Customer, LegalEntity, TaxProfile
from concord.domain.objects.resources import RateCard, RateCardEntry, Resource, ServiceOffering
from concord.domain.objects.rules import business_messages, check_entry_hours
from concord.domain.objects.sales import Opportunity, OpportunityLineItem
from concord.domain.objects.time_expense import ExpenseItem, TimeEntry

__all__ = [
    "ALLOWED_BILLING_BASES",
    "ALLOWED_RECOGNITION_BASES",
    "ENVELOPE_FIELDS",
    "AccountingPeriod",
    "Address",
    "ApprovalState",
    "Assignment",
    "BillingBasis",
    "BillingFrequency",
    "BillingPlan",
    "BillingPlanLine",
    "CanonicalRecord",
    "ChangeOrder",
    "Contact",
    "ContactRole",
    "Contract",
    "Customer",
    "ExpenseItem",
    "ExpensePosting",
    "ExpenseStatus",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceLineKind",
    "JournalLine",
    "JournalSide",
    "LegalEntity",
    "Milestone",
    "MilestoneStatus",
    "Opportunity",
    "OpportunityLineItem",
    "PlannedMilestone",
    "PostedEntry",
    "PricingModel",
    "Project",
    "ProjectBudget",
    "ProjectStatus",
    "PurchaseCommitment",
    "RateCard",
    "RateCardEntry",
    "RecognitionBasis",
    "Resource",
    "RevenueEvent",
    "RevenuePlan",
    "ServiceOffering",
    "TaxProfile",
    "TimeEntry",
    "TimeEntryStatus",
    "TimePosting",
    "ValueObject",
    "business_messages",
    "check_entry_hours",
]
