"""What a business rule found wrong, in words a finance or delivery person reads, with the records behind it.

The rule modules (time posting, billing, revenue, change orders, reconciliation) return `Finding`s rather
than raising, so a flow can park each one in the exception queue (domain.md §4) and let the rest flow on.
A finding carries the exception category, the sentence, and references to the records it is about, with
their ids in every system, so the control tower can drill down.

`Systems` says which configured systems play the PSA, ERP and CRM parts and what to call them in
sentences ("closed in NetSuite"); the domain itself knows no platform.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from concord.domain.money import canonical_decimal

if TYPE_CHECKING:
    from concord.domain.objects.base import CanonicalRecord

__all__ = ["Finding", "FindingCategory", "RecordRef", "Systems", "format_hours", "iso", "quoted"]


class FindingCategory(StrEnum):
    """Exception categories of domain.md §4; the values are the exception queue's, one for one."""

    VALIDATION = "validation"
    MAPPING = "mapping"
    AUTHORITY = "authority"
    TARGET_REJECTED = "target_rejected"
    TARGET_UNAVAILABLE = "target_unavailable"
    CONFLICT = "conflict"
    """Two systems (or two records) disagree about the same business fact."""
    COMPENSATION = "compensation"


@dataclass(frozen=True, slots=True)
class Systems:
    """Which configured systems are the PSA, the ERP and the CRM, and their names in sentences.

    Flows pass the configured ones, e.g. `Systems(psa="kantata", psa_name="Kantata", erp="netsuite",
    erp_name="NetSuite", crm="salesforce", crm_name="Salesforce")`.
    """

    psa: str = "psa"
    psa_name: str = "the PSA"
    erp: str = "erp"
    erp_name: str = "the ERP"
    crm: str = "crm"
    crm_name: str = "the CRM"

    def name_of(self, system: str) -> str:
        """The name of `system` in sentences (the configured one for the PSA, ERP and CRM)."""
        names = {self.psa: self.psa_name, self.erp: self.erp_name, self.crm: self.crm_name}
        return names.get(system, system)


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A pointer to one business record: its object type, global id and ids in each system."""

    object_type: str
    global_id: str | None = None
    system_ids: tuple[tuple[str, str], ...] = ()
    """(system, id) pairs, sorted by system."""
    label: str | None = None
    """How the record is named in the message, e.g. "TE-20931" or "'Globex ERP rollout'"."""

    @classmethod
    def of(cls, record: CanonicalRecord, label: str | None = None) -> RecordRef:
        """A reference to a canonical record, with its cross-reference ids."""
        return cls(record.SCHEMA_NAME, record.global_id, tuple(sorted(record.system_ids.items())), label)

    @classmethod
    def to(
        cls, object_type: str, global_id: str | None, system_ids: Mapping[str, str] | None = None
    ) -> RecordRef:
        """A reference to a record known only by ids."""
        return cls(object_type, global_id, tuple(sorted((system_ids or {}).items())))

    def id_in(self, system: str) -> str | None:
        """The record's id in `system`, if known."""
        return dict(self.system_ids).get(system)


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule or one disagreement, for the exception queue or a reconciliation report."""

    category: FindingCategory
    rule: str
    """Stable machine name of the rule, e.g. "time.project_closed_in_erp"; for filters and counts."""
    message: str
    """The whole sentence, in business words."""
    subject: RecordRef
    """The business record the finding is about."""
    related: tuple[RecordRef, ...] = ()
    """Other records to drill down to (the project, the contract, the duplicate copies ...)."""
    facts: tuple[tuple[str, str], ...] = field(default=())
    """Figures behind the sentence as (name, value) strings, for the technical detail of an exception."""


def format_hours(hours: Decimal) -> str:
    """Hours as people write them: 7.5, 8, 0.25 (no trailing zeros)."""
    return canonical_decimal(hours)


def quoted(text: str) -> str:
    """A name in single quotes, as domain.md writes them ('Globex ERP rollout')."""
    return f"'{text}'"


def iso(day: date) -> str:
    """A day as 2026-03-12."""
    return day.isoformat()
