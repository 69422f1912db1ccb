"""Following asynchronous jobs, on a scripted ``httpx.MockTransport`` platform: idempotency conflicts
followed, failed jobs retried under the next key generation exactly when it is safe, jobs that run too
long, and links that point away from the account's host."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from concord.connectors.netsuite import NetSuiteClient, NetSuiteSpec, idempotency_uuid, record_path
from concord.connectors.netsuite.jobs import MAX_GENERATIONS
from concord.engine.errors import PermanentError, Rejected, TransientError

HOST = "https://1234567.suitetalk.api.netsuite.com"
JOBS = HOST + "/services/rest/async/v1/job"
KEY = "flow:42/step:post-time"
UNAVAILABLE = {
    "o:errorDetails": [{"detail": "An unexpected error occurred.", "o:errorCode": "UNEXPECTED_ERROR"}]
}
CLOSED = {
    "o:errorDetails": [{"detail": "The accounting period Jan 2026 is closed.", "o:errorCode": "USER_ERROR"}]
}


@cache
def ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class Job:
    result: httpx.Response
    polls_until_done: int = 0


@dataclass
class AsyncPlatform:
    """Scripted async service: each submission runs the next scripted outcome (a status and body)."""

    outcomes: list[tuple[int, Any]]
    job_host: str = HOST
    jobs: dict[int, Job] = field(default_factory=dict)
    keys: dict[str, int] = field(default_factory=dict)
    submitted: list[str] = field(default_factory=list)
    never_done: bool = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        if "/async/v1/job/" in path:
            return self._job(path)
        key = request.headers["x-netsuite-idempotency-key"]
        assert request.headers["prefer"] == "respond-async"
        self.submitted.append(key)
        if key in self.keys:
            problem = {
                "title": "Conflict",
                "o:errorDetails": [{"detail": "same key", "o:errorCode": "IDEMPOTENCY_ERROR"}],
            }
            location = f"{JOBS}/{self.keys[key]}"
            return httpx.Response(400, json=problem, headers={"Location": location})
        job_id = len(self.jobs) + 1
        status, body = self.outcomes.pop(0)
        headers = (
            {"Location": f"{HOST}/services/rest/record/v1/timeBill/{100 + job_id}"} if status == 204 else {}
        )
        content = b"" if body is None else orjson.dumps(body)
        self.jobs[job_id] = Job(httpx.Response(status, headers=headers, content=content), 2)
        self.keys[key] = job_id
        return httpx.Response(
            202, headers={"Location": f"{self.job_host}/services/rest/async/v1/job/{job_id}"}
        )

    def _job(self, path: str) -> httpx.Response:
        parts = path.split("/async/v1/job/")[1].split("/")
        job = self.jobs[int(parts[0])]
        url = f"{JOBS}/{parts[0]}"
        if len(parts) == 1:
            job.polls_until_done -= 1
            done = job.polls_until_done < 0 and not self.never_done
            return httpx.Response(
                200,
                json={
                    "id": parts[0],
                    "completed": done,
                    "task": {"links": [{"rel": "self", "href": url + "/task"}]},
                },
            )
        if len(parts) == 2:
            return httpx.Response(
                200, json={"items": [{"links": [{"rel": "self", "href": url + "/task/1"}]}]}
            )
        if len(parts) == 3:
            return httpx.Response(200, json={"links": [{"rel": "related", "href": url + "/task/1/result"}]})
        return job.result


def client_for(platform: AsyncPlatform, **spec: Any) -> NetSuiteClient:
    options: dict[str, Any] = {
        "account_id": "1234567",
        "client_id": "c",
        "certificate_id": "k",
        "private_key": ec_pem(),
        "algorithm": "ES256",
        "async_poll_s": 0.001,
        "async_poll_max_s": 0.002,
    }
    options.update(spec)
    return NetSuiteClient(NetSuiteSpec(**options), transport=httpx.MockTransport(platform))


async def submit(client: NetSuiteClient) -> Any:
    return await client.submit_async("POST", record_path("timeBill"), {"hours": "7.5"}, KEY)


def test_a_job_is_polled_to_its_result_and_a_repeat_follows_it() -> None:
    platform = AsyncPlatform([(204, None)])

    async def scenario() -> None:
        async with client_for(platform) as client:
            first, again = await submit(client), await submit(client)
            assert (first.record_id, first.replayed, first.job_url) == ("101", False, f"{JOBS}/1")
            assert (again.record_id, again.replayed, again.job_url) == ("101", True, f"{JOBS}/1")

    asyncio.run(scenario())
    assert platform.submitted == [str(idempotency_uuid(KEY))] * 2 and len(platform.jobs) == 1


def test_a_transient_job_failure_is_reported_then_run_again_under_the_next_key() -> None:
    platform = AsyncPlatform([(503, UNAVAILABLE), (204, None)])

    async def scenario() -> None:
        async with client_for(platform) as client:
            with pytest.raises(TransientError, match="UNEXPECTED_ERROR"):
                await submit(client)  # reported, so that the engine backs off before the next execution
            result = await submit(client)
            assert result.record_id == "102" and result.idempotency_key == idempotency_uuid(KEY, 1)
            assert (await submit(client)).replayed

    asyncio.run(scenario())
    first, second = str(idempotency_uuid(KEY)), str(idempotency_uuid(KEY, 1))
    assert platform.submitted == [first, first, second, first, second]


def test_a_permanent_job_failure_is_the_answer_for_every_repeat() -> None:
    platform = AsyncPlatform([(400, CLOSED)])

    async def scenario() -> None:
        async with client_for(platform) as client:
            for _ in range(3):
                with pytest.raises(Rejected, match="the accounting period is closed"):
                    await submit(client)

    asyncio.run(scenario())
    assert len(platform.jobs) == 1


def test_after_every_generation_failed_it_gives_up() -> None:
    platform = AsyncPlatform([(503, UNAVAILABLE)] * MAX_GENERATIONS)

    async def scenario() -> None:
        async with client_for(platform) as client:
            for _ in range(MAX_GENERATIONS):
                with pytest.raises(TransientError):
                    await submit(client)
            with pytest.raises(PermanentError, match=f"failed the request {MAX_GENERATIONS} times"):
                await submit(client)

    asyncio.run(scenario())
    assert len(platform.jobs) == MAX_GENERATIONS


def test_a_job_still_running_after_the_timeout_is_transient_and_followed_later() -> None:
    platform = AsyncPlatform([(204, None)], never_done=True)

    async def scenario() -> None:
        async with client_for(platform, async_timeout_s=0.05) as client:
            with pytest.raises(
                TransientError, match="still running after 0 s; submitting again with the same key follows it"
            ):
                await submit(client)
            platform.never_done = False
            assert (await submit(client)).replayed

    asyncio.run(scenario())
    assert len(platform.jobs) == 1


def test_a_job_link_to_another_host_is_not_followed() -> None:
    platform = AsyncPlatform([(204, None)], job_host="https://elsewhere.example")

    async def scenario() -> None:
        async with client_for(platform) as client:
            with pytest.raises(PermanentError, match=r"elsewhere\.example, not the configured host"):
                await submit(client)

    asyncio.run(scenario())
    assert [job.polls_until_done for job in platform.jobs.values()] == [2]  # never polled


def test_a_request_run_synchronously_after_all_is_its_own_result() -> None:
    def platform(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(204, headers={"Location": f"{HOST}/services/rest/record/v1/timeBill/7"})

    async def scenario() -> None:
        spec = NetSuiteSpec(
            account_id="1234567", client_id="c", certificate_id="k", private_key=ec_pem(), algorithm="ES256"
        )
        async with NetSuiteClient(spec, transport=httpx.MockTransport(platform)) as client:
            result = await submit(client)
            assert (result.job_url, result.record_id, result.status) == (None, "7", 204)
            assert isinstance(result.idempotency_key, uuid.UUID)

    asyncio.run(scenario())
