"""A ledger posting as the posting flows (time to ERP, expenses to ERP) plan and keep it: the canonical
posting with the content key it was built from, as ``concord.domain.posting_lines.plan_postings`` compares
them. A posting once sent is never edited: it is reversed (a posting of opposite sign that names it) or
sent again under a later generation of its key. ``plan_sending`` says what to send, and what will have been
sent then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar, Generic, Self, TypeVar

from concord.domain.keys import stable_id
from concord.domain.objects import ExpensePosting, TimePosting
from concord.domain.periods import AccountingCalendar
from concord.domain.posting_lines import PostingDimensions, plan_postings

__all__ = ["SendPlan", "SentPosting", "clip", "dimension_fields", "plan_sending"]

P = TypeVar("P", TimePosting, ExpensePosting)


@dataclass(frozen=True, slots=True)
class SentPosting(Generic[P]):
    """A posting as ``plan_postings`` plans it, with the content key it was built from."""

    ID_SPACE: ClassVar[str]
    """What the postings' global ids are derived in (``stable_id``), apart from other records'."""

    posting: P
    content_key: str

    @classmethod
    def posting_id(cls, key: str, on: date) -> str:
        """The global id of the posting keyed ``key`` on ``on``."""
        return stable_id(cls.ID_SPACE, key, on=on)

    @property
    def key(self) -> str:
        return self.posting.posting_key

    @property
    def posting_date(self) -> date:
        return self.posting.posting_date

    @property
    def reverses(self) -> str | None:
        return self.posting.reverses

    def reversal(self, on: date) -> Self:
        """The posting that undoes this one, on ``on``: its amounts with the opposite sign (``negated``)."""
        p = self.posting
        key = f"{p.posting_key}-rev"
        reversed_posting = p.replace(
            global_id=self.posting_id(key, on),
            posting_key=key,
            reverses=p.posting_key,
            summary=clip(f"Reversal of {p.summary}"),
            posting_date=on,
            redated_from=None,
            **self.negated(),
        )
        return replace(self, posting=reversed_posting, content_key=key)

    def negated(self) -> dict[str, object]:
        """The posting's amounts with the opposite sign, as changes to it."""
        raise NotImplementedError

    def with_key(self, key: str) -> Self:
        """The same posting under another key (a later generation of the same content)."""
        moved = self.posting.replace(global_id=self.posting_id(key, self.posting_date), posting_key=key)
        return replace(self, posting=moved)


def clip(text: str) -> str:
    """A posting's summary, cut to at most 250 characters."""
    return text if len(text) <= 250 else text[:247] + "..."


S = TypeVar("S", bound=SentPosting[Any])


@dataclass(frozen=True, slots=True)
class SendPlan(Generic[S]):
    """What to send: reversals first, then new postings; and every posting sent so far, afterwards."""

    to_send: tuple[S, ...]
    sent: tuple[S, ...]


def plan_sending(desired: Sequence[S], sent_before: Sequence[S], calendar: AccountingCalendar) -> SendPlan[S]:
    """The reversals and postings that make the ERP hold exactly the ``desired`` postings, given those sent
    before (``plan_postings``).

    Raises:
        ValueError: when a reversal is needed and no open ERP period can take it.
    """
    plan = plan_postings(desired, sent_before, calendar)
    return SendPlan(plan.to_send, (*sent_before, *plan.to_send))


def dimension_fields(dims: PostingDimensions) -> dict[str, object]:
    """Where a posting lands in the ledger, as the canonical posting's fields (the ERP subsidiary of the
    legal entity is the mapping's business)."""
    return {
        "legal_entity_code": dims.legal_entity_code,
        "project_id": dims.project_id,
        "resource_id": dims.resource_id,
        "employee_id": dims.employee_id,
        "cost_center": dims.cost_center,
        "service_line": dims.service_line,
        "billable": dims.billable,
    }
