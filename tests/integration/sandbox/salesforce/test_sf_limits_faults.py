"""API usage reporting and the daily quota, and faults injected through the core's admin API answered
in Salesforce's error shape."""

from __future__ import annotations

import re

from sf_support import Org, password_token

USAGE = re.compile(r"^api-usage=(\d+)/(\d+)$")


def usage(org: Org) -> tuple[int, int]:
    header = org.call("GET", "limits").headers["Sforce-Limit-Info"]
    match = USAGE.match(header)
    assert match, header
    return int(match.group(1)), int(match.group(2))


def test_every_response_reports_usage_and_limits_agree(org: Org) -> None:
    used, limit = usage(org)
    assert limit == 100_000
    failed = org.call("GET", "sobjects/Nope/describe")
    assert failed.status_code == 404 and USAGE.match(failed.headers["Sforce-Limit-Info"])
    assert usage(org)[0] == used + 2
    body = org.ok("GET", "limits")
    assert body["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - (used + 3)}


def test_daily_quota_refuses_with_request_limit_exceeded(org: Org) -> None:
    used, _ = usage(org)
    quota = used + 2
    profile = {"mode": "realistic", "daily_call_limit": quota, "latency_ms": 0, "jitter_ms": 0}
    assert org.admin("PUT", "profile", json=profile).status_code == 200
    assert [org.call("GET", "limits").status_code for _ in range(2)] == [200, 200]
    refused = org.call("GET", "query", params={"q": "SELECT Id FROM Account"})
    assert refused.status_code == 403
    assert refused.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED", "fields": []}
    ]
    assert refused.headers["Sforce-Limit-Info"] == f"api-usage={quota}/{quota}"
    # The quota is per day of the emulator clock; a day later (and a new session) calls go through.
    org.admin("PUT", "clock", json={"advance_s": 86_400})
    org.client.headers["Authorization"] = f"Bearer {password_token(org.client)['access_token']}"
    # Counted today: the login (the emulator counts token requests too) and this call.
    assert org.call("GET", "limits").json()["DailyApiRequests"]["Remaining"] == quota - 2


def test_injected_faults_use_salesforce_bodies(org: Org) -> None:
    rule = {
        "endpoint": "POST /services/data/*/sobjects/*",
        "error_rate": 1.0,
        "error_status": 503,
        "max_faults": 1,
    }
    assert org.admin("POST", "faults", json=rule).status_code == 201
    unavailable = org.call("POST", "sobjects/Account", json={"Name": "Acme"})
    assert unavailable.status_code == 503
    assert unavailable.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert USAGE.match(unavailable.headers["Sforce-Limit-Info"])
    # The rule is spent: the retry goes through.
    assert org.call("POST", "sobjects/Account", json={"Name": "Acme"}).status_code == 201

    org.admin("DELETE", "faults")
    burst = {"endpoint": "GET /services/data/*/query", "burst_429": True, "burst_every": 0, "burst_length": 1}
    org.admin("POST", "faults", json=burst)
    throttled = org.call("GET", "query", params={"q": "SELECT Id FROM Account"})
    assert throttled.status_code == 429
    assert throttled.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    logged = org.admin("GET", "requests", params={"status": "429"}).json()
    assert logged["total"] == 1 and logged["requests"][0]["path"].endswith("/query")
