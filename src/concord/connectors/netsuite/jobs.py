"""Asynchronous requests with idempotency keys: exactly-once writes across retries and crashes.

Any REST request sent with ``Prefer: respond-async`` is answered ``202 Accepted`` with the job's URL in
``Location``; the job (``completed``, ``progress``) lists one task whose ``related`` link is the result,
the answer the synchronous request would have given (a create: 204 and the record's ``Location``).

With ``X-NetSuite-Idempotency-Key`` (which must be a UUID) a second submission with the same key is not
run again: NetSuite answers 400 ``IDEMPOTENCY_ERROR`` with the ``Location`` of the first job, and this
module follows that job to its result. Concord's idempotency keys are deterministic text, not UUIDs, so
the NetSuite key is ``uuid5(IDEMPOTENCY_NAMESPACE, key)``: the same command gives the same UUID in every
process and after every restart, hence one record however often the command is delivered.

A key is spent even when its job fails. When the job failed for a reason that may pass (a 5xx, the
concurrency limit), the next attempt must run again, so keys come in *generations*: ``uuid5(key)``, then
``uuid5(key#1)``, ``uuid5(key#2)`` ... A job that failed transiently is reported as transient the first
time (so the engine backs off); the attempt that meets it again as a replay moves on to the next
generation. Every generation before the current one is known to have failed, so at most one succeeds.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from concord.connectors.http.governor import Priority
from concord.connectors.http.session import ApiSession
from concord.connectors.netsuite.errors import IDEMPOTENCY_CODE, SYSTEM
from concord.connectors.netsuite.links import HostGuard, id_from_location, link
from concord.connectors.netsuite.spec import IDEMPOTENCY_NAMESPACE, NetSuiteSpec
from concord.engine.errors import PermanentError, TransientError

log = structlog.get_logger(__name__)

IDEMPOTENCY_HEADER = "X-NetSuite-Idempotency-Key"
MAX_GENERATIONS = 8
"""Failed executions of one command before ``submit`` stops trying (each left a failed job behind)."""


def idempotency_uuid(key: str, generation: int = 0) -> uuid.UUID:
    """The UUID NetSuite gets for Concord's idempotency ``key`` (deterministic, see the module docstring)."""
    if not key:
        raise ValueError("an idempotency key must not be empty")
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, key if generation == 0 else f"{key}#{generation}")


@dataclass(frozen=True, slots=True)
class AsyncResult:
    """The outcome of an asynchronous request.

    Attributes:
        job_url: The job that ran it (None if NetSuite ran the request synchronously after all).
        status: The request's own status as the job's result gives it (204 for a write).
        location: The written record's URL, if the request wrote one.
        record_id: Its internal id.
        body: The result's JSON body, if any.
        replayed: The key had been submitted before: this is that earlier submission's result.
        idempotency_key: The UUID sent to NetSuite.
    """

    job_url: str | None
    status: int
    location: str | None
    record_id: str | None
    body: Any
    replayed: bool
    idempotency_key: uuid.UUID


