"""Token endpoint grants (password, client credentials, JWT bearer with a key pair made here), SOAP
login faults, and session expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sf_support import API, CLIENT_ID, CLIENT_SECRET, VERSION, Org, loopback_session
from simple_salesforce import Salesforce

from concord.sandbox.salesforce import DEFAULT_USERNAME, INTEGRATION_USER_ID

JWT_APP = "concord-jwt-app"


def key_pair() -> tuple[rsa.RSAPrivateKey, str]:
    """An RSA key and a self-signed certificate for it (PEM), as uploaded to a connected app."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "concord-test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def signer() -> tuple[rsa.RSAPrivateKey, str]:
    return key_pair()


def token_request(client: httpx.Client, **form: str) -> httpx.Response:
    return client.post("/services/oauth2/token", data=form)


def assertion(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    claims = {
        "iss": JWT_APP,
        "sub": DEFAULT_USERNAME,
        "aud": "https://login.salesforce.com",
        "exp": int(time.time()) + 180,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256")


def test_password_grant_token_shape(org: Org) -> None:
    response = token_request(
        org.client,
        grant_type="password",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username=DEFAULT_USERNAME.upper(),
        password="sandbox-password",
    )
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "scope",
        "issued_at",
        "signature",
    }
    assert body["access_token"].startswith("00D") and "!" in body["access_token"]
    assert body["instance_url"] == org.server.base_url and body["token_type"] == "Bearer"
    assert body["id"].endswith(f"/{INTEGRATION_USER_ID}")


@pytest.mark.parametrize(
    ("form", "error", "description"),
    [
        (
            {"grant_type": "password", "client_id": "nope", "client_secret": "x"},
            "invalid_client_id",
            "client identifier invalid",
        ),
        (
            {"grant_type": "password", "client_id": CLIENT_ID, "client_secret": "wrong"},
            "invalid_client",
            "invalid client credentials",
        ),
        (
            {
                "grant_type": "password",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "username": DEFAULT_USERNAME,
                "password": "bad",
            },
            "invalid_grant",
            "authentication failure",
        ),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_token_errors(org: Org, form: dict[str, str], error: str, description: str) -> None:
    response = token_request(org.client, **form)
    assert response.status_code == 400
    assert response.json() == {"error": error, "error_description": description}


def test_client_credentials_with_basic_auth(org: Org) -> None:
    ok = org.client.post(
        "/services/oauth2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET)
    )
    assert ok.status_code == 200, ok.text
    headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert org.client.get(f"{API}/limits", headers=headers).status_code == 200
    refused = org.client.post(
        "/services/oauth2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, "x")
    )
    assert refused.json()["error"] == "invalid_client"


def test_jwt_bearer_grant(org: Org, signer: tuple[rsa.RSAPrivateKey, str]) -> None:
    key, certificate = signer
    registered = org.client.post(
        "/__sandbox/salesforce/connected-apps",
        json={"client_id": JWT_APP, "client_secret": "jwt-secret", "certificate": certificate},
    )
    assert registered.status_code == 201, registered.text
    grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ok = token_request(org.client, grant_type=grant, assertion=assertion(key))
    assert ok.status_code == 200, ok.text
    assert ok.json()["id"].endswith(INTEGRATION_USER_ID)
    # The instance URL is an accepted audience too (My Domain logins).
    assert (
        token_request(
            org.client, grant_type=grant, assertion=assertion(key, aud=org.server.base_url)
        ).status_code
        == 200
    )

    other_key, _ = key_pair()
    cases = [
        (assertion(other_key), "invalid_grant", "invalid assertion"),
        (assertion(key, aud="https://example.com"), "invalid_grant", "audience is invalid"),
        (assertion(key, exp=int(time.time()) - 10), "invalid_grant", "expired authorization code"),
        (assertion(key, iss="unknown-app"), "invalid_client_id", "client identifier invalid"),
        (assertion(key, sub="ghost@concord.sandbox"), "invalid_grant", "user hasn't approved this consumer"),
        ("not-a-jwt", "invalid_grant", "invalid assertion"),
    ]
    for token, error, description in cases:
        refused = token_request(org.client, grant_type=grant, assertion=token)
        assert (refused.status_code, refused.json()) == (
            400,
            {"error": error, "error_description": description},
        )


def test_simple_salesforce_jwt_login(org: Org, signer: tuple[rsa.RSAPrivateKey, str]) -> None:
    key, certificate = signer
    org.client.post(
        "/__sandbox/salesforce/connected-apps",
        json={"client_id": JWT_APP, "client_secret": "jwt-secret", "certificate": certificate},
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    sf = Salesforce(
        username=DEFAULT_USERNAME,
        consumer_key=JWT_APP,
        privatekey=pem,
        version=VERSION,
        session=loopback_session(org.server.base_url),
    )
    assert sf.Account.create({"Name": "Signed in by JWT"})["success"] is True


def test_soap_login_fault_and_session_expiry(org: Org) -> None:
    fault = org.client.post(
        "/services/Soap/u/59.0",
        content=b"<Envelope><Body><login><username>integration@concord.sandbox</username>"
        b"<password>wrong</password></login></Body></Envelope>",
        headers={"Content-Type": "text/xml", "SOAPAction": "login"},
    )
    assert fault.status_code == 500
    assert "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>" in fault.text

    assert org.call("GET", "limits").status_code == 200
    org.admin("PUT", "clock", json={"advance_s": 3 * 3600})
    expired = org.call("GET", "limits")
    assert expired.status_code == 401 and expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_userinfo_names_the_org_and_user(org: Org) -> None:
    info = org.client.get("/services/oauth2/userinfo").json()
    assert info["user_id"] == INTEGRATION_USER_ID and info["organization_id"].startswith("00D")
    assert info["preferred_username"] == DEFAULT_USERNAME
    refused = org.client.get("/services/oauth2/userinfo", headers={"Authorization": "Bearer stale"})
    assert (refused.status_code, refused.text) == (403, "Bad_OAuth_Token")
