"""Token helpers: issue, check against the emulator clock, refresh, revoke; header parsing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from concord.sandbox.core import (
    Clock,
    TokenStatus,
    TokenStore,
    basic_credentials,
    bearer_token,
    client_secret_ok,
)


@pytest.fixture
def clock() -> Clock:
    frozen = Clock()
    frozen.set(datetime(2025, 6, 1, tzinfo=UTC), frozen=True)
    return frozen


def test_token_is_valid_until_the_clock_passes_its_expiry(clock: Clock) -> None:
    tokens = TokenStore(clock, default_ttl_s=600, prefix="00D!")
    issued = tokens.issue("client-1", scopes=("api",), claims={"instance_url": "http://x"})

    assert issued.access_token.startswith("00D!")
    assert issued.expires_in(clock.now()) == 600
    assert tokens.check(issued.access_token) == issued
    clock.advance(599)
    assert tokens.inspect(issued.access_token)[0] is TokenStatus.VALID
    clock.advance(1)
    assert tokens.inspect(issued.access_token)[0] is TokenStatus.EXPIRED
    assert tokens.check(issued.access_token) is None
    assert tokens.inspect("made-up") == (TokenStatus.UNKNOWN, None)


def test_tokens_on_real_time_outlive_a_clock_jump_and_still_expire(clock: Clock) -> None:
    # A simulation moves the emulator clock by days while a client works alongside it in real time.
    tokens = TokenStore(clock, default_ttl_s=600)
    tokens.real_time = True
    issued = tokens.issue("concord")
    clock.advance(30 * 86400)
    assert tokens.inspect(issued.access_token)[0] is TokenStatus.VALID
    short = tokens.issue("concord", ttl_s=0)
    assert tokens.inspect(short.access_token)[0] is TokenStatus.EXPIRED


def test_refresh_token_gives_a_new_access_token(clock: Clock) -> None:
    tokens = TokenStore(clock, default_ttl_s=60)
    issued = tokens.issue("user@firm", with_refresh_token=True)
    assert issued.refresh_token is not None
    clock.advance(120)

    fresh = tokens.refresh(issued.refresh_token)

    assert fresh is not None
    assert fresh.access_token != issued.access_token
    assert fresh.subject == "user@firm"
    assert tokens.check(fresh.access_token) is not None
    assert tokens.refresh("unknown") is None


def test_revoke_and_expire_all(clock: Clock) -> None:
    tokens = TokenStore(clock)
    first, second = tokens.issue("a"), tokens.issue("b")

    assert tokens.revoke(first.access_token)
    assert not tokens.revoke(first.access_token)
    assert tokens.expire_all() == 1
    assert tokens.inspect(second.access_token)[0] is TokenStatus.EXPIRED


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), (None, None)],
)
def test_bearer_token(header: str | None, expected: str | None) -> None:
    assert bearer_token(header) == expected


def test_basic_credentials() -> None:
    encoded = base64.b64encode(b"client-1:s3:cret").decode()

    assert basic_credentials(f"Basic {encoded}") == ("client-1", "s3:cret")
    assert basic_credentials("Basic !!!") is None
    assert basic_credentials(f"Basic {base64.b64encode(b'nocolon').decode()}") is None
    assert basic_credentials("Bearer x") is None


def test_client_secret_ok() -> None:
    credentials = {"client-1": "s3cret"}

    assert client_secret_ok(credentials, "client-1", "s3cret")
    assert not client_secret_ok(credentials, "client-1", "wrong")
    assert not client_secret_ok(credentials, "client-2", "s3cret")
