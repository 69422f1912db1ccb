"""The NetSuite client obtains tokens with a signed client assertion (PS256 and ES256) over the real token
endpoint, renews them transparently after the account expires them, refuses bad credentials permanently,
and never logs a secret."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric import rsa
from ns_client_support import TOKEN_PATH, NetSuite, private_pem, rsa_key, run

from concord.connectors.http import classify
from concord.connectors.netsuite import NetSuiteClient
from concord.engine.errors import PermanentError

COUNT = "SELECT COUNT(*) AS n FROM customer"


async def count(client: NetSuiteClient) -> str:
    rows = [row async for row in client.query(COUNT)]
    return str(rows[0]["n"])


def test_ps256_token_is_renewed_once_for_all_callers_after_the_account_expires_it(netsuite: NetSuite) -> None:
    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            assert await count(client) == "0"
            assert netsuite.expire_tokens() == 1
            assert await asyncio.gather(*(count(client) for _ in range(8))) == ["0"] * 8
            assert client.tokens.grants_run == 2

    run(scenario())
    assert netsuite.count(path=TOKEN_PATH, status=200) == 2
    assert netsuite.count(status=401) >= 1  # the expired token was refused, then replaced


def test_an_hour_later_the_token_has_expired_and_is_replaced(netsuite: NetSuite) -> None:
    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec()) as client:
            await count(client)
            netsuite.ok("PUT", "clock", json={"advance_s": 3601})
            assert await count(client) == "0"
            assert client.tokens.grants_run == 2

    run(scenario())
    assert netsuite.count(status=401) == 1


def test_es256_with_the_key_in_a_file(netsuite: NetSuite, tmp_path: Path) -> None:
    spec = netsuite.ec_spec()
    key_file = tmp_path / "netsuite.pem"
    key_file.write_text(spec.signing_key())
    spec = netsuite.ec_spec(private_key=None, private_key_path=key_file)

    async def scenario() -> str:
        async with NetSuiteClient(spec) as client:
            return await count(client)

    assert run(scenario()) == "0"


def test_an_unmapped_certificate_is_refused_permanently_without_retries(netsuite: NetSuite) -> None:
    async def scenario() -> PermanentError:
        async with NetSuiteClient(netsuite.spec(certificate_id="not-mapped")) as client:
            with pytest.raises(PermanentError) as refused:
                await count(client)
            return refused.value

    error = run(scenario())
    verdict = classify(error)
    assert not verdict.transient and "refused the credentials: invalid_client" in verdict.reason
    assert netsuite.count(path=TOKEN_PATH) == 1
    assert netsuite.count(path="/services/rest/query/*") == 0


def test_a_key_netsuite_would_refuse_is_refused_before_anything_is_sent(netsuite: NetSuite) -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    async def scenario() -> list[str]:
        reasons = []
        for spec in (netsuite.spec(private_key=private_pem(short)), netsuite.ec_spec(algorithm="PS256")):
            async with NetSuiteClient(spec) as client:
                with pytest.raises(PermanentError) as refused:
                    await count(client)
                reasons.append(refused.value.reason)
        return reasons

    assert run(scenario()) == [
        "NetSuite accepts RSA keys of at least 3072 bits; this one has 2048",
        "PS256 needs an RSA private key; configure ES256 for an EC key",
    ]
    assert netsuite.count() == 0


@pytest.fixture
def debug_logs() -> Iterator[None]:
    """structlog at DEBUG for one test (the configuration is restored afterwards)."""
    before = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        yield
    finally:
        structlog.configure(**before)


@pytest.mark.usefixtures("debug_logs")
def test_no_secret_reaches_the_logs_or_reprs(netsuite: NetSuite) -> None:
    spec = netsuite.spec()
    pem = private_pem(rsa_key())

    async def scenario() -> tuple[str, list[MutableMapping[str, Any]]]:
        with structlog.testing.capture_logs() as logs:
            async with NetSuiteClient(spec) as client:
                await count(client)
                netsuite.expire_tokens()
                await count(client)
                token = client.tokens.cached
                assert token is not None
                return token.value, logs

    token, logs = run(scenario())
    text = repr(logs) + repr(spec) + str(spec.model_dump())
    assert any(event.get("event") == "access token obtained" for event in logs)  # the capture worked
    assert "api call" in text and token not in text
    assert pem.splitlines()[1] not in text and "BEGIN PRIVATE KEY" not in text
