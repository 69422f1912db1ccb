"""The cross-reference service on both stores: resolving in any direction, linking, merging, matching."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from concord.cli.xref_cmd import xref_app
from concord.domain.matching import CustomerFacts
from concord.engine.crossref import GLOBAL, CrossReferenceService, MatchOutcome
from concord.engine.errors import Conflict, NotFound
from concord.storage.sql.store import SqlStore


class StepClock:
    """Each reading is a second after the previous one."""

    def __init__(self) -> None:
        self.at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    opened = SqlStore.open(store_url, partitions=8)
    yield opened
    opened.close()


@pytest.fixture
def xref(store: SqlStore) -> CrossReferenceService:
    return CrossReferenceService(store, StepClock())


def audit_actions(store: SqlStore) -> list[str]:
    with store.transaction() as tx:
        return [e["action"] for e in reversed(tx.audit.entries())]


def conflict_exceptions(store: SqlStore) -> list[dict[str, Any]]:
    with store.transaction() as tx:
        return tx.exceptions.list(category="conflict")


def test_a_reference_resolves_in_every_direction(xref: CrossReferenceService) -> None:
    gid = xref.ensure("salesforce", "Customer", "001A")
    xref.link(gid, "netsuite", "Customer", "812")
    assert xref.ensure("salesforce", "Customer", "001A") == gid
    assert xref.resolve("salesforce", "Customer", "001A", "netsuite") == "812"
    assert xref.resolve("netsuite", "Customer", "812", "salesforce") == "001A"
    assert xref.resolve("netsuite", "Customer", "812", GLOBAL) == gid
    assert xref.resolve(GLOBAL, "Customer", gid, "netsuite") == "812"
    assert xref.resolve(GLOBAL, "Customer", gid, GLOBAL) == gid
    assert xref.resolve("netsuite", "Customer", "812", "kantata") is None
    assert xref.resolve("netsuite", "Customer", "999", "salesforce") is None
    assert xref.resolve(GLOBAL, "Customer", "01J0000000000000000000NONE", "netsuite") is None
    assert xref.resolve("netsuite", "Project", "812", "salesforce") is None  # object types are apart
    assert xref.ids(gid) == {"salesforce": "001A", "netsuite": "812"}
    assert xref.system_id(gid, "netsuite", "Customer") == "812"
    assert xref.global_id("netsuite", "Customer", "812") == gid
    assert xref.global_id("netsuite", "Customer", "813") is None


def test_linking_twice_is_harmless_but_repointing_is_refused(xref: CrossReferenceService) -> None:
    acme = xref.ensure("salesforce", "Customer", "001A")
    globex = xref.ensure("salesforce", "Customer", "001B")
    xref.link(acme, "netsuite", "Customer", "812")
    xref.link(acme, "netsuite", "Customer", "812")
    with pytest.raises(Conflict, match="already linked to"):
        xref.link(globex, "netsuite", "Customer", "812")
    with pytest.raises(Conflict, match="already has Customer 812 in netsuite"):
        xref.link(acme, "netsuite", "Customer", "913")
    assert xref.ids(acme) == {"salesforce": "001A", "netsuite": "812"}
    assert xref.ids(globex) == {"salesforce": "001B"}
    # A merged id links to the entity it was merged into.
    psa = xref.ensure("kantata", "Customer", "K-1")
    xref.merge(acme, psa, "Customer", by="ana", reason="one company")
    xref.link(psa, "hubspot", "Customer", "H-9")
    assert xref.global_id("hubspot", "Customer", "H-9") == acme


def test_a_page_is_minted_once_and_read_back_in_one_query(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    page = [f"T-{n}" for n in range(200)]
    minted = xref.ensure_many("kantata", "TimeEntry", page[:120])
    again = xref.ensure_many("kantata", "TimeEntry", page)
    assert {k: again[k] for k in minted} == minted
    assert len(set(again.values())) == 200
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        found = xref.global_ids("kantata", "TimeEntry", [*page, "T-unknown"])
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)
    assert found == again
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_merging_keeps_the_old_id_resolving_and_is_audited(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    crm = xref.ensure("salesforce", "Customer", "001A")
    erp = xref.ensure("netsuite", "Customer", "812")
    merge = xref.merge(crm, erp, "Customer", by="ana", reason="same VAT number")
    assert merge is not None and merge.moved == {"netsuite": "812"}
    assert xref.canonical(erp) == crm
    assert xref.ids(erp) == {"salesforce": "001A", "netsuite": "812"}
    assert xref.system_id(erp, "salesforce", "Customer") == "001A"
    assert xref.resolve(GLOBAL, "Customer", erp, "netsuite") == "812"
    assert xref.global_id("netsuite", "Customer", "812") == crm
    assert xref.merge(crm, erp, "Customer", by="ana", reason="again") is None  # already one entity
    assert audit_actions(store) == ["xref.merge"]
    with store.transaction() as tx:
        entry = tx.audit.entries()[0]
        assert (entry["actor"], entry["subject"]) == ("ana", erp)
        assert entry["details"]["surviving"] == crm
        assert tx.audit.verify().ok
    # A later merge of the survivor carries its aliases along.
    psa = xref.ensure("kantata", "Customer", "K-7")
    xref.merge(psa, crm, "Customer", by="ben", reason="same customer")
    assert xref.canonical(erp) == psa
    assert xref.ids(erp) == {"salesforce": "001A", "netsuite": "812", "kantata": "K-7"}
    with store.transaction() as tx:
        assert {a["merged_global_id"] for a in tx.xref.aliases(erp)} == {crm, erp}


def test_merging_refuses_duplicates_in_one_system_and_unknown_ids(xref: CrossReferenceService) -> None:
    first = xref.ensure("netsuite", "Customer", "812")
    second = xref.ensure("netsuite", "Customer", "913")
    with pytest.raises(Conflict, match=r"both have a record in the same system \(netsuite: 812 and 913\)"):
        xref.merge(first, second, "Customer", by="ana", reason="looks alike")
    with pytest.raises(NotFound):
        xref.merge(first, "01J0000000000000000000NONE", "Customer", by="ana", reason="typo")
    project = xref.ensure("kantata", "Project", "P-1")
    with pytest.raises(Conflict, match="the records are Project"):
        xref.merge(first, project, "Customer", by="ana", reason="wrong kind")
    with pytest.raises(Conflict, match="a reason is required"):
        xref.merge(first, project, "Customer", by="ana", reason=" ")
    assert xref.ids(second) == {"netsuite": "913"}


def test_a_concurrent_first_sight_gets_the_one_id_that_won(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    other: dict[str, Any] = {}

    def second_worker() -> None:
        try:
            other["id"] = xref.ensure("netsuite", "Customer", "812")
        except Exception as error:  # the assertion below names it
            other["error"] = error

    with store.transaction() as tx:
        first = tx.xref.ensure("netsuite", "Customer", "812", datetime.now(UTC))
        thread = threading.Thread(target=second_worker)
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive(), "the second worker should wait for the first one's row"
    thread.join(timeout=10)
    assert other == {"id": first}


@pytest.mark.postgres
def test_two_threads_minting_the_same_pages_agree(pg_schema_url: str) -> None:
    # Only PostgreSQL lets two writers race (SQLite queues them on its write lock).
    store = SqlStore.open(pg_schema_url, partitions=8)
    xref = CrossReferenceService(store, StepClock())
    rounds = 15
    barrier = threading.Barrier(2)
    results: list[list[dict[str, str]]] = [[], []]
    errors: list[BaseException] = []

    def worker(slot: int) -> None:
        try:
            for n in range(rounds):
                keys = [f"{n}-{k}" for k in range(20)]
                barrier.wait(timeout=10)
                if n % 2:
                    results[slot].append({keys[0]: xref.ensure("netsuite", "Customer", keys[0])})
                else:
                    results[slot].append(xref.ensure_many("netsuite", "Customer", keys[slot:]))
        except BaseException as error:
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    store.close()
    assert errors == []
    for mine, theirs in zip(results[0], results[1], strict=True):
        shared = mine.keys() & theirs.keys()
        assert shared and all(mine[k] == theirs[k] for k in shared)


ACME_CRM = CustomerFacts("ACME", tax_id="DE123456789", country="DE", system="salesforce", system_id="001A")


def test_a_sure_match_is_linked_once(store: SqlStore, xref: CrossReferenceService) -> None:
    crm = xref.ensure("salesforce", "Customer", "001A")
    erp_facts = CustomerFacts("Acme GmbH", tax_id="DE 123 456 789", country="DE")
    decision = xref.match_customer("netsuite", "812", erp_facts, [ACME_CRM])
    assert decision.outcome is MatchOutcome.LINKED
    assert decision.global_id == crm
    assert decision.match is not None and decision.match.reasons[0] == "same tax id DE123456789"
    assert xref.resolve("netsuite", "Customer", "812", "salesforce") == "001A"
    again = xref.match_customer("netsuite", "812", erp_facts, [ACME_CRM])
    assert (again.outcome, again.global_id) == (MatchOutcome.LINKED, crm)
    assert audit_actions(store) == ["xref.match.link"]
    assert conflict_exceptions(store) == []


def test_a_sure_match_of_a_record_with_its_own_id_merges(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    crm = xref.ensure("salesforce", "Customer", "001A")
    erp = xref.ensure("netsuite", "Customer", "812")  # minted when the ERP record was first mapped
    erp_facts = CustomerFacts("Acme GmbH", tax_id="DE123456789")
    decision = xref.match_customer("netsuite", "812", erp_facts, [ACME_CRM])
    assert decision.outcome is MatchOutcome.MERGED
    assert decision.global_id == min(crm, erp)
    assert xref.canonical(crm) == xref.canonical(erp) == decision.global_id
    assert xref.match_customer("netsuite", "812", erp_facts, [ACME_CRM]).outcome is MatchOutcome.LINKED
    assert audit_actions(store) == ["xref.merge"]


def test_a_doubtful_match_opens_one_review_in_business_words(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    crm = xref.ensure("salesforce", "Customer", "001A")
    candidates = [CustomerFacts("ACME", system="salesforce", system_id="001A", global_id=crm)]
    erp_facts = CustomerFacts("Acme GmbH")
    decision = xref.match_customer("netsuite", "812", erp_facts, candidates)
    assert decision.outcome is MatchOutcome.REVIEW
    assert decision.exception_id is not None
    assert decision.global_id != crm  # kept apart until a person decides
    assert xref.resolve("netsuite", "Customer", "812", "salesforce") is None
    [record] = conflict_exceptions(store)
    assert record["message"] == (
        "Customer 'Acme GmbH' in NetSuite (id 812) may be the same as 'ACME' in Salesforce (001A): "
        "names match after normalising: 'acme'; confidence 0.75. Link or keep apart in the exception queue."
    )
    assert (record["status"], record["team"], record["business_type"]) == ("open", "finance", "Customer")
    assert record["object_ids"] == {"salesforce": "001A", "netsuite": "812"}
    assert record["payload"]["candidate"]["entity"] == crm

    again = xref.match_customer("netsuite", "812", erp_facts, candidates)
    assert (again.outcome, again.exception_id, again.global_id) == (
        MatchOutcome.REVIEW,
        None,
        decision.global_id,
    )
    assert len(conflict_exceptions(store)) == 1

    # A person links them: the review is settled, and matching again agrees.
    xref.merge(crm, decision.global_id, "Customer", by="ana", reason="same company, checked the contract")
    [record] = conflict_exceptions(store)
    assert record["status"] == "resolved"
    assert xref.match_customer("netsuite", "812", erp_facts, candidates).outcome is MatchOutcome.LINKED
    assert len(conflict_exceptions(store)) == 1


def test_nothing_close_enough_is_a_new_customer(store: SqlStore, xref: CrossReferenceService) -> None:
    xref.ensure("salesforce", "Customer", "001A")
    decision = xref.match_customer("netsuite", "900", CustomerFacts("Initech Ltd"), [ACME_CRM])
    assert decision.outcome is MatchOutcome.NEW
    assert xref.global_id("netsuite", "Customer", "900") == decision.global_id
    assert xref.ids(decision.global_id) == {"netsuite": "900"}
    assert conflict_exceptions(store) == []


def test_a_sure_match_that_cannot_be_linked_goes_to_review(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    crm = xref.ensure("salesforce", "Customer", "001A")
    xref.link(crm, "netsuite", "Customer", "700")  # the ERP already has a record for this customer
    decision = xref.match_customer(
        "netsuite", "812", CustomerFacts("Acme GmbH", tax_id="DE123456789"), [ACME_CRM]
    )
    assert decision.outcome is MatchOutcome.REVIEW
    [record] = conflict_exceptions(store)
    assert "cannot be linked automatically" in record["message"]
    assert "already has Customer 700 in netsuite" in record["message"]
    assert xref.global_id("netsuite", "Customer", "812") != crm


def test_two_sure_matches_of_different_customers_go_to_review(
    store: SqlStore, xref: CrossReferenceService
) -> None:
    twin = CustomerFacts("Acme AG", tax_id="DE123456789", country="DE", system="salesforce", system_id="001B")
    erp_facts = CustomerFacts("Acme GmbH", tax_id="DE123456789")
    decision = xref.match_customer("netsuite", "812", erp_facts, [ACME_CRM, twin])
    assert decision.outcome is MatchOutcome.REVIEW
    [record] = conflict_exceptions(store)
    assert "it matches more than one known customer, also 'A" in record["message"]


def test_thresholds_must_be_ordered(xref: CrossReferenceService) -> None:
    with pytest.raises(ValueError, match="thresholds"):
        xref.match_customer(
            "netsuite", "812", CustomerFacts("Acme"), [], auto_threshold=0.5, review_threshold=0.7
        )


def test_the_xref_command_shows_links_and_merges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONCORD_ACTOR", "ana")
    url = f"sqlite:///{tmp_path / 'concord.db'}"
    store = SqlStore.open(url)
    xref = CrossReferenceService(store, StepClock())
    crm = xref.ensure("salesforce", "Customer", "001A")
    erp = xref.ensure("netsuite", "Customer", "812")
    store.close()

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(xref_app, [*args, "--database", url])
        assert result.exit_code == code, result.output
        return result.output

    merged = run("merge", crm, erp, "--object-type", "Customer", "--reason", "same VAT number")
    assert f"Merged {erp} into {crm}" in merged
    shown = json.loads(run("show", "netsuite", "Customer", "812", "--json"))
    assert shown == {"global_id": crm, "ids": {"netsuite": "812", "salesforce": "001A"}, "merged": [erp]}
    assert json.loads(run("show", GLOBAL, "Customer", erp, "--json"))["global_id"] == crm
    assert "Kantata" in run("link", erp, "kantata", "Customer", "K-7")
    assert "knows no Customer 999 in netsuite" in run("show", "netsuite", "Customer", "999", code=1)
    assert "already has Customer 812 in netsuite" in run("link", crm, "netsuite", "Customer", "913", code=1)
    store = SqlStore.open(url)
    assert audit_actions(store) == ["xref.merge", "xref.link"]
    store.close()


def test_a_batch_of_writes_finds_and_links_its_records_in_one_go(xref: CrossReferenceService) -> None:
    crm = xref.ensure("salesforce", "Customer", "001A")
    erp = xref.ensure("netsuite", "Customer", "812")
    other = xref.ensure("salesforce", "Customer", "001B")
    xref.merge(crm, erp, "Customer", by="ana", reason="same VAT number")
    # The merged id finds the survivor's record; an entity with no record there is simply absent.
    assert xref.system_ids([crm, erp, other], "netsuite", "Customer") == {crm: "812", erp: "812"}
    # Linking what is linked changes nothing; a new pair is linked; a pair against the grain is refused.
    xref.link_many("netsuite", "Customer", [(crm, "812"), (other, "813")])
    assert xref.system_id(other, "netsuite", "Customer") == "813"
    with pytest.raises(Conflict):
        xref.link_many("netsuite", "Customer", [(crm, "813")])
