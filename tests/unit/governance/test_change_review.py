"""Reviewing one change against authority and memory: echo, refusal, two-way, stale, stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from concord.domain.messages import Change
from concord.engine.gates import RememberedRecord
from concord.governance.authority import parse_authority
from concord.governance.fingerprint import digest
from concord.governance.golden import GOLDEN
from concord.governance.notices import authority_exception
from concord.governance.review import ECHO, GOVERNED, RECORDED, STALE, UNCHANGED, review_change

MATRIX = parse_authority(
    """
systems: {crm: salesforce, erp: netsuite}
objects:
  Customer:
    owner: crm
    fields:
      name: [crm, erp]
      payment_terms: erp
      currency: erp
  Opportunity:
    owner: crm
    lifecycle:
      field: stage
      stages: {open: [], contracted: [Closed Won]}
    fields:
      amount: [{owner: crm, until: contracted}, {owner: erp}]
"""
)
GID = "01J9Z3K6T8V2M4N5P7Q8R9S0TA"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Memory:
    """The two memories a review reads and updates, kept across changes like the store keeps them."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], RememberedRecord] = {}

    def of(self, system: str, object_type: str = "Customer") -> RememberedRecord:
        return self.rows.setdefault((system, object_type), RememberedRecord(system, object_type, GID))

    def review(self, system: str, seconds: int, object_type: str = "Customer", **fields: Any) -> Any:
        payload = {"global_id": GID, "system_ids": {system: "X1"}, "source_system": system, **fields}
        change = Change(system, object_type, "X1", payload, T0 + timedelta(seconds=seconds), str(seconds))
        return change, review_change(
            MATRIX, change, payload, self.of(system, object_type), self.of(GOLDEN, object_type)
        )

    def golden(self, field: str, object_type: str = "Customer") -> Any:
        return self.of(GOLDEN, object_type).seen[field]["v"]


ACME = {"name": "Acme", "payment_terms": "Net 30", "segment": "Enterprise"}


def test_first_sight_is_news_and_sets_the_golden_record() -> None:
    memory = Memory()
    _, review = memory.review("salesforce", 1, **ACME)
    assert review.outcome == RECORDED and review.refused == []
    assert memory.golden("payment_terms") == "Net 30"  # a non-owner's value is the initial value
    assert memory.of(GOLDEN).seen["payment_terms"]["by"] == "salesforce"
    _, again = memory.review("netsuite", 2, **ACME)
    assert again.outcome == UNCHANGED  # the owner agrees: nothing new to propagate
    assert memory.of(GOLDEN).seen["payment_terms"]["by"] == "netsuite"


def test_a_non_owner_change_is_refused_and_the_event_would_carry_the_owners_value() -> None:
    memory = Memory()
    memory.review("salesforce", 1, **ACME)
    change, review = memory.review("salesforce", 2, **{**ACME, "payment_terms": "Net 60"})
    assert review.outcome == GOVERNED
    [refusal] = review.refused
    assert (refusal.field, refusal.value, refusal.owners) == (
        "payment_terms",
        "Net 60",
        frozenset({"netsuite"}),
    )
    _, with_news = memory.review("salesforce", 3, **{**ACME, "payment_terms": "Net 60", "segment": "SMB"})
    assert with_news.outcome == RECORDED and with_news.refused == []  # reported once, not again
    assert with_news.payload["payment_terms"] == "Net 30" and with_news.payload["segment"] == "SMB"
    draft = authority_exception(change, change.payload, review.refused)
    assert draft.message == (
        "Customer 'Acme' payment terms changed in Salesforce, but NetSuite owns payment terms; "
        "change not propagated."
    )


def test_a_non_owner_without_a_value_contradicts_nothing() -> None:
    memory = Memory()
    memory.review("netsuite", 1, **ACME)
    _, review = memory.review("netsuite", 2, **{**ACME, "segment": None})
    assert (review.outcome, review.refused) == (UNCHANGED, [])
    assert memory.golden("segment") == "Enterprise"


def test_what_concord_wrote_comes_back_as_an_echo_once() -> None:
    memory = Memory()
    memory.review("salesforce", 1, **ACME)
    netsuite = memory.of("netsuite")
    netsuite.written = {name: {"d": digest(value), "c": "C1"} for name, value in ACME.items()}
    _, review = memory.review("netsuite", 2, **ACME)
    assert review.outcome == ECHO and netsuite.written == {}
    # A person later sets the value Concord once wrote: that is not an echo any more.
    memory.review("netsuite", 3, **{**ACME, "name": "Acme Ltd"})
    _, back = memory.review("netsuite", 4, **ACME)
    assert back.outcome == RECORDED


def test_two_way_the_latest_change_at_its_source_wins() -> None:
    memory = Memory()
    memory.review("salesforce", 1, **ACME)
    _, newer = memory.review("netsuite", 10, **{**ACME, "name": "ACME Inc."})
    _, older = memory.review("salesforce", 5, **{**ACME, "name": "Acme Corp"})
    assert (newer.outcome, older.outcome) == (RECORDED, STALE)
    assert memory.golden("name") == "ACME Inc."


def test_an_older_version_from_the_same_system_is_stale() -> None:
    memory = Memory()
    memory.review("salesforce", 5, **{**ACME, "segment": "SMB"})
    _, late = memory.review("salesforce", 3, **ACME)
    assert late.outcome == STALE and memory.golden("segment") == "SMB"


def test_ownership_follows_the_stage_the_record_was_in_before_the_change() -> None:
    memory = Memory()
    deal = {
        "name": "Globex rollout",
        "stage": "Negotiation",
        "amount": {"amount": "100.00", "currency": "USD"},
    }
    memory.review("salesforce", 1, "Opportunity", **deal)
    won = {**deal, "stage": "Closed Won", "amount": {"amount": "120.00", "currency": "USD"}}
    _, closing = memory.review("salesforce", 2, "Opportunity", **won)
    assert closing.outcome == RECORDED and closing.refused == []  # the CRM still owned it while closing
    later = {**won, "amount": {"amount": "130.00", "currency": "USD"}}
    _, after = memory.review("salesforce", 3, "Opportunity", **later)
    assert [r.field for r in after.refused] == ["amount"]  # contracted: the ERP's now
    _, erp = memory.review(
        "netsuite", 4, "Opportunity", **{**won, "amount": {"amount": "125.00", "currency": "USD"}}
    )
    assert erp.outcome == RECORDED and memory.golden("amount", "Opportunity")["amount"] == "125.00"


def test_several_refused_fields_make_one_message_naming_each_owner() -> None:
    memory = Memory()
    memory.review("netsuite", 1, **{**ACME, "currency": "USD"})
    change, review = memory.review("salesforce", 2, **{**ACME, "payment_terms": "Net 60", "currency": "EUR"})
    draft = authority_exception(change, change.payload, review.refused)
    assert draft.message == (
        "Customer 'Acme' payment terms and currency changed in Salesforce, but NetSuite owns payment terms "
        "and currency; changes not propagated."
    )
    assert draft.category == "authority" and draft.business_key == f"Customer:{GID}"
