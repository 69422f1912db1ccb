"""Hostile or malformed input gets a NetSuite-shaped 4xx, never a server error."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from ns_support import CERT_ID, Emulator, NetSuiteClient, assertion, error_detail, fetch_token

DEEP_JSON = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/record/v1/subsidiary", DEEP_JSON),
        ("/record/v1/subsidiary", '{"name": "x", "parent": {"id": true}}'),
        ("/record/v1/serviceItem", '{"itemId": "x", "rate": 1e400}'),
        ("/record/v1/serviceItem", '{"itemId": "x", "rate": NaN}'),
        ("/record/v1/serviceItem", '{"itemId": "x", "rate": 0.0000000000000001}'),
        (
            "/record/v1/salesOrder",
            '{"entity": {"id": "1"}, "item": {"items": '
            '[{"item": {"id": "1"}, "quantity": 1e11, "rate": 1e11}]}}',
        ),
        ("/record/v1/timeBill", '{"employee": {"id": "99999999999999999999999"}, "hours": "99:99"}'),
        (
            "/record/v1/customer",
            '{"companyName": "x", "subsidiary": {"id": "1"}, "custentity_x": {"nested": [1]}}',
        ),
        ("/record/v1/salesOrder", '{"entity": {"id": "1"}, "item": [1, 2]}'),
        ("/record/v1/salesOrder", '{"entity": {"id": "1"}, "item": {"items": [{"line": "x"}]}}'),
    ],
)
def test_bad_record_bodies(ns: NetSuiteClient, path: str, body: str) -> None:
    ids = ns.seed_basics()
    assert ids["customer"] == "1" and ids["subsidiary"] == "1"
    response = ns.http.post(path, content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    error_detail(response)


@pytest.mark.parametrize(
    "q",
    [
        "SELECT id FROM customer WHERE " + "(" * 5000 + "id = 1" + ")" * 5000,
        "SELECT id FROM customer WHERE id = 1.2.3",
        "SELECT SUM(companyname) FROM customer",
        "SELECT id FROM customer WHERE datecreated > 5",
        "SELECT TO_CHAR(datecreated, 'QQQ') FROM customer",
        "SELECT id FROM customer WHERE companyname LIKE '%(' ",
        "SELECT id, COUNT(*) FROM customer",
        "SELECT NVL(id) FROM customer",
        "SELECT id FROM customer WHERE id IN (SELECT id FROM job)",
        "SELECT 'unterminated FROM customer",
    ],
)
def test_bad_queries(ns: NetSuiteClient, q: str) -> None:
    ns.seed_basics()
    response = ns.suiteql(q)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert error_detail(response)["o:errorCode"] == "INVALID_PARAMETER"


@pytest.mark.parametrize(
    "path",
    [
        "/async/v1/job/123456789012345678901234567890",
        "/record/v1/customer/123456789012345678901234567890",
        "/record/v1/customer/%EF%BC%91",
        "/record/v1/customer/1/nosuchsublist",
        "/record/v1/customer/eid:",
        "/record/v1/metadata-catalog/nosuchtype",
    ],
)
def test_odd_urls(ns: NetSuiteClient, path: str) -> None:
    response = ns.http.get(path)
    assert 400 <= response.status_code < 500, response.text
    error_detail(response)


def test_assertion_with_a_header_for_another_key_family(emulator: Emulator) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = assertion(rsa_key, emulator.base_url, alg="PS256", kid=CERT_ID)
    response = fetch_token(emulator.base_url, forged)
    assert response.status_code == 400 and response.json() == {"error": "invalid_client"}