class AsyncJobs:
    """Submits asynchronous requests and follows their jobs.

    Args:
        session: The account's session.
        spec: Polling cadence and the job timeout.
        guard: Accepts job URLs on the API host only.
        sleep: How to wait between polls (tests pass a fake).
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        session: ApiSession,
        spec: NetSuiteSpec,
        guard: HostGuard,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._spec = spec
        self._guard = guard
        self._sleep = sleep
        self._clock = clock

    async def submit(
        self, method: str, path: str, body: Any, idempotency_key: str, *, priority: Priority
    ) -> AsyncResult:
        """Run ``method path`` once per ``idempotency_key`` and return its result (see the module docstring).

        Raises:
            Rejected: NetSuite refused the request (in the job, or on submission).
            TransientError: the job failed for a reason that may pass, or is still running after
                ``async_timeout_s``; submitting again with the same key continues where this stopped.
            PermanentError: ``MAX_GENERATIONS`` executions all failed.
        """
        mapper = self._session.mapper
        for generation in range(MAX_GENERATIONS):
            key = idempotency_uuid(idempotency_key, generation)
            job_url, replayed, answer = await self._send(method, path, body, key, priority)
            if job_url is not None:
                answer = await self._result(job_url, priority)
            if answer.status_code < 300:
                return _async_result(job_url, answer, replayed, key, mapper.decode(answer))
            error = mapper.for_response(answer)
            if not (isinstance(error, TransientError) and replayed):
                raise error
            log.info(
                "netsuite async job had failed transiently; running the next generation",
                generation=generation + 1,
                reason=error.reason,
            )
        raise PermanentError(
            f"{SYSTEM} failed the request {MAX_GENERATIONS} times as an asynchronous job; giving up",
            detail=f"{method} {path}",
        )

    async def _send(
        self, method: str, path: str, body: Any, key: uuid.UUID, priority: Priority
    ) -> tuple[str | None, bool, httpx.Response]:
        headers = {"Prefer": "respond-async", IDEMPOTENCY_HEADER: str(key)}
        answer = await self._session.request(
            method, path, json=body, headers=headers, priority=priority, check=False
        )
        location = answer.headers.get("location")
        if answer.status_code == 202 and location:
            return self._guard.check(location), False, answer
        if answer.status_code == 400 and location and _is_replay(self._session, answer):
            return self._guard.check(location), True, answer
        self._session.mapper.raise_for_status(answer)
        # A 2xx other than 202: the platform ran it synchronously; its answer is the result.
        return None, False, answer

    async def _result(self, job_url: str, priority: Priority) -> httpx.Response:
        await self._until_completed(job_url, priority)
        job = await self._json(job_url, priority)
        tasks_url = link((job.get("task") or {}).get("links"), "self")
        tasks = await self._json(_need(tasks_url, "task list", job_url), priority)
        items = tasks.get("items") if isinstance(tasks.get("items"), list) else []
        task_url = link(items[0].get("links"), "self") if items and isinstance(items[0], Mapping) else None
        task = await self._json(_need(task_url, "task", job_url), priority)
        result_url = _need(link(task.get("links"), "related"), "result", job_url)
        return await self._session.request(
            "GET", self._guard.check(result_url), priority=priority, check=False
        )

    async def _until_completed(self, job_url: str, priority: Priority) -> None:
        deadline = self._clock() + self._spec.async_timeout_s
        wait = self._spec.async_poll_s
        while True:
            job = await self._json(job_url, priority)
            if job.get("completed") is True:
                return
            if self._clock() + wait > deadline:
                raise TransientError(
                    f"{SYSTEM} job {job_url} is still {job.get('progress', 'running')} after "
                    f"{self._spec.async_timeout_s:.0f} s; submitting again with the same key follows it"
                )
            await self._sleep(wait)
            wait = min(wait * 1.5, self._spec.async_poll_max_s)

    async def _json(self, url: str, priority: Priority) -> dict[str, Any]:
        body = await self._session.request_json("GET", self._guard.check(url), priority=priority)
        if not isinstance(body, dict):
            raise TransientError(f"{SYSTEM} answered {url} with an unexpected shape")
        return body


def _is_replay(session: ApiSession, answer: httpx.Response) -> bool:
    errors = session.mapper.parse(answer.status_code, _loads(session, answer))
    return any(error.code == IDEMPOTENCY_CODE for error in errors)


def _loads(session: ApiSession, answer: httpx.Response) -> Any:
    try:
        return session.mapper.decode(answer)
    except TransientError:
        return answer.text


def _need(url: str | None, what: str, job_url: str) -> str:
    if url is None:
        raise TransientError(f"{SYSTEM} job {job_url} has no link to its {what}")
    return url


def _async_result(
    job_url: str | None, answer: httpx.Response, replayed: bool, key: uuid.UUID, body: Any
) -> AsyncResult:
    location = answer.headers.get("location")
    return AsyncResult(
        job_url=job_url,
        status=answer.status_code,
        location=location,
        record_id=id_from_location(location),
        body=body,
        replayed=replayed,
        idempotency_key=key,
    )
