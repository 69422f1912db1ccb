"""The mapping files Concord ships: they all load, every one has examples and every example passes, and
every platform field they name exists in the emulated platform (so a typo cannot hide until production)."""

from __future__ import annotations

import pytest

from concord.mapping import ObjectMapping, load_mappings
from concord.mapping.examples import ExampleResult, load_examples, run_examples
from concord.mapping.runtime import FieldRule
from concord.sandbox.kantata.catalog import CRUD_SPECS
from concord.sandbox.netsuite.catalog import RECORD_TYPES
from concord.sandbox.netsuite.payload import is_custom
from concord.sandbox.salesforce.schema.catalog import default_catalog

MAPPINGS = load_mappings()

REQUIRED = {
    ("salesforce", "Account", "Customer"),
    ("salesforce", "Opportunity", "Opportunity"),
    ("salesforce", "Contact", "Contact"),
    ("salesforce", "Change_Order__c", "ChangeOrder"),
    ("kantata", "workspaces", "Project"),
    ("kantata", "users", "Resource"),
    ("kantata", "time_entries", "TimeEntry"),
    ("kantata", "expenses", "ExpenseItem"),
    ("kantata", "stories", "Milestone"),
    ("kantata", "assignments", "Assignment"),
    ("netsuite", "subsidiary", "LegalEntity"),
    ("netsuite", "customer", "Customer"),
    ("netsuite", "job", "Project"),
    ("netsuite", "timeBill", "TimeEntry"),
    ("netsuite", "journalEntry", "TimePosting"),
    ("netsuite", "expenseReport", "ExpensePosting"),
    ("netsuite", "accountingPeriod", "AccountingPeriod"),
}
TWO_WAY = {
    ("salesforce", "Customer"),
    ("kantata", "Project"),
    ("netsuite", "Customer"),
    ("netsuite", "Project"),
}


def _all_results() -> list[ExampleResult]:
    results = []
    for mapping in MAPPINGS:
        examples, problems = load_examples(mapping)
        assert problems == [], [str(p) for p in problems]
        assert examples is not None
        results += run_examples(mapping, examples)
    return results


RESULTS = _all_results()


def test_the_required_mappings_ship() -> None:
    shipped = {(m.platform, m.platform_object, m.canonical) for m in MAPPINGS}
    assert shipped >= REQUIRED
    for platform, canonical in TWO_WAY:
        assert MAPPINGS.get(platform, canonical).directions == {"inbound", "outbound"}


def test_each_mapping_has_examples_for_each_of_its_directions() -> None:
    for mapping in MAPPINGS:
        mine = [r for r in RESULTS if r.mapping is mapping]
        assert len(mine) >= 2, mapping.path.name
        for direction in mapping.directions:
            assert any(r.direction == direction and r.error is None for r in mine), (
                mapping.path.name,
                direction,
            )


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: f"{r.mapping.path.stem}:{r.line}")
def test_example_passes(result: ExampleResult) -> None:
    assert result.problems == []


def test_the_platform_keeps_the_ids_where_the_connectors_expect_them() -> None:
    salesforce = {m.canonical: m for m in MAPPINGS.for_platform("salesforce")}
    for mapping in salesforce.values():
        assert (mapping.id_field, mapping.stamp_field) == ("Id", "SystemModstamp")
        assert (mapping.external_id_field, mapping.correlation_field) == (
            "Concord_Id__c",
            "Concord_Correlation_Id__c",
        )
    for mapping in MAPPINGS.for_platform("kantata"):
        assert (mapping.id_field, mapping.stamp_field, mapping.external_id_field) == (
            "id",
            "updated_at",
            None,
        )
    for mapping in MAPPINGS.for_platform("netsuite"):
        assert (mapping.id_field, mapping.stamp_field) == ("id", "lastModifiedDate")
    assert MAPPINGS.get("netsuite", "Customer").external_id_field == "externalId"
    # The subsidiary's externalId is the firm's entity code, not a Concord id.
    assert MAPPINGS.get("netsuite", "LegalEntity").external_id_field is None


# -- platform fields against the emulators' catalogs -------------------------------------------------------

