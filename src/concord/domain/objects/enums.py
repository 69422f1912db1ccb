"""The closed vocabularies of the canonical model, and which of them go together.

Values are lower-case snake case on the wire. Connectors map each platform's picklist values to these;
a platform value that maps to none of them is a mapping exception, not a new member.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "ALLOWED_BILLING_BASES",
    "ALLOWED_RECOGNITION_BASES",
    "ApprovalState",
    "BillingBasis",
    "BillingFrequency",
    "ContactRole",
    "ExpenseStatus",
    "InvoiceLineKind",
    "JournalSide",
    "MilestoneStatus",
    "PricingModel",
    "ProjectStatus",
    "RecognitionBasis",
    "TimeEntryStatus",
]


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        """The value as words, for messages ("on hold", "time and materials")."""
        return self.value.replace("_", " ")


class PricingModel(_Labelled):
    """How a deal is priced, which decides how it is billed and how its revenue is recognised."""

    TIME_AND_MATERIALS = "time_and_materials"
    FIXED_FEE = "fixed_fee"
    SUBSCRIPTION = "subscription"
    """Subscription or managed service: a fixed fee per period."""

    @property
    def bills_time(self) -> bool:
        """Whether approved billable time is invoiced as such (only time and materials)."""
        return self is PricingModel.TIME_AND_MATERIALS


class ProjectStatus(_Labelled):
    """Where a project is in its life; time is only posted to active projects."""

    PENDING = "pending"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class TimeEntryStatus(_Labelled):
    """Approval state of a time entry; only approved entries are posted."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ExpenseStatus(_Labelled):
    """Approval state of an expense item; only approved items are posted."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class MilestoneStatus(_Labelled):
    """Delivery state of a milestone; completion or acceptance triggers fixed-fee billing."""

    OPEN = "open"
    COMPLETE = "complete"
    ACCEPTED = "accepted"


class ApprovalState(_Labelled):
    """Approval state of a change order."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ContactRole(_Labelled):
    """What a customer contact is for."""

    BILLING = "billing"
    SPONSOR = "sponsor"
    OTHER = "other"


class BillingBasis(_Labelled):
    """What an invoice bills."""

    MILESTONE = "milestone"
    TIME_AND_MATERIALS_PERIOD = "time_and_materials_period"
    SUBSCRIPTION_PERIOD = "subscription_period"


class BillingFrequency(_Labelled):
    """Length of a billing period."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"


class RecognitionBasis(_Labelled):
    """When revenue is recognised."""

    AS_DELIVERED = "as_delivered"
    MILESTONE_ACCEPTANCE = "milestone_acceptance"
    PERCENT_COMPLETE = "percent_complete"
    STRAIGHT_LINE = "straight_line"


class InvoiceLineKind(_Labelled):
    """What one invoice line is for."""

    TIME = "time"
    EXPENSE = "expense"
    MILESTONE = "milestone"
    SUBSCRIPTION_FEE = "subscription_fee"
    ADJUSTMENT = "adjustment"


class JournalSide(_Labelled):
    """Side of a journal line."""

    DEBIT = "debit"
    CREDIT = "credit"


ALLOWED_BILLING_BASES: Final[Mapping[PricingModel, frozenset[BillingBasis]]] = MappingProxyType(
    {
        PricingModel.TIME_AND_MATERIALS: frozenset({BillingBasis.TIME_AND_MATERIALS_PERIOD}),
        PricingModel.FIXED_FEE: frozenset({BillingBasis.MILESTONE}),
        PricingModel.SUBSCRIPTION: frozenset({BillingBasis.SUBSCRIPTION_PERIOD}),
    }
)
"""Pricing model → the billing bases a contract with that model may use (domain.md §3.4)."""

ALLOWED_RECOGNITION_BASES: Final[Mapping[PricingModel, frozenset[RecognitionBasis]]] = MappingProxyType(
    {
        PricingModel.TIME_AND_MATERIALS: frozenset({RecognitionBasis.AS_DELIVERED}),
        PricingModel.FIXED_FEE: frozenset(
            {RecognitionBasis.MILESTONE_ACCEPTANCE, RecognitionBasis.PERCENT_COMPLETE}
        ),
        PricingModel.SUBSCRIPTION: frozenset({RecognitionBasis.STRAIGHT_LINE}),
    }
)
"""Pricing model → the revenue recognition bases it allows (domain.md §3.5)."""
