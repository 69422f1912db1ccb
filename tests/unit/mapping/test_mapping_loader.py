"""A broken mapping file is refused with its file, line and a clear message, every problem at once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from concord.mapping import MappingError, load_mappings
from concord.mapping.yamlfile import read_yaml

Errors = Callable[..., list[str]]

# The Account.Customer header written by the fixtures takes lines 1-8; `fields:` is line 9.


def test_yaml_syntax_error_names_the_line(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: [Name
        """
    )
    assert len(found) == 1
    assert found[0].startswith("Account.Customer.yaml:")
    assert "not valid YAML" in found[0]
    assert "starts on line 11" in found[0]


def test_unknown_key_suggests_the_right_one(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platfrom: Name
        """
    )
    assert found == [
        "Account.Customer.yaml:11: unknown key 'platfrom' (did you mean 'platform'?); allowed here: "
        "canonical, platform, transform, default, when, direction, hook, id_object"
    ]


def test_unknown_top_level_key_and_missing_key(errors_of: Errors) -> None:
    found = errors_of(
        """
        platform: salesforce
        object: Account
        canonical: Customer
        stamp_feld: SystemModstamp
        fields:
          - {canonical: name, platform: Name}
        """,
        header=False,
    )
    assert found[:2] == [
        "Account.Customer.yaml:1: 'id_field' is missing; add it",
        "Account.Customer.yaml:1: 'stamp_field' is missing; add it",
    ]
    assert found[2].startswith(
        "Account.Customer.yaml:4: unknown key 'stamp_feld' (did you mean 'stamp_field'?)"
    )
    assert len(found) == 3


def test_unknown_canonical_object(errors_of: Errors, write_mapping: Callable[..., Path]) -> None:
    found = errors_of(
        """
        platform: salesforce
        object: Account
        canonical: Customr
        id_field: Id
        stamp_field: SystemModstamp
        fields:
          - {canonical: name, platform: Name}
        """,
        header=False,
    )
    assert found[0].startswith(
        "Account.Customer.yaml:3: 'Customr' is not a canonical object (did you mean 'Customer'?)"
    )


def test_canonical_field_paths_must_exist(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: Name
          - canonical: nmae
            platform: Name2
          - canonical: billing_address.town
            platform: BillingCity
          - canonical: name.first
            platform: FirstName
        """
    )
    assert found == [
        "Account.Customer.yaml:12: Customer has no field 'nmae' (did you mean 'name'?); its fields are name, "
        "billing_address, tax_profile, currency, payment_terms, legal_entity_code, segment, region",
        "Account.Customer.yaml:14: Customer.billing_address has no field 'town'; its fields are lines, city, "
        "postal_code, region, country",
        "Account.Customer.yaml:16: 'name' is text and has no fields inside it; remove '.first'",
    ]


def test_envelope_fields_are_not_mapped(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - {canonical: name, platform: Name}
          - {canonical: global_id, platform: Concord_Id__c}
        """
    )
    assert found == [
        "Account.Customer.yaml:11: 'global_id' belongs to the record's envelope, which the connector fills; "
        "remove this rule (map only business fields)"
    ]


def test_unknown_transform_and_bad_transform_options(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: Name
            transform: uppercase
          - canonical: currency
            platform: CurrencyIsoCode
            transform: {enumm: {USD: USD}}
          - canonical: segment
            platform: Segment__c
            transform: {split: 3}
          - canonical: billing_address.lines
            platform: BillingStreet
            transform: {date: {format: YYYY/DD}}
        """
    )
    assert found[0].startswith(
        "Account.Customer.yaml:12: there is no transform 'uppercase'; the transforms are"
    )
    assert found[1].startswith(
        "Account.Customer.yaml:15: there is no transform 'enumm' (did you mean 'enum'?)"
    )
    assert found[2].startswith("Account.Customer.yaml:18: `split` takes the separator as text")
    assert found[3].startswith("Account.Customer.yaml:21: the date format 'YYYY/DD' must use YYYY, M or MM")


