"""The NetSuite spec's validation, the client assertion's claims, addresses, idempotency UUIDs, the change
cursor and the change query."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import ValidationError

from concord.connectors.netsuite import (
    ChangeSource,
    ExternalId,
    NetSuiteSpec,
    StampCursor,
    id_from_location,
    idempotency_uuid,
    record_path,
)
from concord.connectors.netsuite.auth import build_assertion
from concord.connectors.netsuite.links import HostGuard
from concord.engine.errors import CannotEncode, PermanentError


@cache
def ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def spec(**overrides: Any) -> NetSuiteSpec:
    options: dict[str, Any] = {
        "account_id": "1234567_SB1",
        "client_id": "client-1",
        "certificate_id": "cert-1",
        "private_key": ec_pem(),
        "algorithm": "ES256",
    }
    options.update(overrides)
    return NetSuiteSpec(**options)


def test_the_real_host_comes_from_the_account_id() -> None:
    real = spec()
    assert real.api_url == "https://1234567-sb1.suitetalk.api.netsuite.com"
    assert (
        real.token_url == "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"
    )
    assert spec(base_url="http://127.0.0.1:8123/").api_url == "http://127.0.0.1:8123"
    assert real.rate.max_concurrency == 5 and real.query_page_size == 1000
    assert spec(scopes="restlets, rest_webservices").scopes == ("restlets", "rest_webservices")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"account_id": "12 34"}, "should look like 1234567 or 1234567_SB1"),
        ({"base_url": "ftp://x"}, "not an http(s) URL"),
        ({"scopes": ["restlets"]}, "must include rest_webservices"),
        ({"scopes": ["rest_webservices", "everything"]}, "unknown scopes ['everything']"),
        ({"private_key_path": Path("/k.pem")}, "either private_key (PEM) or private_key_path"),
        ({"private_key": None}, "either private_key (PEM) or private_key_path"),
        ({"algorithm": "RS256"}, "algorithm"),
        ({"assertion_ttl_s": 7200}, "assertion_ttl_s"),
        ({"query_page_size": 5000}, "query_page_size"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_mistakes_are_refused_with_a_fix(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        spec(**overrides)
    assert message in str(refused.value)


def test_the_private_key_is_a_secret() -> None:
    configured = spec()
    assert "BEGIN PRIVATE KEY" not in repr(configured) and "BEGIN PRIVATE KEY" not in str(
        configured.model_dump()
    )


def test_the_client_assertion_has_netsuites_claims() -> None:
    configured = spec()
    token = build_assertion(configured, now=1_767_000_000)
    header = jwt.get_unverified_header(token)
    key = serialization.load_pem_private_key(ec_pem().encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    claims = jwt.decode(
        token,
        key.public_key(),
        algorithms=["ES256"],
        audience=configured.token_url,
        options={"verify_exp": False},
    )
    assert header == {"alg": "ES256", "typ": "JWT", "kid": "cert-1"}
    assert claims == {
        "iss": "client-1",
        "scope": ["restlets", "rest_webservices"],
        "aud": configured.token_url,
        "iat": 1_767_000_000,
        "exp": 1_767_000_300,
    }


def test_unusable_keys_are_permanent_errors_that_do_not_quote_the_key(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="not an unencrypted PEM private key") as garbage:
        build_assertion(spec(private_key="-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----"))
    assert "c2VjcmV0" not in str(garbage.value)
    with pytest.raises(PermanentError, match="cannot read the NetSuite private key file"):
        build_assertion(spec(private_key=None, private_key_path=tmp_path / "missing.pem"))
    with pytest.raises(PermanentError, match="ES384 needs an EC private key on the secp384r1 curve"):
        build_assertion(spec(algorithm="ES384"))


def test_addresses() -> None:
    assert (
        record_path("customer", ExternalId("01J9Z CRM"))
        == "/services/rest/record/v1/customer/eid:01J9Z%20CRM"
    )
    assert record_path("timeBill", "eid:TE-1") == "/services/rest/record/v1/timeBill/eid:TE-1"
    assert record_path("invoice", "647") == "/services/rest/record/v1/invoice/647"
    for bad in (
        lambda: record_path("cust omer"),
        lambda: record_path("customer", "12a"),
        lambda: ExternalId("a/b"),
    ):
        with pytest.raises(CannotEncode):
            bad()
    assert id_from_location("https://h/services/rest/record/v1/customer/647") == "647"
    assert id_from_location("https://h/services/rest/async/v1/job/abc") is None
    guard = HostGuard("https://1234567.suitetalk.api.netsuite.com")
    assert (
        guard.check("https://1234567.SUITETALK.api.netsuite.com/x")
        == "https://1234567.SUITETALK.api.netsuite.com/x"
    )
    with pytest.raises(PermanentError, match="not the configured host"):
        guard.check("https://evil.example/services/rest/async/v1/job/1")


def test_idempotency_uuids_are_deterministic_per_key_and_generation() -> None:
    key = "flow:01J9ZP5Q/step:create-invoice"
    assert idempotency_uuid(key) == idempotency_uuid(key) and idempotency_uuid(key).version == 5
    assert len({idempotency_uuid(key), idempotency_uuid(key, 1), idempotency_uuid(key + "x")}) == 3
    with pytest.raises(ValueError):
        idempotency_uuid("")


def test_the_cursor_round_trips_and_refuses_foreign_text() -> None:
    cursor = StampCursor(
        datetime(2026, 3, 2, 9, 0, 5), {"12": (1_772_442_005, "abc123")}, datetime(2026, 3, 1)
    )
    assert StampCursor.decode(cursor.encode()) == cursor
    assert StampCursor.decode(None) == StampCursor() == StampCursor.decode("")
    for text in ("{}", "[1]", '{"v": 2}', "not json", '{"v": 1, "seen": {"1": [1]}}'):
        with pytest.raises(ValueError, match="NetSuite change cursor"):
            StampCursor.decode(text)


def test_a_backfill_cursor_from_an_aware_moment_uses_the_account_zone() -> None:
    since = StampCursor.starting_at(
        datetime(2026, 3, 2, 14, 0, 0, 500_000, tzinfo=UTC), ZoneInfo("America/New_York")
    )
    assert since.stamp == datetime(2026, 3, 2, 9, 0, 1) and since.floor == datetime(2026, 3, 2, 9, 0, 0)
    with pytest.raises(ValueError, match="zone"):
        StampCursor.starting_at(datetime(2026, 3, 2, tzinfo=UTC))


def test_the_change_query_pages_by_key() -> None:
    source = ChangeSource("transaction", ("tranid", "id", "foreigntotal"), where="type = 'CustInvc'")
    stamp = 1_772_442_005  # 2026-03-02 09:00:05
    assert source.sql(None, None) == (
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS concord_stamp, "
        "tranid, foreigntotal FROM transaction WHERE (type = 'CustInvc') ORDER BY lastmodifieddate, id"
    )
    at = "TO_TIMESTAMP('2026-03-02 09:00:05', 'YYYY-MM-DD HH24:MI:SS')"
    assert (
        f"WHERE lastmodifieddate >= {at} AND (lastmodifieddate > {at} OR id > 647) AND (type"
        in source.sql(stamp, 647)
    )
    with pytest.raises(CannotEncode):
        ChangeSource("customer", ("name; DROP",))


def test_a_table_without_stamps_is_read_whole_by_id() -> None:
    source = ChangeSource("accountingperiod", ("periodname", "closed"), stamp_column=None)
    assert source.sql(None, None) == "SELECT id, periodname, closed FROM accountingperiod ORDER BY id"
    # However far the cursor stands, only the id pages: there is no modification time to narrow by.
    assert source.sql(1_772_442_005, 12) == (
        "SELECT id, periodname, closed FROM accountingperiod WHERE id > 12 ORDER BY id"
    )