KANTATA_READ_ONLY = {
    "workspaces": {"status", "price_in_cents"},
    "time_entries": {"currency", "approved", "active_submission_id", "recent_submission_id"},
    # Kantata shows `billable` as `is_billable`; `approved` is Kantata's expense flag (not emulated: absent
    # there, the expense reads as draft or submitted).
    "expenses": {"currency", "is_billable", "approved", "active_submission_id"},
    "stories": set(),
    "users": set(),
    "assignments": set(),
}
KANTATA_COMMON = {"id", "created_at", "updated_at"}


def _rule_fields(mapping: ObjectMapping, rule: FieldRule) -> list[str]:
    return [*rule.platform, *rule.transform.extra_reads(), *(() if rule.when is None else (rule.when.path,))]


def _every_field(mapping: ObjectMapping) -> set[str]:
    fields = {mapping.id_field, mapping.stamp_field}
    fields |= {f for f in (mapping.external_id_field, mapping.correlation_field) if f}
    fields |= set(mapping.write_constants)
    if mapping.only_when is not None:
        fields.add(mapping.only_when.path)
    for rule in mapping.rules:
        fields |= set(_rule_fields(mapping, rule))
    return fields


def _salesforce_problems(mapping: ObjectMapping) -> list[str]:
    catalog = default_catalog()
    sobject = catalog.get(mapping.platform_object)
    assert sobject is not None
    children = {
        child_field.child_relationship: child
        for child in catalog.all()
        for child_field in child.fields
        if child_field.reference_to == sobject.name and child_field.child_relationship
    }
    problems = []
    for name in _every_field(mapping):
        if name in mapping.children:
            child = children.get(name)
            assert child is not None, name
            problems += [f"{name}.{f}" for f in mapping.children[name] if child.field(f) is None]
            continue
        relationship, _, inner = name.rpartition(".")
        if relationship:
            reference = sobject.relationship(relationship)
            target = catalog.get(reference.reference_to or "") if reference else None
            if target is None or target.field(inner) is None:
                problems.append(name)
        elif sobject.field(name) is None:
            problems.append(name)
    return problems


def _kantata_problems(mapping: ObjectMapping) -> list[str]:
    spec = next(s for s in CRUD_SPECS if s.collection == mapping.platform_object)
    known = {f.name for f in spec.fields} | KANTATA_COMMON | KANTATA_READ_ONLY[spec.collection]
    problems = []
    for name in _every_field(mapping):
        root = name.split(".", 1)[0]
        if root not in known and root not in spec.associations:
            problems.append(name)
    return problems


def _netsuite_problems(mapping: ObjectMapping) -> list[str]:
    # Custom fields (custbody_concord_*) are the account's own: NetSuite (and the emulator) take any.
    record_type = RECORD_TYPES[mapping.platform_object]
    return [
        name
        for name in _every_field(mapping)
        if record_type.field(name) is None and record_type.sublist(name) is None and not is_custom(name)
    ]


CHECKS = {"salesforce": _salesforce_problems, "kantata": _kantata_problems, "netsuite": _netsuite_problems}


@pytest.mark.parametrize("mapping", list(MAPPINGS), ids=lambda m: m.path.name)
def test_platform_fields_exist_in_the_emulated_platform(mapping: ObjectMapping) -> None:
    assert CHECKS[mapping.platform](mapping) == []


def test_the_field_check_catches_a_misspelt_field() -> None:
    mapping = MAPPINGS.get("salesforce", "Customer")
    rule = mapping.rules[0]
    misspelt = ObjectMapping(
        path=mapping.path,
        platform=mapping.platform,
        platform_object=mapping.platform_object,
        canonical=mapping.canonical,
        model=mapping.model,
        id_field=mapping.id_field,
        external_id_field=None,
        correlation_field=None,
        stamp_field=mapping.stamp_field,
        directions=mapping.directions,
        rules=(FieldRule(rule.target, ("Nmae",), rule.transform, rule.directions, rule.path, rule.line),),
    )
    assert _salesforce_problems(misspelt) == ["Nmae"]


def test_reference_tables_the_shipped_mappings_need() -> None:
    tables = set().union(*(m.reference_tables() for m in MAPPINGS))
    assert tables == {
        "netsuite_currency",
        "netsuite_currency_id",
        "netsuite_subsidiary_code",
        "netsuite_subsidiary_id",
        "netsuite_terms",
        "netsuite_terms_id",
    }
