"""Error mapping at the adapter edge, exact JSON, and paging, against ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from concord.connectors.http import (
    ApiSession,
    ErrorMapper,
    Page,
    RateGovernor,
    classify,
    follow_pages,
    jsonio,
    map_http_errors,
    retry_after_seconds,
)
from concord.engine.errors import (
    CannotEncode,
    ConcordError,
    PermanentError,
    Rejected,
    Throttled,
    TransientError,
)

Handler = Callable[[httpx.Request], httpx.Response]


def call(handler: Handler, url: str = "https://demo.test/things") -> Any:
    async def scenario() -> Any:
        transport = httpx.MockTransport(handler)
        async with ApiSession(
            mapper=ErrorMapper("Demo"), governor=RateGovernor("Demo"), transport=transport
        ) as s:
            return await s.request_json("GET", url)

    return asyncio.run(scenario())


def failure(handler: Handler, url: str = "https://demo.test/things") -> ConcordError:
    with pytest.raises(ConcordError) as raised:
        call(handler, url)
    return raised.value


@pytest.mark.parametrize(
    ("status", "kind", "transient"),
    [
        (429, Throttled, True),
        (408, TransientError, True),
        (500, TransientError, True),
        (503, TransientError, True),
        (401, PermanentError, False),
        (403, PermanentError, False),
        (400, Rejected, False),
        (404, Rejected, False),
        (409, Rejected, False),
        (422, Rejected, False),
    ],
)
def test_statuses_map_to_the_error_tree(status: int, kind: type[ConcordError], transient: bool) -> None:
    error = failure(lambda request: httpx.Response(status, json={"message": "the platform's words"}))
    assert type(error) is kind
    assert classify(error).transient is transient
    assert "the platform's words" in str(error)
    assert isinstance(error.__cause__, httpx.HTTPStatusError)


def test_credentials_and_throttling_say_so() -> None:
    refused = failure(lambda request: httpx.Response(401, json={"error": "invalid_token"}))
    assert "refused the credentials" in str(refused)
    throttled = failure(lambda request: httpx.Response(429, headers={"Retry-After": "7"}))
    assert isinstance(throttled, Throttled) and throttled.retry_after == 7.0
    assert classify(throttled).throttled and classify(throttled).retry_after == 7.0
    busy = failure(
        lambda request: httpx.Response(503, headers={"Retry-After": "2"}, text="<html>busy</html>")
    )
    assert isinstance(busy, TransientError) and busy.retry_after == 2.0 and "busy" in str(busy)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@pytest.mark.parametrize(
    "problem",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")],
)
def test_transport_failures_are_transient_and_keep_their_cause(problem: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise problem

    error = failure(handler)
    assert type(error) is TransientError and error.__cause__ is problem


def test_a_wrong_url_scheme_is_permanent() -> None:
    async def scenario() -> None:
        async with ApiSession(mapper=ErrorMapper("Demo"), governor=RateGovernor("Demo")) as session:
            await session.request("GET", "ftp://demo.test/things")

    with pytest.raises(PermanentError) as refused:
        asyncio.run(scenario())
    assert isinstance(refused.value.__cause__, httpx.UnsupportedProtocol)


def test_a_malformed_success_body_is_transient() -> None:
    error = failure(lambda request: httpx.Response(200, content=b'{"records": [1, 2'))
    assert type(error) is TransientError and "malformed" in error.reason


def test_map_http_errors_translates_third_party_errors_only() -> None:
    with pytest.raises(TransientError) as timed_out, map_http_errors("Demo"):
        raise httpx.ConnectTimeout("slow")
    assert "did not answer in time" in timed_out.value.reason
    own = Rejected("no")
    with pytest.raises(Rejected) as passed, map_http_errors("Demo"):
        raise own
    assert passed.value is own
    assert classify(httpx.ConnectError("x")).transient and not classify(Rejected("no")).transient


def test_json_keeps_money_exact() -> None:
    assert jsonio.loads(b'{"amount": 0.10, "count": 3}') == {"amount": Decimal("0.10"), "count": 3}
    assert jsonio.dumps({"amount": Decimal("1234567.89")}) == b'{"amount":1234567.89}'
    received = call(lambda request: httpx.Response(200, content=b'{"total": 19.999}'))
    assert received == {"total": Decimal("19.999")}
    with pytest.raises(CannotEncode, match="non-finite"):
        jsonio.dumps({"amount": Decimal("NaN")})
    with pytest.raises(CannotEncode, match="object"):
        jsonio.dumps({"amount": object()})


def test_follow_pages_until_there_is_no_next() -> None:
    pages = {None: Page([1, 2], "p2"), "p2": Page([3], "p3"), "p3": Page([4])}

    async def fetch(token: str | None) -> Page[int]:
        return pages[token]

    async def scenario(max_pages: int | None = None) -> list[list[int]]:
        return [list(page.items) async for page in follow_pages(fetch, max_pages=max_pages)]

    assert asyncio.run(scenario()) == [[1, 2], [3], [4]]
    assert asyncio.run(scenario(max_pages=2)) == [[1, 2], [3]]


def test_a_next_token_that_repeats_stops_the_loop() -> None:
    async def fetch(token: str | None) -> Page[int]:
        return Page([1], "same")

    async def scenario() -> None:
        async for _ in follow_pages(fetch):
            pass

    with pytest.raises(PermanentError, match="same next-page token"):
        asyncio.run(scenario())