def test_transform_must_fit_the_canonical_field(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: Name
            transform: hours
        """
    )
    assert found == [
        "Account.Customer.yaml:12: `hours` makes hours, but name is text; use a transform that fits, "
        "or leave the transform out to copy the value"
    ]


def test_enum_values_must_be_canonical_values(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: customer_id
            platform: AccountId
            transform: {lookup: Customer}
          - canonical: name
            platform: Name
          - canonical: stage
            platform: StageName
          - canonical: amount
            platform: Amount
            transform: {money: {currency: USD}}
          - canonical: currency
            platform: CurrencyIsoCode
          - canonical: close_date
            platform: CloseDate
          - canonical: pricing_model
            platform: Pricing_Model__c
            transform:
              enum:
                Time and Materials: time_and_materials
                Fixed Fee: fixed_price
        """,
        name="Opportunity.Opportunity",
    )
    assert found == [
        "Opportunity.Opportunity.yaml:27: 'fixed_price' is not a pricing_model Concord knows "
        "(did you mean 'fixed_fee'?); use one of time_and_materials, fixed_fee, subscription"
    ]


def test_duplicate_canonical_field_in_one_direction(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - {canonical: name, platform: Name}
          - {canonical: currency, platform: CurrencyIsoCode}
          - {canonical: currency, platform: Currency2__c}
          - {canonical: billing_address, platform: Address__c}
          - {canonical: billing_address.city, platform: BillingCity}
        """
    )
    assert found == [
        "Account.Customer.yaml:12: 'currency' is already mapped both ways on line 11 ('currency'); "
        "keep one rule, or give each a different `direction`",
        "Account.Customer.yaml:14: 'billing_address.city' is already mapped both ways on line 13 "
        "('billing_address'); keep one rule, or give each a different `direction`",
    ]


def test_one_canonical_field_per_direction_is_fine(mapping_of: Callable[..., object]) -> None:
    mapping_of(
        """
        fields:
          - {canonical: name, platform: Name, direction: inbound}
          - {canonical: name, platform: Legal_Name__c, direction: outbound}
        """
    )


def test_hook_that_cannot_be_imported(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: Name
            hook: concord.no_such_module:reader
            direction: inbound
          - canonical: segment
            platform: Segment__c
            hook: concord.mapping.paths:no_such_function
            direction: inbound
          - canonical: region
            platform: Region__c
            hook: not a reference
            direction: inbound
        """
    )
    assert found == [
        "Account.Customer.yaml:12: cannot import the hook module 'concord.no_such_module' "
        "(ModuleNotFoundError: No module named 'concord.no_such_module'); check its name",
        "Account.Customer.yaml:16: the module 'concord.mapping.paths' has no function 'no_such_function'; "
        "check the hook's name",
        "Account.Customer.yaml:20: a hook is written package.module:function, such as mypkg.hooks:full_name, "
        "not 'not a reference'",
    ]


def test_two_way_rule_that_cannot_be_written_back(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: [FirstName, LastName]
            transform: concat
          - canonical: segment
            platform: Segment__c
            transform: {enum: {Big: Enterprise, Large: Enterprise}}
          - canonical: legal_entity_code
            platform: Region__c
            transform: {reference: region_legal_entity}
        """
    )
    assert found[0] == (
        "Account.Customer.yaml:12: a joined value cannot be split back reliably; add `direction: inbound` "
        "(or a hook for writing)"
    )
    assert found[1].startswith("Account.Customer.yaml:15: 'Enterprise' comes from several platform values")
    assert found[2].startswith("Account.Customer.yaml:18: reference tables are looked up one way")


def test_default_must_fit_the_field(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - {canonical: name, platform: Name}
          - {canonical: currency, platform: CurrencyIsoCode, default: Dollars}
        """
    )
    assert len(found) == 1
    assert found[0].startswith("Account.Customer.yaml:11: the default 'Dollars' does not fit currency:")


def test_required_canonical_field_must_be_mapped_or_declared_unmapped(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - {canonical: segment, platform: Segment__c}
        unmapped:
          region: no reason
          nonsense: why
          segment: mapped anyway
        """
    )
    assert found == [
        "Account.Customer.yaml:9: Customer needs 'name', but no inbound rule fills it; map it, or list it "
        "under `unmapped:` with the reason the platform cannot provide it",
        "Account.Customer.yaml:13: Customer has no field 'nonsense'",
        "Account.Customer.yaml:14: 'segment' is mapped on line 10; remove it from `unmapped`",
    ]


def test_concord_written_fields_are_not_mapped_outbound(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - {canonical: name, platform: Name}
          - {canonical: segment, platform: Concord_Correlation_Id__c}
        """
    )
    assert found == [
        "Account.Customer.yaml:11: Concord_Correlation_Id__c is also the mapping's correlation_field, which "
        "Concord writes itself; map this field inbound only (`direction: inbound`) or choose another field"
    ]


