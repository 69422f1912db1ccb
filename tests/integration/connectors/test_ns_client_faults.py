"""Every fault the emulator can inject ends as a transient error that a retry gets past, or as a permanent
one reported at once (never retried); faults that only slow a call or spoil its token are invisible."""

from __future__ import annotations

from typing import Any

import pytest
from ns_client_support import NetSuite, retry_transient, run

from concord.connectors.http import classify
from concord.connectors.netsuite import NetSuiteClient
from concord.engine.errors import CannotEncode, PermanentError, Rejected, TransientError

pytestmark = pytest.mark.faults

RECORDS = "GET /services/rest/record/*"

# fault rule (on every record read) -> how many calls it spoils
TRANSIENT_FAULTS: dict[str, tuple[dict[str, Any], int]] = {
    "error_rate_503": ({"error_rate": 1.0, "error_status": 503, "max_faults": 2}, 2),
    "error_rate_500": ({"error_rate": 1.0, "error_status": 500, "max_faults": 1}, 1),
    "timeout": ({"timeout_rate": 1.0, "hang_s": 5.0, "max_faults": 1}, 1),
    "burst_429": ({"burst_429": True, "burst_every": 0, "burst_length": 2, "max_faults": 2}, 2),
    "malformed_body": ({"malformed_rate": 1.0, "max_faults": 1}, 1),
    "truncated_body": ({"truncated_rate": 1.0, "max_faults": 1}, 1),
    "dropped_connection": ({"truncated_rate": 1.0, "truncate_mode": "drop_connection", "max_faults": 1}, 1),
    "outage": ({"outage": {}, "max_faults": 3}, 3),
}


async def a_customer(netsuite: NetSuite) -> tuple[NetSuiteClient, str]:
    """A client that has its token, and a customer to read, before the faults start."""
    client = NetSuiteClient(netsuite.spec(timeout_s=0.5))
    subsidiary = await client.create("subsidiary", {"name": "Concord US"})
    return client, await client.create("customer", {"companyName": "Acme", "subsidiary": {"id": subsidiary}})


@pytest.mark.parametrize("kind", sorted(TRANSIENT_FAULTS))
def test_transient_faults_are_retried_past(netsuite: NetSuite, kind: str) -> None:
    rule, spoiled = TRANSIENT_FAULTS[kind]

    async def scenario() -> list[TransientError]:
        client, record_id = await a_customer(netsuite)
        async with client:
            netsuite.fault(endpoint=RECORDS, seed=7, **rule)
            record, met = await retry_transient(
                lambda: client.get("customer", record_id, fields=["companyName"])
            )
            assert record["companyName"] == "Acme"
            return met

    met = run(scenario())
    assert len(met) == spoiled
    assert all(classify(error).transient for error in met)
    assert all(error.reason.startswith("NetSuite") for error in met)
    if kind == "burst_429":
        assert all(classify(error).throttled and error.retry_after == 1.0 for error in met)
        assert all("CONCURRENCY_LIMIT_EXCEEDED" in error.reason for error in met)
    if kind in ("error_rate_503", "error_rate_500"):
        assert all("UNEXPECTED_ERROR: An unexpected error occurred. Error ID:" in e.reason for e in met)


@pytest.mark.parametrize("kind", ["slow_drip", "latency", "one_expired_token"])
def test_faults_that_only_slow_a_call_or_spoil_its_token_are_invisible(netsuite: NetSuite, kind: str) -> None:
    rule = {
        "slow_drip": {"slow_drip": True, "drip_chunk_bytes": 64, "drip_interval_ms": 2.0, "max_faults": 1},
        "latency": {"latency_ms": 100.0, "max_faults": 1},
        "one_expired_token": {"error_rate": 1.0, "error_status": 401, "max_faults": 1},
    }[kind]

    async def scenario() -> None:
        client, record_id = await a_customer(netsuite)
        async with client:
            netsuite.fault(endpoint=RECORDS, **rule)
            assert (await client.get("customer", record_id))["companyName"] == "Acme"

    run(scenario())
    assert netsuite.count(fault="any") == 1


@pytest.mark.parametrize(
    ("status", "kind", "calls"),
    [(400, CannotEncode, 1), (401, PermanentError, 2), (403, PermanentError, 1), (404, Rejected, 1)],
)
def test_permanent_faults_are_reported_not_retried(
    netsuite: NetSuite, status: int, kind: type[PermanentError], calls: int
) -> None:
    async def scenario() -> PermanentError:
        client, record_id = await a_customer(netsuite)
        async with client:
            netsuite.fault(endpoint=RECORDS, error_rate=1.0, error_status=status)
            with pytest.raises(PermanentError) as refused:
                await retry_transient(lambda: client.get("customer", record_id))
            return refused.value

    error = run(scenario())
    assert type(error) is kind
    verdict = classify(error)
    assert not verdict.transient and verdict.reason.startswith("NetSuite")
    assert netsuite.count(method="GET", fault="any") == calls  # a 401 is retried once with a new token
    if status in (401, 403):
        assert "refused the credentials" in verdict.reason
