"""Each transform, read and written: the canonical form it makes, the platform form it writes back, and
the message a bad value gets."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from concord.engine.errors import CannotEncode
from concord.mapping import MappingFailure, MemoryContext, ObjectMapping

MappingOf = Callable[..., ObjectMapping]

BASE = "fields:\n  - {canonical: name, platform: Name}\n"


def one_rule(mapping_of: MappingOf, rule: str, name: str = "Account.Customer") -> ObjectMapping:
    """A mapping of Name plus the rules given (written at the left margin, as list items)."""
    return mapping_of(BASE + textwrap.indent(textwrap.dedent(rule).strip("\n"), "  ") + "\n", name)


def read(
    mapping: ObjectMapping, record: dict[str, Any], context: MemoryContext | None = None
) -> dict[str, Any]:
    return mapping.to_canonical({"Id": "001A", "Name": "Acme", **record}, context or MemoryContext()).values


def write(
    mapping: ObjectMapping, values: dict[str, Any], context: MemoryContext | None = None
) -> dict[str, Any]:
    return mapping.to_platform(values, context or MemoryContext())


# -- copy: converted by the canonical field's type ------------------------------------------------------


def test_copy_text_both_ways(mapping_of: MappingOf) -> None:
    mapping = one_rule(mapping_of, "  - {canonical: segment, platform: Segment__c}\n")
    assert read(mapping, {"Segment__c": "SMB"})["segment"] == "SMB"
    assert read(mapping, {"Segment__c": 42})["segment"] == "42"
    assert "segment" not in read(mapping, {"Segment__c": "   "})
    assert write(mapping, {"segment": "SMB"}) == {"Segment__c": "SMB"}
    with pytest.raises(MappingFailure, match=r"salesforce Account 001A: Segment__c True is not text"):
        read(mapping, {"Segment__c": True})


def test_copy_reads_booleans_as_platforms_write_them(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        "fields:\n  - {canonical: billable, platform: isBillable}\n",
        "time_entries.TimeEntry",
    )
    for raw, expected in (("T", True), ("F", False), (True, True), ("false", False)):
        assert mapping.rules[0].transform.to_canonical(raw, None) is expected  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'maybe' is not true or false"):
        mapping.rules[0].transform.to_canonical("maybe", None)  # type: ignore[arg-type]


def test_copy_checks_a_choice_against_the_allowed_values(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        "fields:\n  - {canonical: status, platform: state}\n",
        "time_entries.TimeEntry",
    )
    transform = mapping.rules[0].transform
    assert transform.to_canonical("approved", None) == "approved"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'done' is not one of the allowed values: draft, submitted"):
        transform.to_canonical("done", None)  # type: ignore[arg-type]


def test_copy_of_money_needs_the_money_transform(errors_of: Callable[..., list[str]]) -> None:
    found = errors_of(
        "fields:\n  - {canonical: bill_rate, platform: rate}\n",
        "time_entries.TimeEntry",
    )
    assert any(
        "'bill_rate' is an amount with a currency; use the `money` transform" in line for line in found
    )


# -- dates and times -------------------------------------------------------------------------------------


def test_date_iso_and_a_platform_layout(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: work_date, platform: tranDate, transform: {date: {read_format: M/D/YYYY}}}
        """,
        "time_entries.TimeEntry",
    )
    transform = mapping.rules[0].transform
    assert transform.to_canonical("3/2/2026", None) == "2026-03-02"  # type: ignore[arg-type]
    assert transform.to_canonical("2026-03-02", None) == "2026-03-02"  # type: ignore[arg-type]
    assert transform.to_canonical("2026-03-02T23:30:00Z", None) == "2026-03-02"  # type: ignore[arg-type]
    assert transform.to_platform("2026-03-02", None) == "2026-03-02"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'31\.12\.2026' is not a date in the form M/D/YYYY"):
        transform.to_canonical("31.12.2026", None)  # type: ignore[arg-type]


