"""A loaded mapping at work: lineage of each value, defaults, conditions, hooks, partial writes, the
fields to read, and the failures a business person reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest

from concord.domain.objects import Customer
from concord.engine.errors import CannotEncode
from concord.mapping import Lineage, MappingError, MappingFailure, MappingSet, MemoryContext, ObjectMapping
from concord.mapping.context import MappingContext

MappingOf = Callable[..., ObjectMapping]

ACCOUNT = """
fields:
  - canonical: name
    platform: Name
  - canonical: billing_address.lines
    platform: BillingStreet
    transform: split
  - canonical: billing_address.city
    platform: BillingCity
  - canonical: billing_address.country
    platform: BillingCountry
    default: US
  - canonical: currency
    platform: CurrencyIsoCode
    default: USD
  - canonical: segment
    platform: Segment__c
    when: {platform: Type, equals: Customer - Direct}
  - canonical: region
    platform: Region__c
    when: {canonical: currency, in: [EUR, GBP]}
write_constants:
  Type: Customer - Direct
"""
ENVELOPE = {
    "global_id": "01HZY6M3C3X9W2Q8R5T7V4N6PA",
    "source_system": "salesforce",
    "source_changed_at": "2026-03-02T09:15:00Z",
    "correlation_id": "4bf92f3577b34da6a3ce929d0e0e4736",
}


@pytest.fixture
def account(mapping_of: MappingOf) -> ObjectMapping:
    return mapping_of(ACCOUNT)


def test_every_value_keeps_its_lineage(account: ObjectMapping) -> None:
    mapped = account.to_canonical(
        {
            "Id": "001A",
            "Name": "Acme",
            "BillingStreet": "1 Main St",
            "BillingCity": "Leeds",
            "CurrencyIsoCode": "GBP",
        },
        MemoryContext(),
    )
    assert mapped.values == {
        "name": "Acme",
        "billing_address": {"lines": ["1 Main St"], "city": "Leeds", "country": "US"},
        "currency": "GBP",
    }
    assert mapped.lineage == {
        "name": Lineage("salesforce", "Account", ("Name",), "copy"),
        "billing_address.lines": Lineage("salesforce", "Account", ("BillingStreet",), "split"),
        "billing_address.city": Lineage("salesforce", "Account", ("BillingCity",), "copy"),
        "billing_address.country": Lineage("salesforce", "Account", (), "default"),
        "currency": Lineage("salesforce", "Account", ("CurrencyIsoCode",), "copy"),
    }
    assert str(mapped.lineage["name"]) == "salesforce Account.Name via copy"


def test_defaults_alone_do_not_make_a_group(account: ObjectMapping) -> None:
    mapped = account.to_canonical({"Id": "001A", "Name": "Acme"}, MemoryContext())
    assert mapped.values == {"name": "Acme", "currency": "USD"}
    assert set(mapped.lineage) == {"name", "currency"}


def test_conditions_on_platform_and_canonical_fields(account: ObjectMapping) -> None:
    base = {"Id": "001A", "Name": "Acme", "Segment__c": "SMB", "Region__c": "UK"}
    assert "segment" not in account.to_canonical({**base, "Type": "Prospect"}, MemoryContext()).values
    direct = account.to_canonical(
        {**base, "Type": "Customer - Direct", "CurrencyIsoCode": "GBP"}, MemoryContext()
    )
    assert direct.values["segment"] == "SMB"
    # The region rule tests the canonical currency, which is filled (even by default) before conditions run.
    assert direct.values["region"] == "UK"
    assert "region" not in account.to_canonical(base, MemoryContext()).values


def test_a_record_that_lacks_a_required_field_fails_naming_the_platform_field(account: ObjectMapping) -> None:
    with pytest.raises(MappingFailure) as failure:
        account.to_canonical({"Id": "001A", "Name": None}, MemoryContext())
    assert str(failure.value) == (
        "salesforce Account 001A has no Name, which Concord needs for Customer name "
        "(mapping rule Account.Customer.yaml:10)"
    )
    assert isinstance(failure.value, ValueError)


def test_the_record_is_validated_with_the_model_and_failures_name_the_source(account: ObjectMapping) -> None:
    good = account.to_canonical({"Id": "001A", "Name": "Acme", "CurrencyIsoCode": "EUR"}, MemoryContext())
    record = good.record(ENVELOPE)
    assert isinstance(record, Customer)
    assert (record.name, record.currency) == ("Acme", "EUR")
    bad = account.to_canonical({"Id": "001A", "Name": "Acme", "CurrencyIsoCode": "EURO"}, MemoryContext())
    with pytest.raises(MappingFailure) as failure:
        bad.record(ENVELOPE)
    assert str(failure.value).startswith(
        "Customer currency (from CurrencyIsoCode): Currency must be a three-letter"
    )


def test_writing_sends_only_the_fields_given(account: ObjectMapping) -> None:
    assert account.to_platform({"name": "Acme Group"}, MemoryContext()) == {
        "Name": "Acme Group",
        "Type": "Customer - Direct",
    }


def test_writing_a_whole_record_with_ids_and_clearing(account: ObjectMapping) -> None:
    body = account.to_platform(
        {"name": "Acme", "billing_address": None, "currency": None, "segment": "SMB", "region": "UK"},
        MemoryContext(),
        global_id="01HZY6M3C3X9W2Q8R5T7V4N6PA",
        correlation_id="4bf92f3577b34da6a3ce929d0e0e4736",
    )
    assert body == {
        "Name": "Acme",
        "BillingStreet": None,
        "BillingCity": None,
        "BillingCountry": "US",
        "CurrencyIsoCode": "USD",
        "Segment__c": "SMB",
        "Type": "Customer - Direct",
        "Concord_Id__c": "01HZY6M3C3X9W2Q8R5T7V4N6PA",
        "Concord_Correlation_Id__c": "4bf92f3577b34da6a3ce929d0e0e4736",
    }


def test_two_rules_writing_one_field_differently_cannot_be_sent(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: currency, platform: currency}
          - {canonical: budget.fees, platform: price, transform: {money: {currency_field: currency}}}
        """,
        "workspaces.Project",
    )
    fees = {"amount": "1000.00", "currency": "EUR"}
    assert mapping.to_platform({"currency": "EUR", "budget": {"fees": fees}}, MemoryContext()) == {
        "currency": "EUR",
        "price": Decimal("1000.00"),
    }
    with pytest.raises(CannotEncode) as refused:
        mapping.to_platform({"currency": "USD", "budget": {"fees": fees}}, MemoryContext())
    assert str(refused.value) == (
        "cannot write Project budget.fees {'amount': '1000.00', 'currency': 'EUR'} to kantata workspaces: "
        "currency would be both 'USD' and 'EUR' (mapping rule workspaces.Project.yaml:9)"
    )


