"""OAuth 2.0 client credentials with a JWT assertion, and bearer checks on the REST services."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from ns_support import (
    CERT_ID,
    CLIENT_ID,
    TOKEN_PATH,
    Emulator,
    NetSuiteClient,
    assertion,
    error_detail,
    fetch_token,
    http_get,
    http_post,
    public_pem,
    token_form,
)


def test_token_flow_issues_a_one_hour_bearer_token_that_opens_the_record_api(ns: NetSuiteClient) -> None:
    emulator_url = ns.base_url
    key = ec.generate_private_key(ec.SECP256R1())
    registered = ns.admin.put(f"/netsuite/certificates/{CLIENT_ID}/second-cert", content=public_pem(key))
    assert registered.status_code == 204

    response = fetch_token(emulator_url, assertion(key, emulator_url, kid="second-cert"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer"
    listed = http_get(
        emulator_url + "/services/rest/record/v1/customer",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert listed.status_code == 200 and listed.json()["totalResults"] == 0


def test_ps256_assertion_signed_with_a_3072_bit_rsa_key_is_accepted(ns: NetSuiteClient) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    assert (
        ns.admin.put(f"/netsuite/certificates/{CLIENT_ID}/rsa-cert", content=public_pem(key)).status_code
        == 204
    )

    response = fetch_token(ns.base_url, assertion(key, ns.base_url, alg="PS256", kid="rsa-cert"))

    assert response.status_code == 200, response.text


def test_short_rsa_keys_cannot_be_mapped(ns: NetSuiteClient) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = ns.admin.put(f"/netsuite/certificates/{CLIENT_ID}/weak", content=public_pem(key))
    assert response.status_code == 400
    assert "3072" in response.json()["detail"]


def _claims(**overrides: Any) -> dict[str, Any]:
    return overrides


@pytest.mark.parametrize(
    ("case", "alg", "kid", "claims", "expected"),
    [
        ("unknown certificate", "ES256", "other-cert", {}, "invalid_client"),
        ("unknown client", "ES256", CERT_ID, _claims(iss="someone-else"), "invalid_client"),
        (
            "expired",
            "ES256",
            CERT_ID,
            _claims(iat=int(time.time()) - 900, exp=int(time.time()) - 60),
            "invalid_grant",
        ),
        # iat and exp are both fixed here, at collection time: only their distance matters.
        (
            "lives over an hour",
            "ES256",
            CERT_ID,
            _claims(iat=int(time.time()), exp=int(time.time()) + 3700),
            "invalid_grant",
        ),
        ("wrong audience", "ES256", CERT_ID, _claims(aud="https://evil.example/token"), "invalid_grant"),
        ("unknown scope", "ES256", CERT_ID, _claims(scope="everything"), "invalid_scope"),
        ("no iat", "ES256", CERT_ID, _claims(iat=None), "invalid_request"),
    ],
)
def test_bad_assertions_are_refused_with_oauth_errors(
    emulator: Emulator, case: str, alg: str, kid: str, claims: dict[str, Any], expected: str
) -> None:
    response = fetch_token(
        emulator.base_url, assertion(emulator.key, emulator.base_url, alg=alg, kid=kid, claims=claims)
    )
    assert response.status_code == 400, case
    assert response.json() == {"error": expected}, case


def test_rs256_is_refused_like_netsuite_since_march_2025(emulator: Emulator) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    response = fetch_token(emulator.base_url, assertion(key, emulator.base_url, alg="RS256"))
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def test_signature_from_another_key_is_refused(emulator: Emulator) -> None:
    impostor = ec.generate_private_key(ec.SECP256R1())
    response = fetch_token(emulator.base_url, assertion(impostor, emulator.base_url))
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "invalid_request"),
        (
            {"grant_type": "client_credentials", "client_assertion_type": "x", "client_assertion": "a.b.c"},
            "invalid_request",
        ),
        ({"client_assertion": "a.b.c"}, "invalid_request"),
    ],
)
def test_malformed_token_requests(emulator: Emulator, form: dict[str, str], expected: str) -> None:
    response = http_post(emulator.base_url + TOKEN_PATH, data=form)
    assert response.status_code == 400 and response.json() == {"error": expected}


def test_token_request_must_be_form_encoded(emulator: Emulator) -> None:
    body = token_form(assertion(emulator.key, emulator.base_url))
    response = http_post(emulator.base_url + TOKEN_PATH, json=body)
    assert response.json() == {"error": "invalid_request"}


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic dXNlcjpwdw=="])
def test_requests_without_a_valid_token_get_invalid_login(
    emulator: Emulator, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = http_get(emulator.base_url + "/services/rest/record/v1/customer/1", headers=headers)
    assert response.status_code == 401
    assert error_detail(response)["o:errorCode"] == "INVALID_LOGIN"
    assert response.json()["title"] == "Unauthorized"
    assert response.headers["www-authenticate"].startswith('Bearer realm="1234567"')


def test_access_token_expires_after_an_hour_of_emulator_time(ns: NetSuiteClient) -> None:
    assert ns.http.get("/record/v1/customer").status_code == 200
    assert ns.admin.put("/clock", json={"advance_s": 3601}).status_code == 200
    response = ns.http.get("/record/v1/customer")
    assert response.status_code == 401
    assert error_detail(response)["o:errorCode"] == "INVALID_LOGIN"


def test_token_without_rest_webservices_scope_cannot_call_rest(emulator: Emulator) -> None:
    claims = {"scope": "restlets"}
    token = fetch_token(emulator.base_url, assertion(emulator.key, emulator.base_url, claims=claims)).json()
    response = http_get(
        emulator.base_url + "/services/rest/record/v1/customer",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert response.status_code == 401


def test_assertion_may_name_netsuites_own_token_url_as_audience(emulator: Emulator) -> None:
    aud = "https://1234567.suitetalk.api.netsuite.com" + TOKEN_PATH
    response = fetch_token(emulator.base_url, assertion(emulator.key, emulator.base_url, claims={"aud": aud}))
    assert response.status_code == 200
    decoded = jwt.decode(assertion(emulator.key, emulator.base_url), options={"verify_signature": False})
    assert decoded["iss"] == CLIENT_ID