def test_date_written_in_a_layout(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: work_date, platform: day, transform: {date: DD.MM.YYYY}}
        """,
        "time_entries.TimeEntry",
    )
    transform = mapping.rules[0].transform
    assert transform.to_canonical("02.03.2026", None) == "2026-03-02"  # type: ignore[arg-type]
    assert transform.to_platform("2026-03-02", None) == "02.03.2026"  # type: ignore[arg-type]


def test_datetime_is_utc_and_reads_naive_times_in_the_platform_zone(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: approved_at, platform: when, transform: {datetime: {timezone: Europe/Berlin}}}
        """,
        "time_entries.TimeEntry",
    )
    transform = mapping.rules[0].transform
    assert transform.to_canonical("2026-03-02T10:00:00", None) == "2026-03-02T09:00:00Z"  # type: ignore[arg-type]
    assert transform.to_canonical("2024-05-20T20:49:32.000+0000", None) == "2024-05-20T20:49:32Z"  # type: ignore[arg-type]
    assert transform.to_platform("2026-03-02T09:00:00Z", None) == "2026-03-02T10:00:00+01:00"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a date and time such as"):
        transform.to_canonical("yesterday", None)  # type: ignore[arg-type]


def test_unknown_time_zone_is_refused_at_load(errors_of: Callable[..., list[str]]) -> None:
    found = errors_of(
        """
        fields:
          - {canonical: approved_at, platform: when, transform: {datetime: Europe/Berln}}
        """,
        "time_entries.TimeEntry",
    )
    assert any("'Europe/Berln' is not a time zone (did you mean 'Europe/Berlin'?)" in line for line in found)


# -- numbers, hours, money -------------------------------------------------------------------------------


def test_decimal_scaled(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: hours, platform: h, transform: hours}
        """,
        "time_entries.TimeEntry",
    )
    assert mapping.rules[0].transform.to_canonical(Decimal("7.5"), None) == "7.50"  # type: ignore[arg-type]
    assert mapping.rules[0].transform.to_platform("7.50", None) == Decimal("7.50")  # type: ignore[arg-type]
    from concord.mapping.transforms.scalars import DecimalTransform

    percent = DecimalTransform(Decimal(100))
    assert percent.to_canonical("15", None) == "0.15"  # type: ignore[arg-type]
    assert percent.to_platform("0.15", None) == Decimal("15.00")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not a number"):
        percent.to_canonical(1.5, None)  # type: ignore[arg-type]


def test_hours_from_minutes_both_ways(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: hours, platform: time_in_minutes, transform: {hours: minutes}}
        """,
        "time_entries.TimeEntry",
    )
    transform = mapping.rules[0].transform
    assert transform.to_canonical(90, None) == "1.50"  # type: ignore[arg-type]
    assert transform.to_canonical(25, None) == "0.42"  # type: ignore[arg-type]
    assert transform.to_platform("1.50", None) == 90  # type: ignore[arg-type]
    assert transform.to_platform("0.42", None) == 25  # type: ignore[arg-type]


def test_money_with_a_currency_field_and_a_fallback(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: bill_rate, platform: Rate, transform: {money: {currency_field: Cur, currency: USD}}}
        """,
        "time_entries.TimeEntry",
    )
    reader_values = mapping.to_canonical(
        {"id": "1", "p": "9", "Rate": Decimal("152.1275"), "Cur": "EUR"}, MemoryContext()
    )
    assert reader_values.values["bill_rate"] == {"amount": "152.1275", "currency": "EUR"}
    fallback = mapping.to_canonical({"id": "1", "p": "9", "Rate": 100}, MemoryContext())
    assert fallback.values["bill_rate"] == {"amount": "100.00", "currency": "USD"}
    assert mapping.to_platform({"bill_rate": {"amount": "195.00", "currency": "GBP"}}, MemoryContext()) == {
        "Rate": Decimal("195.00"),
        "Cur": "GBP",
    }
    with pytest.raises(MappingFailure, match=r"Rate 'lots' is not a number"):
        mapping.to_canonical({"id": "1", "p": "9", "Rate": "lots"}, MemoryContext())


def test_money_in_minor_units(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - canonical: bill_rate
            platform: rate_in_cents
            transform: {money: {currency_field: currency, minor_units: true}}
        """,
        "time_entries.TimeEntry",
    )
    values = mapping.to_canonical(
        {"id": "1", "p": "9", "rate_in_cents": 19550, "currency": "USD"}, MemoryContext()
    )
    assert values.values["bill_rate"] == {"amount": "195.50", "currency": "USD"}
    yen = mapping.to_canonical(
        {"id": "1", "p": "9", "rate_in_cents": 12400, "currency": "JPY"}, MemoryContext()
    )
    assert yen.values["bill_rate"] == {"amount": "12400", "currency": "JPY"}
    assert mapping.to_platform({"bill_rate": {"amount": "195.50", "currency": "USD"}}, MemoryContext()) == {
        "rate_in_cents": 19550,
        "currency": "USD",
    }
    with pytest.raises(CannotEncode, match="has more decimals than the platform's minor units"):
        mapping.to_platform({"bill_rate": {"amount": "1.005", "currency": "USD"}}, MemoryContext())


