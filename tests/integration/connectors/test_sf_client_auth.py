"""The Salesforce client logs in with both grants over the real token endpoint, renews its token
transparently after the org expires it, refuses bad credentials permanently, and never logs a secret."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sf_client_support import CLIENT_ID, CLIENT_SECRET, Emulator, run

from concord.connectors.http import classify
from concord.connectors.salesforce import SalesforceClient, SalesforceSpec
from concord.engine.errors import PermanentError
from concord.sandbox.salesforce import DEFAULT_USERNAME

JWT_APP = "concord-connector-jwt"
TOKEN_PATH = "/services/oauth2/token"


@pytest.fixture(scope="module")
def key_pem() -> tuple[str, str]:
    """A private key (PEM) and the self-signed certificate uploaded to the connected app."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "concord-connector-test")])
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
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, certificate.public_bytes(serialization.Encoding.PEM).decode()


def jwt_spec(emulator: Emulator, key_pem: tuple[str, str], **auth: object) -> SalesforceSpec:
    emulator.ok(
        "POST",
        "salesforce/connected-apps",
        json={"client_id": JWT_APP, "client_secret": "unused-jwt-secret", "certificate": key_pem[1]},
    )
    options = {"kind": "jwt_bearer", "consumer_key": JWT_APP, "username": DEFAULT_USERNAME, **auth}
    if "private_key_path" not in auth:
        options["private_key"] = key_pem[0]
    return emulator.spec(auth=options)


async def reads_after_expiry(client: SalesforceClient, emulator: Emulator, parallel: int) -> list[int]:
    """One call, then the org expires every token, then ``parallel`` calls at once."""
    await client.limits()
    assert emulator.expire_tokens() >= 1
    results = await asyncio.gather(*(client.limits() for _ in range(parallel)))
    return [body["DailyApiRequests"]["Max"] for body in results]


def test_client_credentials_token_is_renewed_once_for_all_callers_after_expiry(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with SalesforceClient(emulator.spec()) as client:
            assert await reads_after_expiry(client, emulator, parallel=8) == [100_000] * 8
            assert client.tokens.grants_run == 2

    run(scenario())
    assert emulator.count(path=TOKEN_PATH, status=200) == 2
    assert emulator.count(status=401) >= 1  # the expired token was refused, then replaced


def test_jwt_bearer_logs_in_and_renews(emulator: Emulator, key_pem: tuple[str, str], tmp_path: Path) -> None:
    key_file = tmp_path / "server.key"
    key_file.write_text(key_pem[0])

    async def scenario(spec: SalesforceSpec) -> None:
        async with SalesforceClient(spec) as client:
            assert await reads_after_expiry(client, emulator, parallel=3) == [100_000] * 3
            assert client.tokens.grants_run == 2

    run(scenario(jwt_spec(emulator, key_pem)))
    run(scenario(jwt_spec(emulator, key_pem, private_key_path=str(key_file))))
    assert emulator.count(path=TOKEN_PATH, status=200) == 4


@pytest.mark.parametrize("grant", ["client_credentials", "jwt_bearer"])
def test_refused_credentials_are_permanent(emulator: Emulator, key_pem: tuple[str, str], grant: str) -> None:
    if grant == "client_credentials":
        spec = emulator.spec(
            auth={"kind": grant, "consumer_key": CLIENT_ID, "consumer_secret": "not-the-secret"}
        )
    else:
        spec = jwt_spec(emulator, key_pem, username="nobody@example.com")

    async def scenario() -> PermanentError:
        async with SalesforceClient(spec) as client:
            with pytest.raises(PermanentError) as refused:
                await client.limits()
            return refused.value

    error = run(scenario())
    verdict = classify(error)
    assert not verdict.transient
    assert "refused the credentials" in verdict.reason
    assert ("invalid_client" if grant == "client_credentials" else "invalid_grant") in verdict.reason


def test_no_secret_reaches_the_logs(
    emulator: Emulator, key_pem: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    tokens: list[str] = []

    async def scenario(spec: SalesforceSpec) -> None:
        async with SalesforceClient(spec) as client:
            await reads_after_expiry(client, emulator, parallel=2)
            assert client.tokens.cached is not None
            tokens.append(client.tokens.cached.value)

    with caplog.at_level(logging.DEBUG), structlog.testing.capture_logs() as events:
        for spec in (emulator.spec(), jwt_spec(emulator, key_pem)):
            assert CLIENT_SECRET not in repr(spec) and key_pem[0] not in repr(spec)
            run(scenario(spec))
    logged = caplog.text + repr(events)
    assert any(event.get("event") == "access token obtained" for event in events)
    assert "api call" in logged  # the capture worked
    key_body = key_pem[0].splitlines()[1]
    for secret in (CLIENT_SECRET, key_body, *tokens):
        assert secret not in logged
