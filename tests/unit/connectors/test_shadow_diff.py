"""The shadow diff: a would-be write against the record a target holds, field by field, with differences
of form (number spellings, reference objects, empty values) not counted and differences of value always
counted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from concord.connectors.shadow_diff import CREATE, UNCHANGED, UNREAD, UPDATE, compare, normalise, same

NAMES = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**9), 10**9),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**6), max_value=10**6),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(NAMES, inner, max_size=3)),
    max_leaves=8,
)
BODIES = st.dictionaries(NAMES, VALUES, max_size=6)


def test_numbers_are_compared_by_value_whatever_their_spelling() -> None:
    assert same("10.0", "10.00")
    assert same(Decimal("105600.00"), 105600)
    assert same("0.50", 0.5)
    assert same("-0.00", 0)
    assert not same("10.01", "10.0")


def test_text_that_only_looks_numeric_stays_text() -> None:
    assert not same("02134", "2134")  # a postal code keeps its leading zero
    assert not same("1e3", 1000)
    assert not same("Acme", "Acme ")


def test_booleans_are_not_numbers() -> None:
    assert not same(True, 1)
    assert not same(False, "0")
    assert same(False, False)


def test_a_reference_is_its_id() -> None:
    assert same({"id": "7"}, "7")
    assert same({"id": "7", "refName": "US Dollar", "links": []}, {"id": 7})
    assert not same({"id": "7"}, "8")
    # An object with more than an id is a record, not a reference.
    assert not same({"id": "7", "amount": "1"}, "7")


def test_no_value_is_no_value_in_every_form() -> None:
    assert all(same(empty, None) for empty in ("", "   ", [], {}, None))
    assert same({"city": "Springfield", "zip": None}, {"city": "Springfield"})
    assert not same("", "x")


def test_lists_compare_in_order() -> None:
    assert same([{"amount": "1.0"}, {"amount": 2}], [{"amount": 1}, {"amount": "2.00"}])
    assert not same([1, 2], [2, 1])


def test_no_record_is_a_create_listing_every_field() -> None:
    body = {"companyName": "Globex", "subsidiary": {"id": "1"}}
    result = compare(body, None, ())
    assert result.action == CREATE
    assert result.diff == {
        "companyName": {"current": None, "would_write": "Globex"},
        "subsidiary": {"current": None, "would_write": {"id": "1"}},
    }


def test_an_update_lists_only_the_fields_that_differ_and_those_it_could_not_read() -> None:
    body = {"companyName": "Globex Corporation", "currency": {"id": "1"}, "isPerson": False, "terms": None}
    current = {"companyName": "Globex Corp", "currency": "1", "email": "ar@globex.example"}
    result = compare(body, current, readable={"companyName", "currency", "terms"})
    assert result.action == UPDATE
    assert result.diff == {"companyName": {"current": "Globex Corp", "would_write": "Globex Corporation"}}
    assert result.unread == {"isPerson": False}


def test_equal_readable_fields_are_unchanged_and_nothing_readable_is_unread() -> None:
    body = {"amount": "10.00", "memo": "x"}
    assert compare(body, {"amount": 10, "memo": "x"}, {"amount", "memo"}).action == UNCHANGED
    assert compare(body, {"amount": 10}, {"amount"}).unread == {"memo": "x"}
    nothing = compare(body, {}, ())
    assert (nothing.action, nothing.diff, nothing.unread) == (UNREAD, {}, body)


@given(VALUES)
def test_normalising_is_stable_and_a_value_equals_itself(value: Any) -> None:
    assert same(value, value)
    assert normalise(normalise(value)) == normalise(value)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9))
def test_a_decimal_equals_its_text_with_any_trailing_zeros(amount: Decimal) -> None:
    assert same(amount, f"{amount:f}")
    assert same(f"{amount:f}", f"{amount.quantize(Decimal('0.000001')):f}")


@given(BODIES)
def test_a_body_against_itself_as_the_record_changes_nothing(body: dict[str, Any]) -> None:
    result = compare(body, body, set(body))
    assert result.diff == {}
    assert result.action == UNCHANGED


@given(BODIES, NAMES, st.text(alphabet="xyz", min_size=1, max_size=4))
def test_changing_one_readable_field_reports_exactly_that_field(
    body: dict[str, Any], name: str, value: str
) -> None:
    current = {**body, name: f"was-{value}"}
    written = {**body, name: value}
    result = compare(written, current, set(written))
    assert result.action == UPDATE
    assert result.diff == {name: {"current": f"was-{value}", "would_write": value}}
