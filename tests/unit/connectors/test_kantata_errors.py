"""Kantata's error envelope and token answers, read through ``httpx.MockTransport``: what becomes
``Rejected`` with the platform's words, what is transient, the headerless 429, one renewal after a 401,
bulk errors by index, and a rotated refresh token."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from concord.connectors.http import GovernorPolicy, PlatformError, classify
from concord.connectors.kantata import (
    KantataClient,
    KantataErrorMapper,
    KantataSpec,
    failed_indexes,
    parse_errors,
)
from concord.engine.errors import ConcordError, PermanentError, Rejected, Throttled, TransientError

BASE = "https://kantata.test"
T = TypeVar("T")
Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10.0))


def spec(**overrides: Any) -> KantataSpec:
    options: dict[str, Any] = {
        "base_url": BASE,
        "auth": {"kind": "client_credentials", "client_id": "app", "client_secret": "s3cret-value"},
        "rate": GovernorPolicy(max_concurrency=2),
    }
    options.update(overrides)
    return KantataSpec(**options)


def token_answer(request: httpx.Request, counter: list[str]) -> httpx.Response:
    counter.append(request.content.decode())
    return httpx.Response(200, json={"access_token": f"tok-{len(counter)}", "token_type": "bearer"})


def api_error(status: int, *errors: dict[str, str], headers: dict[str, str] | None = None) -> Handler:
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return token_answer(request, tokens)
        return httpx.Response(status, json={"errors": list(errors)}, headers=headers)

    return handler


async def list_users(handler: Handler, **overrides: Any) -> Any:
    async with KantataClient(spec(**overrides), transport=httpx.MockTransport(handler)) as client:
        return await client.list_page("users")


def failure_of(handler: Handler, **overrides: Any) -> ConcordError:
    with pytest.raises(ConcordError) as caught:
        run(list_users(handler, **overrides))
    return caught.value


def test_validation_errors_are_rejected_with_every_message_and_field() -> None:
    error = failure_of(
        api_error(
            422,
            {"type": "validation", "message": "Date performed can't be blank", "field": "date_performed"},
            {
                "type": "validation",
                "message": "Time in minutes must be greater than 0",
                "field": "time_in_minutes",
            },
        )
    )
    assert isinstance(error, Rejected) and not classify(error).transient
    assert error.reason == (
        "Kantata refused it (422): Date performed can't be blank (field: date_performed); "
        "Time in minutes must be greater than 0 (field: time_in_minutes)"
    )


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_refusals_are_rejected_with_the_status(status: int) -> None:
    error = failure_of(api_error(status, {"type": "system", "message": "Nope"}))
    assert isinstance(error, Rejected) and f"({status})" in error.reason and "Nope" in error.reason


def test_a_429_without_retry_after_waits_the_configured_backoff() -> None:
    error = failure_of(
        api_error(429, {"type": "system", "message": "Too many requests"}), throttle_backoff_s=12
    )
    assert isinstance(error, Throttled) and error.retry_after == 12.0
    verdict = classify(error)
    assert verdict.transient and verdict.throttled and verdict.retry_after == 12.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_and_timeouts_are_transient(status: int) -> None:
    error = failure_of(
        api_error(status, {"type": "system", "message": "Service is temporarily unavailable."})
    )
    assert isinstance(error, TransientError) and "temporarily unavailable" in error.reason


def test_a_proxys_html_page_is_quoted_not_parsed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return token_answer(request, [])
        return httpx.Response(502, text="<html><body>Bad gateway</body></html>")

    error = failure_of(handler)
    assert isinstance(error, TransientError) and "Bad gateway" in error.reason


def test_a_refused_token_is_renewed_once_then_the_refusal_is_permanent() -> None:
    tokens: list[str] = []
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return token_answer(request, tokens)
        seen.append(request.headers["authorization"])
        if len(seen) == 2 or len(seen) >= 4:
            return httpx.Response(
                401, json={"errors": [{"type": "oauth", "message": "Invalid OAuth 2 Request"}]}
            )
        return httpx.Response(200, json={"count": 0, "results": [], "users": {}, "meta": {}})

    async def scenario() -> PermanentError:
        async with KantataClient(spec(), transport=httpx.MockTransport(handler)) as client:
            await client.list_page("users")
            await client.list_page("users")  # refused once: renewed and repeated
            with pytest.raises(PermanentError) as caught:
                await client.list_page("users")  # refused twice: permanent
            return caught.value

    error = run(scenario())
    assert seen == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2", "Bearer tok-2", "Bearer tok-3"]
    assert "Kantata refused the credentials" in error.reason and "Invalid OAuth 2 Request" in error.reason
    assert all("client_credentials" in body for body in tokens)


def test_a_refused_client_is_permanent_and_keeps_the_secret_out_of_the_reason() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": "invalid_client", "error_description": "Client authentication failed."}
        return httpx.Response(401, json=body)

    error = failure_of(handler)
    assert type(error) is PermanentError and "invalid_client" in error.reason
    assert "s3cret-value" not in error.reason + error.detail


def test_a_rotated_refresh_token_replaces_the_old_one_and_is_handed_over() -> None:
    sent: list[str] = []
    stored: list[str] = []
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        if request.url.path == "/oauth/token":
            sent.append(request.content.decode())
            return httpx.Response(
                200, json={"access_token": f"a{len(sent)}", "refresh_token": f"r{len(sent)}"}
            )
        calls += 1
        if calls == 1:
            return httpx.Response(
                401, json={"errors": [{"type": "oauth", "message": "Invalid OAuth 2 Request"}]}
            )
        return httpx.Response(200, json={"count": 0, "results": [], "users": {}, "meta": {}})

    auth = {"kind": "refresh_token", "client_id": "app", "client_secret": "x", "refresh_token": "r0"}

    async def scenario() -> None:
        client = KantataClient(
            spec(auth=auth), transport=httpx.MockTransport(handler), on_refresh_token=stored.append
        )
        async with client:
            await client.list_page("users")

    run(scenario())
    assert [body.split("refresh_token=")[1] for body in sent] == ["r0", "r1"]
    assert stored == ["r1", "r2"]


def test_bulk_errors_are_attributed_to_their_objects() -> None:
    errors = parse_errors(
        {
            "errors": [
                {
                    "type": "validation",
                    "message": "Date performed is not a date",
                    "field": "time_entries[3].date_performed",
                },
                {"type": "validation", "message": "User must exist", "field": "time_entries[7].user_id"},
                {"type": "validation", "message": "Something", "field": "base"},
            ]
        }
    )
    found = failed_indexes(errors, "time_entries")
    assert found == {
        3: [PlatformError("Date performed is not a date", "validation", ("date_performed",))],
        7: [PlatformError("User must exist", "validation", ("user_id",))],
    }
    assert failed_indexes(errors, "expenses") == {}


def test_an_error_body_without_the_envelope_is_read_generically() -> None:
    mapper = KantataErrorMapper()
    assert mapper.parse(500, "upstream connect error") == [PlatformError("upstream connect error")]
    assert parse_errors({"unexpected": True}) == [] and parse_errors(None) == []
