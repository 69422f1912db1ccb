"""Every canonical object survives a JSON round trip unchanged, with no float anywhere on the wire."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from concord.domain.objects import ENVELOPE_FIELDS, CanonicalRecord, business_messages
from concord.domain.schemas import CANONICAL_MODELS

from .samples import all_records

RECORDS = all_records()


def _no_floats(text: str) -> Any:
    def refuse(number: str) -> Decimal:
        raise AssertionError(f"a JSON number with a fraction was sent: {number}")

    return json.loads(text, parse_float=refuse)


def test_the_samples_cover_every_registered_object() -> None:
    assert set(RECORDS) == set(CANONICAL_MODELS)
    assert len(CANONICAL_MODELS) == 20


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_json_round_trip(name: str) -> None:
    record = RECORDS[name]
    text = record.model_dump_json()
    again = CANONICAL_MODELS[name].model_validate_json(text)
    assert again == record
    assert again.model_dump_json() == text


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_python_round_trip(name: str) -> None:
    record = RECORDS[name]
    assert CANONICAL_MODELS[name].model_validate(record.model_dump()) == record


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_no_float_on_the_wire(name: str) -> None:
    document = _no_floats(RECORDS[name].model_dump_json())
    assert set(ENVELOPE_FIELDS) <= set(document)


def test_money_travels_as_amount_and_currency_strings() -> None:
    document = json.loads(RECORDS["TimeEntry"].model_dump_json())
    assert document["bill_rate"] == {"amount": "150.00", "currency": "USD"}
    assert document["hours"] == "7.50"
    assert document["source_changed_at"] == "2026-03-12T17:30:00Z"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_every_model_declares_name_and_version(name: str) -> None:
    model: type[CanonicalRecord] = CANONICAL_MODELS[name]
    assert model.SCHEMA_NAME == name == model.__name__
    assert model.SCHEMA_VERSION == 1


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(RECORDS)), data=st.data())
def test_bad_input_gets_a_validation_error_never_a_crash(name: str, data: st.DataObject) -> None:
    document = json.loads(RECORDS[name].model_dump_json())
    field = data.draw(st.sampled_from(sorted(document)))
    document[field] = data.draw(JSON_VALUES)
    try:
        CANONICAL_MODELS[name].model_validate_json(json.dumps(document))
    except ValidationError as error:
        assert all(message for message in business_messages(error))
