"""Salesforce's error codes and usage header, the spec's validation, cursors and change events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from concord.connectors.http import ApiUsage, classify
from concord.connectors.salesforce import (
    ModstampCursor,
    SalesforceClient,
    SalesforceErrorMapper,
    SalesforceSpec,
    changed_since,
    parse_change_event,
    parse_errors,
    parse_limit_info,
    record_failure,
)
from concord.engine.errors import (
    CannotEncode,
    ConcordError,
    PermanentError,
    Rejected,
    Throttled,
    TransientError,
)


def mapped(status: int, body: Any) -> ConcordError:
    response = httpx.Response(status, json=body, request=httpx.Request("GET", "https://org.test/x"))
    return SalesforceErrorMapper().for_response(response)


def rest_error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"message": message, "errorCode": code, "fields": fields or []}]


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (403, "REQUEST_LIMIT_EXCEEDED", Throttled),
        (400, "UNABLE_TO_LOCK_ROW", TransientError),
        (503, "SERVER_UNAVAILABLE", TransientError),
        (400, "INVALID_FIELD", Rejected),
        (400, "REQUIRED_FIELD_MISSING", Rejected),
        (400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", Rejected),
        (400, "DUPLICATE_VALUE", Rejected),
        (400, "JSON_PARSER_ERROR", CannotEncode),
        (400, "STRING_TOO_LONG", CannotEncode),
        (401, "INVALID_SESSION_ID", PermanentError),
        (403, "INSUFFICIENT_ACCESS_OR_READONLY", PermanentError),
    ],
)
def test_error_codes_decide_before_statuses(status: int, code: str, kind: type[ConcordError]) -> None:
    error = mapped(status, rest_error(code, "the platform says why", ["Name"]))
    assert type(error) is kind
    assert code in str(error) and "the platform says why" in str(error)
    if kind is Rejected:
        assert "(fields: Name)" in str(error)


def test_quota_waits_depend_on_which_limit() -> None:
    daily = mapped(403, rest_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
    concurrent = mapped(403, rest_error("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."))
    assert isinstance(daily, Throttled) and daily.retry_after == 900
    assert isinstance(concurrent, Throttled) and concurrent.retry_after == 5
    assert classify(daily).throttled


def test_ambiguous_external_ids_and_foreign_bodies() -> None:
    several = mapped(
        300, ["/services/data/v60.0/sobjects/Account/001A", "/services/data/v60.0/sobjects/Account/001B"]
    )
    assert isinstance(several, Rejected) and "several records" in several.reason and "001B" in several.detail
    html = SalesforceErrorMapper().for_response(
        httpx.Response(
            502, text="<html>Bad gateway</html>", request=httpx.Request("GET", "https://org.test/")
        )
    )
    assert isinstance(html, TransientError) and "Bad gateway" in html.reason


def test_per_record_errors_are_classified_alone() -> None:
    errors = parse_errors(
        {"errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "fields": []}]}
    )
    assert isinstance(record_failure(errors), TransientError)
    refused = record_failure(parse_errors([{"statusCode": "FIELD_INTEGRITY_EXCEPTION", "message": "bad"}]))
    assert isinstance(refused, Rejected) and "FIELD_INTEGRITY_EXCEPTION: bad" in refused.reason


def test_usage_header() -> None:
    assert parse_limit_info("api-usage=18/5000") == ApiUsage(18, 5000)
    assert parse_limit_info("per-app-api-usage=17/250(appName=x); api-usage=19/5000") == ApiUsage(19, 5000)
    assert parse_limit_info("per-app-api-usage=17/250(appName=x)") is None
    assert parse_limit_info(None) is None


def test_spec_validation_and_secrets() -> None:
    auth = {"kind": "client_credentials", "consumer_key": "ck", "consumer_secret": "cs-9f8e"}
    spec = SalesforceSpec(login_url="https://acme.my.salesforce.com/", api_version="v61.0", auth=auth)
    assert spec.api_path == "/services/data/v61.0"
    assert spec.token_url == "https://acme.my.salesforce.com/services/oauth2/token"
    assert "cs-9f8e" not in repr(spec) and "cs-9f8e" not in str(spec.model_dump())
    with pytest.raises(ValidationError, match="My Domain"):
        SalesforceSpec(login_url="https://login.salesforce.com", auth=auth)
    with pytest.raises(ValidationError, match="either private_key"):
        SalesforceSpec(
            login_url="https://login.salesforce.com",
            auth={"kind": "jwt_bearer", "consumer_key": "ck", "username": "u@x"},
        )
    with pytest.raises(ValidationError, match="http"):
        SalesforceSpec(login_url="acme.my.salesforce.com", auth=auth)


def test_a_cursor_survives_encoding() -> None:
    moment = datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=UTC)
    cursor = ModstampCursor(moment, {"001A": (1_772_442_000_123, "abc123")}, moment - timedelta(days=1))
    assert ModstampCursor.decode(cursor.encode()) == cursor
    assert ModstampCursor.decode(None) == ModstampCursor()
    with pytest.raises(ValueError, match="not a Salesforce change cursor"):
        ModstampCursor.decode('{"v": 9}')


def test_change_events_from_cometd_and_pub_sub_shapes() -> None:
    header = {
        "entityName": "Account",
        "changeType": "UPDATE",
        "recordIds": ["001A", "001B"],
        "changedFields": ["Name"],
        "changeOrigin": "com/salesforce/api/rest/60.0;client=concord",
        "commitTimestamp": 1_772_442_000_000,
    }
    cometd = parse_change_event(
        {"data": {"event": {"replayId": 42}, "payload": {"ChangeEventHeader": header, "Name": "A"}}}
    )
    assert cometd.replay_id == 42 and cometd.record_ids == ("001A", "001B") and cometd.client == "concord"
    assert cometd.fields == {"Name": "A"} and not cometd.is_gap
    assert cometd.commit_timestamp == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    decoded = parse_change_event(
        {"ChangeEventHeader": {**header, "changeType": "GAP_UPDATE", "changeOrigin": ""}}
    )
    assert decoded.replay_id is None and decoded.is_gap and decoded.client is None
    with pytest.raises(ValueError):
        parse_change_event({"data": {"payload": {}}})


def stamp(second: int) -> str:
    return f"2026-03-02T09:00:{second:02d}.000+0000"


def test_a_full_window_keeps_its_place_with_a_floor() -> None:
    """With ``max_seen`` small, older versions are summarised by a floor and the poll still makes progress
    and repeats nothing (a fake org over MockTransport)."""
    rows = [{"Id": f"001{n:015d}", "SystemModstamp": stamp(n // 2), "Name": f"n{n}"} for n in range(10)]

    def org(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "tok", "instance_url": "https://org.test"})
        return httpx.Response(200, json={"totalSize": len(rows), "done": True, "records": rows})

    spec = SalesforceSpec(
        login_url="https://org.test",
        auth={"kind": "client_credentials", "consumer_key": "ck", "consumer_secret": "cs"},
    )

    async def scenario() -> tuple[list[str], ModstampCursor]:
        delivered: list[str] = []
        cursor: ModstampCursor | None = None
        async with SalesforceClient(spec, transport=httpx.MockTransport(org)) as client:
            for _ in range(4):
                poll = changed_since(client, "Account", ["Name"], cursor, timedelta(minutes=2), max_seen=3)
                delivered += [found.record_id for found in await poll.take(3)]
                cursor = poll.cursor
                assert len(cursor.seen) <= 3
            assert cursor is not None
            return delivered, cursor

    delivered, cursor = asyncio.run(scenario())
    assert delivered == [row["Id"] for row in rows]
    assert cursor.floor == datetime(2026, 3, 2, 9, 0, 3, tzinfo=UTC)


def test_object_and_field_names_are_checked() -> None:
    spec = SalesforceSpec(
        login_url="https://org.test",
        auth={"kind": "client_credentials", "consumer_key": "ck", "consumer_secret": "cs"},
    )
    client = SalesforceClient(spec, transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    with pytest.raises(CannotEncode):
        changed_since(client, "Account WHERE 1=1", ["Name"], None)
    with pytest.raises(CannotEncode):
        asyncio.run(client.get("Account", "001", ["Name, (SELECT Id FROM Contacts)"]))
    asyncio.run(client.aclose())