def test_only_when_chooses_the_records_a_mapping_reads(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        only_when: {platform: Type, in: [Customer - Direct, Customer - Channel]}
        fields:
          - {canonical: name, platform: Name}
        """
    )
    assert mapping.accepts({"Type": "Customer - Channel"})
    assert not mapping.accepts({"Type": "Prospect"})
    with pytest.raises(
        MappingFailure,
        match=r"salesforce Account 001B is not a record this mapping reads \(it reads those where Type is",
    ):
        mapping.to_canonical({"Id": "001B", "Type": "Prospect", "Name": "X"}, MemoryContext())


def reader_hook(record: Mapping[str, Any], context: MappingContext) -> Any:
    if record.get("Broken"):
        raise ValueError("the legacy code is malformed")
    return f"{record.get('First')} {record.get('Last')}".strip()


def writer_hook(value: Any, context: MappingContext) -> Mapping[str, Any]:
    first, _, last = str(value).partition(" ")
    return {"First": first, "Last": last}


def test_hooks_read_and_write_and_fail_one_record(mapping_of: MappingOf) -> None:
    module = __name__
    mapping = mapping_of(
        f"""
        fields:
          - canonical: name
            platform: [First, Last]
            hook: {{inbound: "{module}:reader_hook", outbound: "{module}:writer_hook"}}
        """
    )
    mapped = mapping.to_canonical({"Id": "001A", "First": "Ada", "Last": "Lovelace"}, MemoryContext())
    assert mapped.values == {"name": "Ada Lovelace"}
    assert mapped.lineage["name"] == Lineage(
        "salesforce", "Account", ("First", "Last"), f"hook {module}:reader_hook"
    )
    assert mapping.to_platform({"name": "Ada Lovelace"}, MemoryContext()) == {
        "First": "Ada",
        "Last": "Lovelace",
    }
    with pytest.raises(
        MappingFailure, match="salesforce Account 001C: First, Last the legacy code is malformed"
    ):
        mapping.to_canonical({"Id": "001C", "Broken": True}, MemoryContext())


def record_writer_hook(value: Any, context: MappingContext, record: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"Name": f"{value} ({record.get('currency', 'no currency')})"}


def test_a_writing_hook_that_asks_for_the_record_sees_its_other_fields(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        f"""
        fields:
          - canonical: name
            platform: Name
            hook: {{outbound: "{__name__}:record_writer_hook"}}
          - canonical: currency
            platform: CurrencyIsoCode
        """
    )
    body = mapping.to_platform({"name": "Acme", "currency": "EUR"}, MemoryContext())
    assert body == {"Name": "Acme (EUR)", "CurrencyIsoCode": "EUR"}
    # An update sends the changed fields: the hook sees those.
    assert mapping.to_platform({"name": "Acme"}, MemoryContext()) == {"Name": "Acme (no currency)"}


def test_a_reading_hook_cannot_write(errors_of: Callable[..., list[str]]) -> None:
    found = errors_of(
        f"""
        fields:
          - canonical: name
            platform: [First, Last]
            hook: {__name__}:reader_hook
        """
    )
    assert found == [
        "Account.Customer.yaml:12: a reading hook cannot write this field back; add `direction: inbound`, "
        "or an outbound hook: hook: {inbound: ..., outbound: ...}"
    ]


def test_fields_to_read(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        only_when: {platform: RecordType.Name, equals: Client}
        children:
          Contacts: [Email]
        fields:
          - {canonical: name, platform: Name}
          - {canonical: currency, platform: Cur, when: {platform: Owner.Active__c, equals: true}}
          - {canonical: segment, platform: Contacts, hook: concord.mapping.paths:get_path, direction: inbound}
          - {canonical: region, platform: Region__c, direction: outbound}
        """
    )
    assert mapping.source_fields() == [
        "Id",
        "SystemModstamp",
        "Concord_Id__c",
        "Concord_Correlation_Id__c",
        "RecordType.Name",
        "Name",
        "Cur",
        "Owner.Active__c",
    ]
    assert mapping.related() == ["RecordType", "Owner"]
    assert mapping.children == {"Contacts": ("Email",)}


def test_mapping_set_finds_mappings(mapping_of: MappingOf) -> None:
    mapping = mapping_of("fields:\n  - {canonical: name, platform: Name}\n")
    mappings = MappingSet([mapping])
    assert mappings.get("salesforce", "Customer") is mapping
    assert mappings.find("salesforce", "Project") is None
    assert mappings.for_platform("salesforce") == [mapping]
    assert list(mappings) == [mapping]
    with pytest.raises(
        MappingError, match="no mapping of salesforce records to canonical Project; salesforce maps: Customer"
    ):
        mappings.get("salesforce", "Project")


def test_memory_context_mints_the_same_id_for_the_same_record() -> None:
    first, second = MemoryContext(), MemoryContext()
    minted = first.global_id("kantata", "Project", "55")
    assert minted == second.global_id("kantata", "Project", "55")
    assert minted != first.global_id("kantata", "Project", "56")
    assert minted[0] in "01234567" and len(minted) == 26
    assert first.system_id("kantata", "Project", minted) == "55"
    assert first.reference("missing", "x") is None