def test_money_with_a_fixed_currency_refuses_another(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: bill_rate, platform: Rate, transform: {money: {currency: USD}}}
        """,
        "time_entries.TimeEntry",
    )
    assert mapping.to_platform({"bill_rate": {"amount": "10", "currency": "USD"}}, MemoryContext()) == {
        "Rate": Decimal(10)
    }
    with pytest.raises(CannotEncode, match=r"this field holds USD amounts only, not EUR 10\.00"):
        mapping.to_platform({"bill_rate": {"amount": "10", "currency": "EUR"}}, MemoryContext())


def test_money_without_a_currency_only_writes(
    errors_of: Callable[..., list[str]], mapping_of: MappingOf
) -> None:
    rules = "fields:\n  - {canonical: bill_rate, platform: rate, transform: money}\n"
    assert any(
        "say where the currency comes from" in line for line in errors_of(rules, "time_entries.TimeEntry")
    )
    mapping = mapping_of(
        rules.replace("transform: money}", "transform: money, direction: outbound}"), "time_entries.TimeEntry"
    )
    assert mapping.to_platform({"bill_rate": {"amount": "195.00", "currency": "EUR"}}, MemoryContext()) == {
        "rate": Decimal("195.00")
    }


# -- value tables ---------------------------------------------------------------------------------------


def test_enum_both_ways_and_an_unknown_value(mapping_of: MappingOf) -> None:
    mapping = one_rule(
        mapping_of,
        "  - {canonical: segment, platform: Seg, transform: {enum: {Big: Enterprise, Small: SMB}}}\n",
    )
    assert read(mapping, {"Seg": "Big"})["segment"] == "Enterprise"
    assert write(mapping, {"segment": "SMB"}) == {"Seg": "Small"}
    with pytest.raises(MappingFailure) as failure:
        read(mapping, {"Seg": "Huge"})
    assert str(failure.value) == (
        "salesforce Account 001A: Seg 'Huge' is not a value this mapping knows; it knows 'Big', 'Small' "
        "(mapping rule Account.Customer.yaml:11)"
    )
    with pytest.raises(CannotEncode) as refused:
        write(mapping, {"segment": "Mid"})
    assert "segment 'Mid' to salesforce Account: 'Mid' has no platform value in this mapping" in str(
        refused.value
    )


def test_enum_long_form_with_an_outbound_table_and_others_kept(mapping_of: MappingOf) -> None:
    mapping = one_rule(
        mapping_of,
        """
          - canonical: segment
            platform: Seg
            transform:
              enum:
                values: {Big: Enterprise, Large: Enterprise}
                outbound: {Enterprise: Large}
                others: keep
        """,
    )
    assert read(mapping, {"Seg": "Big"})["segment"] == "Enterprise"
    assert read(mapping, {"Seg": "Tiny"})["segment"] == "Tiny"
    assert write(mapping, {"segment": "Enterprise"}) == {"Seg": "Large"}
    assert write(mapping, {"segment": "Tiny"}) == {"Seg": "Tiny"}


def test_enum_keys_compare_as_text_and_are_written_as_given(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: status, platform: key, transform: {enum: {200: draft, "300": approved}}}
        """,
        "time_entries.TimeEntry",
    )
    transform = mapping.rules[0].transform
    assert transform.to_canonical("200", None) == "draft"  # type: ignore[arg-type]
    assert transform.to_canonical(300, None) == "approved"  # type: ignore[arg-type]
    assert transform.to_platform("draft", None) == 200  # type: ignore[arg-type]
    assert transform.to_platform("approved", None) == "300"  # type: ignore[arg-type]


