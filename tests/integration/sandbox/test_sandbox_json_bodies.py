"""Request bodies: the emulators read most bodies with orjson and fall back to ``json`` where orjson would
read them differently, so money stays exact and integers stay integers whatever the size."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from concord.sandbox.kantata.http import parse_json as kantata_json
from concord.sandbox.salesforce.api.request import parse_json as salesforce_json
from concord.sandbox.salesforce.errors import SalesforceApiError

EXACT: list[tuple[bytes, Any]] = [
    (b'{"Amount": 1234.10, "n": 2}', {"Amount": Decimal("1234.10"), "n": 2}),
    (b'{"rate": 1e2}', {"rate": Decimal("1E+2")}),
    (b'{"big": 123456789012345678901234567890}', {"big": 123456789012345678901234567890}),
    (b'{"low": -9223372036854775809, "high": 18446744073709551616}', {"low": -(2**63) - 1, "high": 2**64}),
    (b'{"edge": 9223372036854775807}', {"edge": 2**63 - 1}),
    (b'{"text": "1.5 hours, ref 12345678901234567890"}', {"text": "1.5 hours, ref 12345678901234567890"}),
    (b'{"a": [1, {"b": 0.5}]}', {"a": [1, {"b": Decimal("0.5")}]}),
]


@pytest.mark.parametrize("parse", [salesforce_json, kantata_json], ids=["salesforce", "kantata"])
@pytest.mark.parametrize(("raw", "expected"), EXACT)
def test_numbers_are_read_exactly(parse: Any, raw: bytes, expected: Any) -> None:
    parsed = parse(raw)

    assert parsed == expected
    assert repr(parsed) == repr(expected)  # Decimal stays Decimal, int stays int: no float anywhere


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": NaN}', "Non-standard token 'NaN' at [line:1, column:1]"),
        (b'{"a":', "Unexpected character (Expecting value) at [line:1, column:6]"),
        (b"", "No content to map due to end-of-input at [line:1, column:0]"),
    ],
)
def test_salesforce_refuses_bad_bodies_with_its_parser_error(raw: bytes, message: str) -> None:
    with pytest.raises(SalesforceApiError) as refused:
        salesforce_json(raw)

    assert refused.value.body() == [{"message": message, "errorCode": "JSON_PARSER_ERROR", "fields": []}]
