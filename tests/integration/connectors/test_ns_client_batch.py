"""The batch helper writes many records concurrently, as many at once as NetSuite's concurrency limit
allows and never more: 500 upserts under the realistic profile's limit of 5 without a single 429, while a
governor set above the limit does provoke them. Failures come back per write, in order."""

from __future__ import annotations

import httpx
from ns_client_support import NetSuite, run

from concord.connectors.http import GovernorPolicy
from concord.connectors.netsuite import ExternalId, NetSuiteClient, RecordWrite, WriteResult
from concord.engine.errors import Rejected, Throttled


class PeakTransport(httpx.AsyncBaseTransport):
    """Counts the calls in flight (until their body is read) and remembers the most at once."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            response = await self.inner.handle_async_request(request)
            content = await response.aread()
            await response.aclose()
        finally:
            self.in_flight -= 1
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def upserts(subsidiary: str, count: int) -> list[RecordWrite]:
    return [
        RecordWrite.upsert(
            "customer", f"CRM-{n:05d}", {"companyName": f"Client {n:05d}", "subsidiary": {"id": subsidiary}}
        )
        for n in range(count)
    ]


def realistic(netsuite: NetSuite) -> None:
    """The realistic profile (NetSuite's concurrency limit of 5), with a short latency to keep tests quick."""
    assert (
        netsuite.profile(mode="realistic", latency_ms=15.0, jitter_ms=10.0)["platform"]["max_concurrency"]
        == 5
    )


def test_500_records_under_the_concurrency_limit_without_a_single_429(netsuite: NetSuite) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    realistic(netsuite)
    transport = PeakTransport()

    async def scenario() -> list[WriteResult]:
        async with NetSuiteClient(netsuite.spec(), transport=transport) as client:
            return await client.batch(upserts(subsidiary, 500))

    results = run(scenario(), timeout_s=60)
    assert [r.index for r in results] == list(range(500)) and all(r.success for r in results)
    assert transport.peak == 5  # the whole allowance was used, and never more
    assert netsuite.count(status=429) == 0
    stored = {r["externalId"]: r["id"] for r in netsuite.records("customer")}
    assert len(stored) == 500 and all(stored[f"CRM-{r.index:05d}"] == r.id for r in results)


def test_a_governor_set_above_the_limit_meets_429s_reported_as_throttling(netsuite: NetSuite) -> None:
    subsidiary = netsuite.seed("subsidiary", [{"name": "Concord US"}])[0]
    realistic(netsuite)
    spec = netsuite.spec(rate=GovernorPolicy(max_concurrency=10))

    async def scenario() -> list[WriteResult]:
        async with NetSuiteClient(spec) as client:
            await client.get("subsidiary", subsidiary)  # the token first, so every write goes at once
            return await client.batch(upserts(subsidiary, 60))

    results = run(scenario(), timeout_s=60)
    throttled = [r.failure for r in results if isinstance(r.failure, Throttled)]
    assert throttled and netsuite.count(status=429) == len(throttled)
    assert all(t.retry_after == 1.0 and "CONCURRENCY_LIMIT_EXCEEDED" in t.reason for t in throttled)
    assert len(netsuite.records("customer")) == 60 - len(throttled)


def test_each_write_gets_its_own_result_in_order(netsuite: NetSuite) -> None:
    ids = netsuite.basics()
    subsidiary = {"id": ids["subsidiary"]}
    writes = [
        RecordWrite.create("customer", {"companyName": "Created", "subsidiary": subsidiary}),
        RecordWrite.update("customer", "999999", {"companyName": "Nobody"}),
        RecordWrite.upsert(
            "customer", ExternalId("CRM-7"), {"companyName": "Upserted", "subsidiary": subsidiary}
        ),
        RecordWrite.update("customer", ids["customer"], {"email": "ap@acme.example"}),
        RecordWrite.delete("serviceItem", ids["item"]),
        RecordWrite.create("customer", {"companyName": "No subsidiary"}),
    ]

    async def scenario() -> list[WriteResult]:
        async with NetSuiteClient(netsuite.spec()) as client:
            return await client.batch(writes)

    results = run(scenario())
    assert [r.success for r in results] == [True, False, True, True, True, False]
    assert results[0].id is not None and results[2].id is not None and results[3].id == ids["customer"]
    assert isinstance(results[1].failure, Rejected) and "NONEXISTENT_ID" in results[1].failure.reason
    assert (
        isinstance(results[5].failure, Rejected)
        and "required fields are missing" in results[5].failure.reason
    )
    assert {r["companyName"] for r in netsuite.records("customer")} == {
        "Created",
        "Upserted",
        "Acme Consulting",
    }
    assert netsuite.records("serviceItem") == []
