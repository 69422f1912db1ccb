"""NetSuite's ``o:errorDetails`` answers mapped to Concord's error tree, through the mapper and through the
client on an ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from concord.connectors.http import classify
from concord.connectors.netsuite import NetSuiteClient, NetSuiteErrorMapper, NetSuiteSpec, parse_error_details
from concord.connectors.netsuite.errors import TokenErrorMapper
from concord.engine.errors import (
    CannotEncode,
    ConcordError,
    PermanentError,
    Rejected,
    Throttled,
    TransientError,
)

HOST = "https://1234567.suitetalk.api.netsuite.com"
CLOSED = (
    "Error while accessing a resource. The accounting period Jan 2026 is closed. "
    "You cannot post to a closed period."
)


def problem(status: int, code: str, detail: str, **where: str) -> dict[str, Any]:
    entry = {"detail": detail, "o:errorCode": code, **{f"o:{k}": v for k, v in where.items()}}
    return {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html",
        "title": "x",
        "status": status,
        "o:errorDetails": [entry],
    }


def mapped(status: int, body: Any, headers: dict[str, str] | None = None) -> ConcordError:
    request = httpx.Request("GET", HOST + "/services/rest/record/v1/customer/1")
    if isinstance(body, str):
        response = httpx.Response(status, text=body, headers=headers, request=request)
    else:
        response = httpx.Response(status, json=body, headers=headers, request=request)
    return NetSuiteErrorMapper().for_response(response)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (429, "CONCURRENCY_LIMIT_EXCEEDED", Throttled),
        (400, "SSS_REQUEST_LIMIT_EXCEEDED", Throttled),
        (500, "UNEXPECTED_ERROR", TransientError),
        (503, "SERVICE_UNAVAILABLE", TransientError),
        (504, "REQUEST_TIMEOUT", TransientError),
        (400, "INVALID_CONTENT", CannotEncode),
        (400, "INVALID_PARAMETER", CannotEncode),
        (400, "INVALID_HEADER", CannotEncode),
        (401, "INVALID_LOGIN", PermanentError),
        (403, "INSUFFICIENT_PERMISSION", PermanentError),
        (400, "USER_ERROR", Rejected),
        (404, "NONEXISTENT_ID", Rejected),
        (400, "IDEMPOTENCY_ERROR", Rejected),
        (400, "SOME_FUTURE_CODE", Rejected),
    ],
)
def test_codes_decide_before_statuses(status: int, code: str, kind: type[ConcordError]) -> None:
    error = mapped(status, problem(status, code, "the platform says why", errorPath="companyName"))
    assert type(error) is kind
    assert f"{code}: the platform says why" in str(error)
    if kind in (Rejected, CannotEncode):
        assert "(fields: companyName)" in str(error)


def test_a_closed_period_reads_as_such_and_keeps_the_platforms_words() -> None:
    error = mapped(400, problem(400, "USER_ERROR", CLOSED, errorPath="tranDate"))
    assert isinstance(error, Rejected)
    assert error.reason == (
        "NetSuite refused it: the accounting period is closed: USER_ERROR: The accounting period Jan 2026 is "
        "closed. You cannot post to a closed period. (fields: tranDate)"
    )
    assert error.detail == f"USER_ERROR: {CLOSED} (fields: tranDate)"
    assert classify(error).category == "target_rejected"


@pytest.mark.parametrize(
    ("detail", "meaning"),
    [
        ("The accounting period Mar 2026 is locked for Accounts Receivable.",
         "the accounting period is locked"),
        ("The transaction date you specified is not within the date range of your accounting period.",
         "no open accounting period covers the date"),
        ("The transaction is not in balance.", "the journal is not in balance"),
        ("This entity already exists.", "a record with that key already exists"),
        ("Please enter value(s) for: Subsidiary", "required fields are missing"),
        ("You have entered an Invalid Field Value 12 for the following field: customer",
         "a field has a value NetSuite does not accept"),
    ],
)  # fmt: skip
def test_business_refusals_say_what_they_mean(detail: str, meaning: str) -> None:
    error = mapped(400, problem(400, "USER_ERROR", "Error while accessing a resource. " + detail))
    assert (
        isinstance(error, Rejected)
        and error.reason == f"NetSuite refused it: {meaning}: USER_ERROR: {detail}"
    )


def test_where_the_platform_points_is_kept() -> None:
    body = {
        "o:errorDetails": [
            {"detail": "Bad limit.", "o:errorCode": "INVALID_PARAMETER", "o:errorQueryParam": "limit"},
            {
                "detail": "Bad key.",
                "o:errorCode": "INVALID_HEADER",
                "o:errorHeader": "X-NetSuite-Idempotency-Key",
            },
            {"o:errorCode": "ONLY_A_CODE"},
            "not an object",
        ]
    }
    errors = parse_error_details(body)
    assert [(e.code, e.fields) for e in errors] == [
        ("INVALID_PARAMETER", ("query parameter limit",)),
        ("INVALID_HEADER", ("header X-NetSuite-Idempotency-Key",)),
        ("ONLY_A_CODE", ()),
    ]
    assert errors[2].message == "ONLY_A_CODE"


def test_throttling_waits_and_foreign_bodies() -> None:
    plain = mapped(429, "Too Many Requests")
    told = mapped(
        429,
        problem(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded."),
        {"Retry-After": "7"},
    )
    assert isinstance(plain, Throttled) and plain.retry_after == 1.0 and "Too Many Requests" in plain.reason
    assert isinstance(told, Throttled) and told.retry_after == 7.0
    gateway = mapped(502, "<html><body>Bad Gateway</body></html>")
    assert isinstance(gateway, TransientError) and "Bad Gateway" in gateway.reason
    nothing = mapped(409, {"unexpected": True})
    assert isinstance(nothing, Rejected) and nothing.reason == "NetSuite answered 409"


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, PermanentError), (401, PermanentError), (429, Throttled), (503, TransientError)],
)
def test_the_token_endpoint(status: int, kind: type[ConcordError]) -> None:
    request = httpx.Request("POST", HOST + "/services/rest/auth/oauth2/v1/token")
    error = TokenErrorMapper().for_response(
        httpx.Response(status, json={"error": "invalid_client"}, request=request)
    )
    assert type(error) is kind
    if status in (400, 401):
        assert "refused the credentials: invalid_client: invalid_client" in str(error)


def _spec() -> NetSuiteSpec:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return NetSuiteSpec(
        account_id="1234567", client_id="cid", certificate_id="kid", private_key=pem, algorithm="ES256"
    )


def test_the_client_maps_what_the_platform_answers() -> None:
    seen: list[httpx.Request] = []

    def platform(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/token"):
            return httpx.Response(
                200, json={"access_token": "tok-1", "expires_in": 3600, "token_type": "Bearer"}
            )
        if request.method == "POST":
            return httpx.Response(400, json=problem(400, "USER_ERROR", CLOSED, errorPath="tranDate"))
        return httpx.Response(
            429, json=problem(429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded.")
        )

    async def scenario() -> Throttled:
        async with NetSuiteClient(_spec(), transport=httpx.MockTransport(platform)) as client:
            with pytest.raises(Rejected, match="the accounting period is closed"):
                await client.create("timeBill", {"hours": "7.5", "tranDate": "2026-01-20"})
            with pytest.raises(Throttled) as throttled:
                await client.get("timeBill", "12")
            return throttled.value

    assert asyncio.run(scenario()).retry_after == 1.0
    assert [r.url.path for r in seen] == [
        "/services/rest/auth/oauth2/v1/token",
        "/services/rest/record/v1/timeBill",
        "/services/rest/record/v1/timeBill/12",
    ]
    assert seen[0].url.host == "1234567.suitetalk.api.netsuite.com"
    assert seen[1].headers["authorization"] == "Bearer tok-1"
    assert seen[1].headers["x-netsuite-propertynamevalidation"] == "Error"
