"""Asynchronous requests (``Prefer: respond-async``) and their idempotency keys.

A request sent with ``Prefer: respond-async`` is answered ``202 Accepted`` with
``Preference-Applied: respond-async`` and ``Location: .../services/rest/async/v1/job/{id}``; it runs in
the background. ``GET /async/v1/job/{id}`` shows ``completed`` and ``progress`` (``pending``,
``succeeded``, ``failed``); ``.../task`` lists its one task; ``.../task/{id}`` gives ``startTime`` and
``endTime``; ``.../task/{id}/result`` answers what the synchronous request would have answered
(for a create: 204 with the record's ``Location``).

``X-NetSuite-Idempotency-Key`` (a UUID) is honoured on asynchronous requests only: a second request with
a key already used is not executed again; it is answered 400 with title "Conflict", code
``IDEMPOTENCY_ERROR`` and the ``Location`` of the earlier job, whose result the client reads there. The
body of the second request is not compared. Synchronous requests ignore the header.
"""

from __future__ import annotations

import uuid
from typing import Any

from concord.sandbox.core import Clock, DocStore
from concord.sandbox.netsuite.errors import ErrorDetail, NetSuiteError, error, nonexistent_id
from concord.sandbox.netsuite.fields import format_datetime
from concord.sandbox.netsuite.operations import COLLECTION, Operation, Outcome
from concord.sandbox.netsuite.render import collection
from concord.sandbox.netsuite.service import RecordService
from concord.sandbox.netsuite.store import IDEMPOTENCY, JOBS

JOB_PATH = "/services/rest/async/v1/job"
IDEMPOTENCY_HEADER = "X-NetSuite-Idempotency-Key"
TASK_ID = "1"


class AsyncJobs:
    """Submits, runs and reports asynchronous jobs.

    Args:
        store: The emulator's document store (jobs survive in it until a reset).
        clock: The emulator clock.
        service: Runs the operations.
    """

    def __init__(self, store: DocStore, clock: Clock, service: RecordService) -> None:
        self._store = store
        self._clock = clock
        self._service = service

    def submit(self, op: Operation, idempotency_key: str | None) -> tuple[Outcome, int | None]:
        """Queue ``op``; answer 202 and the job id to run, or the idempotency conflict and ``None``."""
        now = format_datetime(self._clock.now())
        key = None if idempotency_key is None else idempotency_key.strip()
        if key is not None:
            _check_key(key)
        # The store's transaction holds its lock, so two requests racing with one key cannot both win.
        with self._store.transaction():
            earlier = None if key is None else self._store.get(IDEMPOTENCY, key)
            if earlier is not None:
                return _conflict(self._job_url(op.base_url, int(earlier.data["jobId"]))), None
            job = self._store.insert(
                JOBS, {"status": "pending", "submittedAt": now, "operation": op.as_json()}
            )
            if key is not None:
                self._store.insert(IDEMPOTENCY, {"jobId": int(job.id)}, doc_id=key)
        headers = {"location": self._job_url(op.base_url, int(job.id)), "preference-applied": "respond-async"}
        return Outcome(202, headers), int(job.id)

    def run(self, job_id: int) -> None:
        """Execute a pending job and store its result (called in the background)."""
        doc = self._store.get(JOBS, job_id)
        if doc is None or doc.data.get("status") != "pending":
            return
        started = format_datetime(self._clock.now())
        self._store.patch(JOBS, job_id, {"status": "processing", "startTime": started})
        outcome = self._service.execute(Operation.from_json(doc.data["operation"]))
        status = "succeeded" if outcome.status < 400 else "failed"
        self._store.patch(
            JOBS,
            job_id,
            {"status": status, "endTime": format_datetime(self._clock.now()), "result": outcome.as_json()},
        )

    def answer(self, path: str, base_url: str) -> Outcome:
        """Answer ``GET`` on a job, its task list, a task or a task's result.

        Raises:
            NetSuiteError: 404 for an unknown job or task.
        """
        parts = [p for p in path.removeprefix(JOB_PATH).split("/") if p]
        if (
            not parts
            or not (parts[0].isascii() and parts[0].isdigit())
            or len(parts[0]) > 18
            or len(parts) > 4
        ):
            raise nonexistent_id(path)
        doc = self._store.get(JOBS, int(parts[0]))
        if doc is None or (len(parts) > 1 and parts[1] != "task") or (len(parts) > 2 and parts[2] != TASK_ID):
            raise nonexistent_id(path)
        url = self._job_url(base_url, int(parts[0]))
        data = doc.data
        if len(parts) == 1:
            return Outcome.json(self._job_view(url, int(parts[0]), data))
        if len(parts) == 2:
            item = {"links": [_link("self", f"{url}/task/{TASK_ID}")], "id": TASK_ID}
            return Outcome.json(
                collection([item], offset=0, total=1, self_href=f"{url}/task"), content_type=COLLECTION
            )
        if len(parts) == 3:
            return Outcome.json(_task_view(f"{url}/task/{TASK_ID}", data))
        result = data.get("result")
        if result is None:
            raise error(404, "NONEXISTENT_ID", "The task has not finished yet; its result is not available.")
        return Outcome.from_json(result)

    def _job_view(self, url: str, job_id: int, data: dict[str, Any]) -> dict[str, Any]:
        done = data.get("status") in ("succeeded", "failed")
        return {
            "links": [_link("self", url)],
            "completed": done,
            "id": str(job_id),
            "progress": _progress(data),
            "task": {"links": [_link("self", f"{url}/task")]},
        }

    @staticmethod
    def _job_url(base_url: str, job_id: int) -> str:
        return f"{base_url.rstrip('/')}{JOB_PATH}/{job_id}"


def _task_view(url: str, data: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "links": [_link("related", f"{url}/result"), _link("self", url)],
        "completed": data.get("status") in ("succeeded", "failed"),
        "id": TASK_ID,
        "progress": _progress(data),
    }
    for key in ("startTime", "endTime"):
        if data.get(key):
            view[key] = data[key]
    return view


def _progress(data: dict[str, Any]) -> str:
    status = str(data.get("status", "pending"))
    return "pending" if status == "processing" else status


def _check_key(key: str) -> None:
    try:
        uuid.UUID(key)
    except ValueError as exc:
        raise error(
            400, "INVALID_HEADER", "The idempotency key must be a UUID (RFC 4122).", header=IDEMPOTENCY_HEADER
        ) from exc


def _conflict(location: str) -> Outcome:
    detail = (
        'A request with the same idempotency key is already submitted. See the "Location" header for a link '
        "to the previously submitted job"
    )
    problem = NetSuiteError(
        400, [ErrorDetail(detail, "IDEMPOTENCY_ERROR")], headers={"location": location}, title="Conflict"
    )
    outcome = Outcome.failure(problem)
    return Outcome(outcome.status, {**outcome.headers, "preference-applied": "respond-async"}, outcome.body)


def _link(rel: str, href: str) -> dict[str, str]:
    return {"rel": rel, "href": href}