def test_file_name_must_match_the_mapping(write_mapping: Callable[..., Path], tmp_path: Path) -> None:
    path = write_mapping("fields:\n  - {canonical: name, platform: Name}\n")
    path.rename(tmp_path / "accounts.yaml")
    with pytest.raises(MappingError) as caught:
        load_mappings([tmp_path])
    assert str(caught.value) == (
        "accounts.yaml:2: this file maps Account to Customer, so name it Account.Customer.yaml"
    ) or str(caught.value).endswith(
        "accounts.yaml:2: this file maps Account to Customer, so name it Account.Customer.yaml"
    )


def test_one_mapping_per_platform_and_canonical_object(
    tmp_path: Path, write_mapping: Callable[..., Path]
) -> None:
    write_mapping("fields:\n  - {canonical: name, platform: Name}\n")
    second = tmp_path / "more"
    second.mkdir()
    (second / "Account.Customer.yaml").write_text((tmp_path / "Account.Customer.yaml").read_text())
    with pytest.raises(MappingError) as caught:
        load_mappings([tmp_path, second])
    assert [(p.path, p.line) for p in caught.value.problems] == [(second / "Account.Customer.yaml", 3)]
    assert "already mapped to Customer in Account.Customer.yaml" in caught.value.problems[0].message


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "Account.Customer.yaml").write_text("platform: salesforce\nobject: [\n")
    (tmp_path / "Contact.Contact.yaml").write_text(
        "platform: salesforce\nobject: Contact\ncanonical: Contact\nid_field: Id\nstamp_field: X\n"
        "fields:\n  - {canonical: nam, platform: Name}\n"
    )
    with pytest.raises(MappingError) as caught:
        load_mappings([tmp_path, tmp_path / "missing"])
    message = str(caught.value)
    assert message.startswith("5 problems in mapping files:")
    assert [(p.path.name, p.line) for p in caught.value.problems] == [
        ("Account.Customer.yaml", 3),
        ("Contact.Contact.yaml", 6),
        ("Contact.Contact.yaml", 6),
        ("Contact.Contact.yaml", 7),
        ("missing", 1),
    ]
    assert "this mapping folder does not exist" in message


def test_a_key_given_twice_is_an_error(errors_of: Errors) -> None:
    found = errors_of(
        """
        fields:
          - canonical: name
            platform: Name
            platform: Other
        """
    )
    assert found == ["Account.Customer.yaml:12: 'platform' is given twice (first on line 11); keep only one"]


def test_yaml_values_are_read_without_surprises(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        "amount: 1234.50\ncountry: NO\nflag: yes\nreal: true\nday: 2026-03-31\nduration: 7:30\n"
        "code: 0042\ncount: 12\nquoted: '12'\nnothing: null\n"
    )
    parsed, problems = read_yaml(path)
    assert problems == []
    assert parsed is not None
    assert parsed.data == {
        "amount": Decimal("1234.50"),
        "country": "NO",
        "flag": "yes",
        "real": True,
        "day": "2026-03-31",
        "duration": "7:30",
        "code": "0042",
        "count": 12,
        "quoted": "12",
        "nothing": None,
    }
    assert type(parsed.data["amount"]) is Decimal
    assert parsed.line(("code",)) == 7


def test_non_finite_numbers_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("a: 1\nb: .inf\n")
    _, problems = read_yaml(path)
    assert [(p.line, p.message) for p in problems] == [
        (2, "'.inf' is not a finite number; write a number such as 12.50, or quote it")
    ]


def test_mapping_error_is_a_config_error_listing_file_and_line(errors_of: Errors) -> None:
    from concord.settings import ConfigError

    assert issubclass(MappingError, ConfigError)
    assert errors_of("fields: []\n") == [
        "Account.Customer.yaml:9: 'fields' lists no rules; add at least one `- canonical: ... platform: ...`"
    ]
