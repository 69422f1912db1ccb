"""TokenManager and the session's 401 handling, against ``httpx.MockTransport`` (no network)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from concord.connectors.http import AccessToken, ApiSession, ErrorMapper, RateGovernor, TokenManager
from concord.engine.errors import PermanentError, TransientError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingGrant:
    """A grant that issues ``t1``, ``t2``... and can be told to fail or to take its time."""

    def __init__(self, expires_in: float | None = None, delay_s: float = 0.0) -> None:
        self.issued = 0
        self.expires_in = expires_in
        self.delay_s = delay_s
        self.fail_with: Exception | None = None

    async def __call__(self) -> AccessToken:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_with is not None:
            raise self.fail_with
        self.issued += 1
        return AccessToken(f"t{self.issued}", expires_in=self.expires_in, details={"instance_url": "x"})


def test_a_token_is_cached_and_renewed_shortly_before_it_expires() -> None:
    clock, grant = Clock(), CountingGrant(expires_in=600)
    tokens = TokenManager(grant, refresh_margin_s=60, clock=clock)

    async def scenario() -> list[str]:
        seen = [(await tokens.token()).value]
        clock.now += 539
        seen.append((await tokens.token()).value)
        clock.now += 1  # 60 s before expiry
        seen.append((await tokens.token()).value)
        return seen

    assert asyncio.run(scenario()) == ["t1", "t1", "t2"]


def test_without_a_lifetime_the_default_ttl_applies_or_only_a_refusal_renews() -> None:
    clock = Clock()
    with_default = TokenManager(CountingGrant(), default_ttl_s=100, refresh_margin_s=10, clock=clock)
    without = TokenManager(CountingGrant(), clock=clock)

    async def scenario() -> tuple[str, str]:
        await with_default.token()
        await without.token()
        clock.now += 10_000
        return (await with_default.token()).value, (await without.token()).value

    assert asyncio.run(scenario()) == ("t2", "t1")


def test_many_callers_of_an_expired_token_cause_one_grant() -> None:
    grant = CountingGrant(delay_s=0.01)
    tokens = TokenManager(grant)

    async def scenario() -> set[str]:
        first = await tokens.token()
        renewed = await asyncio.gather(*(tokens.renew(first) for _ in range(20)))
        return {token.value for token in renewed}

    assert asyncio.run(scenario()) == {"t2"}
    assert grant.issued == 2


def test_a_failed_grant_leaves_nothing_cached_and_is_tried_again() -> None:
    grant = CountingGrant()
    grant.fail_with = TransientError("token endpoint down")
    tokens = TokenManager(grant)

    async def scenario() -> str:
        with pytest.raises(TransientError):
            await tokens.token()
        assert tokens.cached is None
        grant.fail_with = None
        return (await tokens.token()).value

    assert asyncio.run(scenario()) == "t1"


def test_the_token_value_is_not_in_repr() -> None:
    assert "s3cr3t" not in repr(AccessToken("s3cr3t", details={"instance_url": "https://x"}))


def session_for(handler: httpx.MockTransport, grant: CountingGrant) -> ApiSession:
    session = ApiSession(mapper=ErrorMapper("Demo"), governor=RateGovernor("Demo"), transport=handler)
    session.tokens = TokenManager(grant)
    return session


def test_a_401_renews_the_token_once_and_repeats_the_call() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(401, json={"message": "Session expired"})
        return httpx.Response(200, json={"ok": True})

    grant = CountingGrant()

    async def scenario() -> object:
        async with session_for(httpx.MockTransport(handler), grant) as session:
            return await session.request_json("GET", "https://demo.test/things")

    assert asyncio.run(scenario()) == {"ok": True}
    assert calls == ["Bearer t1", "Bearer t2"]


def test_a_second_401_means_the_credentials_are_refused() -> None:
    grant = CountingGrant()
    transport = httpx.MockTransport(lambda request: httpx.Response(401, json={"message": "no"}))

    async def scenario() -> PermanentError:
        async with session_for(transport, grant) as session:
            with pytest.raises(PermanentError) as refused:
                await session.request("GET", "https://demo.test/things")
            return refused.value

    error = asyncio.run(scenario())
    assert "refused the credentials" in error.reason and grant.issued == 2
    assert isinstance(error.__cause__, httpx.HTTPStatusError)


def test_concurrent_401s_share_one_renewal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer t1":
            return httpx.Response(401)
        return httpx.Response(200, json={})

    grant = CountingGrant(delay_s=0.005)

    async def scenario() -> None:
        async with session_for(httpx.MockTransport(handler), grant) as session:
            await session.tokens.token()  # type: ignore[union-attr]
            await asyncio.gather(*(session.request("GET", "https://demo.test/x") for _ in range(8)))

    asyncio.run(scenario())
    assert grant.issued == 2