def test_negate_both_ways(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        "fields:\n  - {canonical: billable, platform: non_billable, transform: negate}\n",
        "time_entries.TimeEntry",
    )
    assert mapping.rules[0].transform.to_canonical(True, None) is False  # type: ignore[arg-type]
    assert mapping.rules[0].transform.to_platform(False, None) is True  # type: ignore[arg-type]


def test_split_and_concat(mapping_of: MappingOf) -> None:
    mapping = one_rule(
        mapping_of,
        """
          - {canonical: billing_address.lines, platform: Street, transform: {split: ";"}}
          - {canonical: billing_address.city, platform: City}
          - {canonical: billing_address.country, platform: Country}
          - {canonical: segment, platform: [A, B], transform: {concat: "-"}, direction: inbound}
        """,
    )
    values = read(
        mapping, {"Street": "1 Main St; ;Suite 4", "City": "Leeds", "Country": "GB", "A": "x", "B": None}
    )
    assert values["billing_address"] == {"lines": ["1 Main St", "Suite 4"], "city": "Leeds", "country": "GB"}
    assert values["segment"] == "x"
    assert write(
        mapping, {"billing_address": {"lines": ["1 Main St", "Suite 4"], "city": "Leeds", "country": "GB"}}
    ) == {
        "Street": "1 Main St;Suite 4",
        "City": "Leeds",
        "Country": "GB",
    }


# -- links -----------------------------------------------------------------------------------------------


def test_lookup_through_the_cross_reference(mapping_of: MappingOf) -> None:
    mapping = mapping_of(
        """
        fields:
          - {canonical: project_id, platform: workspace_id, transform: {lookup: Project}}
        """,
        "time_entries.TimeEntry",
    )
    context = MemoryContext({"kantata": {"Project": {"55": "01HZY8P0Q2R4S6T8V0W2X4Y6ZA"}}})
    mapped = mapping.to_canonical({"id": "1", "workspace_id": "55"}, context)
    assert mapped.values["project_id"] == "01HZY8P0Q2R4S6T8V0W2X4Y6ZA"
    minted = mapping.to_canonical({"id": "1", "workspace_id": 56}, context).values["project_id"]
    assert len(minted) == 26
    assert context.system_id("kantata", "Project", minted) == "56"
    assert mapping.to_platform({"project_id": minted}, context) == {"workspace_id": "56"}
    with pytest.raises(CannotEncode, match="the Project 01HZY9AAAAAAAAAAAAAAAAAAAA is not in kantata yet"):
        mapping.to_platform({"project_id": "01HZY9AAAAAAAAAAAAAAAAAAAA"}, context)


def test_lookup_must_name_a_canonical_object(errors_of: Callable[..., list[str]]) -> None:
    found = errors_of(
        "fields:\n  - {canonical: project_id, platform: w, transform: {lookup: Projekt}}\n",
        "time_entries.TimeEntry",
    )
    assert any("such as {lookup: Customer}" in line and "(did you mean 'Project'?)" in line for line in found)


def test_reference_table_both_ways(mapping_of: MappingOf) -> None:
    mapping = one_rule(
        mapping_of,
        """
          - canonical: legal_entity_code
            platform: subsidiary
            id_object: true
            transform: {reference: {table: subsidiary_code, reverse: subsidiary_id}}
        """,
    )
    context = MemoryContext(references={"subsidiary_code": {"3": "DE"}, "subsidiary_id": {"DE": "3"}})
    assert read(mapping, {"subsidiary": "3"}, context)["legal_entity_code"] == "DE"
    assert read(mapping, {"subsidiary": {"id": "3", "refName": "GmbH"}}, context)["legal_entity_code"] == "DE"
    assert write(mapping, {"legal_entity_code": "DE"}, context) == {"subsidiary": {"id": "3"}}
    assert write(mapping, {"legal_entity_code": None}, context) == {"subsidiary": None}
    with pytest.raises(
        MappingFailure, match="'9' is not in the reference table 'subsidiary_code'; add it there"
    ):
        read(mapping, {"subsidiary": "9"}, context)
    assert mapping.reference_tables() == frozenset({"subsidiary_code", "subsidiary_id"})
