"""Kantata's OAuth against the emulator: one token for many calls, one renewal after the platform refuses
it, the refresh-token grant, a configured token that cannot be renewed, and refused credentials."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from kantata_client_support import CLIENT_ID, CLIENT_SECRET, Kantata, run, serve

from concord.connectors.http import classify
from concord.connectors.kantata import KantataClient
from concord.engine.errors import PermanentError
from concord.sandbox.core import RunningServer

LIST = "/api/v1/workspaces.json"


@pytest.fixture(scope="module")
def kantata_server() -> Iterator[RunningServer]:
    with serve() as server:
        yield server


@pytest.fixture
def kantata(kantata_server: RunningServer) -> Iterator[Kantata]:
    with Kantata.fresh(kantata_server) as emulator:
        yield emulator


async def list_workspaces(client: KantataClient, times: int) -> None:
    await asyncio.gather(*(client.list_page("workspaces") for _ in range(times)))


def test_one_token_serves_many_calls_and_is_renewed_once_after_the_platform_refuses_it(
    kantata: Kantata,
) -> None:
    async def scenario() -> int:
        async with KantataClient(kantata.spec()) as client:
            await list_workspaces(client, 12)
            first = client.tokens.grants_run
            assert kantata.expire_tokens() >= 1
            await list_workspaces(client, 12)
            assert first == 1
            return client.tokens.grants_run

    assert run(scenario()) == 2
    assert kantata.count(path="/oauth/token") == 2
    assert kantata.count(path=LIST, status="401") >= 1
    assert kantata.count(path=LIST, status="200") == 24


def test_the_refresh_token_grant_renews_a_refused_access_token(kantata: Kantata) -> None:
    access, refresh = kantata.authorization_code_tokens()
    auth = {
        "kind": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh,
        "access_token": access,
        "client_auth": "post",
    }
    calls_before = kantata.count(path="/oauth/token")

    async def scenario() -> None:
        async with KantataClient(kantata.spec(auth=auth)) as client:
            await client.list_page("workspaces")
            assert kantata.count(path="/oauth/token") == calls_before  # the configured token was used
            kantata.expire_tokens()
            await client.list_page("workspaces")
            await client.list_page("users")
            assert client.tokens.grants_run == 2

    run(scenario())
    token_calls = kantata.requests(path="/oauth/token")["requests"]
    assert len(token_calls) == calls_before + 1 and token_calls[-1]["status"] == 200


def test_a_configured_access_token_refused_by_kantata_is_a_permanent_error(kantata: Kantata) -> None:
    access, _ = kantata.authorization_code_tokens()
    spec = kantata.spec(auth={"kind": "access_token", "access_token": access})

    async def scenario() -> PermanentError:
        async with KantataClient(spec) as client:
            await client.list_page("workspaces")
            kantata.expire_tokens()
            with pytest.raises(PermanentError) as caught:
                await client.list_page("workspaces")
            return caught.value

    error = run(scenario())
    assert "refused the configured access token" in error.reason
    assert not classify(error).transient
    assert kantata.count(path=LIST) == 2  # nothing could renew it, so the refused call was not repeated
    assert access not in str(error) and access not in repr(spec)


def test_refused_client_credentials_are_permanent_and_never_show_the_secret(kantata: Kantata) -> None:
    wrong = "not-the-secret-5b1c"
    spec = kantata.spec(auth={"kind": "client_credentials", "client_id": CLIENT_ID, "client_secret": wrong})

    async def scenario() -> PermanentError:
        async with KantataClient(spec) as client:
            with pytest.raises(PermanentError) as caught:
                await client.list_page("workspaces")
            return caught.value

    error = run(scenario())
    assert "Kantata refused the credentials" in error.reason and "invalid_client" in error.reason
    assert wrong not in str(error) and wrong not in repr(spec) and wrong not in str(spec.model_dump())
    assert kantata.count(path=LIST) == 0
