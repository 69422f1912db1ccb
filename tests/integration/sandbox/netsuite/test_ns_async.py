"""Asynchronous requests (Prefer: respond-async), job polling and X-NetSuite-Idempotency-Key."""

from __future__ import annotations

import concurrent.futures
import time
import uuid
from typing import Any

from ns_support import NetSuiteClient, client, error_detail

ASYNC = {"Prefer": "respond-async"}


def _path(ns: NetSuiteClient, url: str) -> str:
    return url.replace(ns.base_url + "/services/rest", "")


def _wait(ns: NetSuiteClient, job_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        job: dict[str, Any] = ns.http.get(_path(ns, job_url)).json()
        if job["completed"] or time.monotonic() > deadline:
            return job
        time.sleep(0.02)


def _count(ns: NetSuiteClient, record_type: str) -> int:
    total: int = ns.http.get(f"/record/v1/{record_type}").json()["totalResults"]
    return total


def test_async_create_answers_202_and_the_job_result_has_the_record_location(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Async Ltd"})
    response = ns.http.post(
        "/record/v1/customer", json={"companyName": "Later", "subsidiary": {"id": subsidiary}}, headers=ASYNC
    )

    assert response.status_code == 202 and response.headers["preference-applied"] == "respond-async"
    job_url = response.headers["location"]
    assert "/services/rest/async/v1/job/" in job_url
    job = _wait(ns, job_url)
    assert (
        job["completed"] is True and job["progress"] == "succeeded" and job["id"] == job_url.rsplit("/", 1)[1]
    )
    tasks = ns.http.get(_path(ns, job["task"]["links"][0]["href"])).json()
    task_url = tasks["items"][0]["links"][0]["href"]
    task = ns.http.get(_path(ns, task_url)).json()
    assert task["progress"] == "succeeded" and task["startTime"] <= task["endTime"]
    result_url = next(link["href"] for link in task["links"] if link["rel"] == "related")
    result = ns.http.get(_path(ns, result_url))
    assert result.status_code == 204
    created = ns.get("customer", result.headers["location"].rsplit("/", 1)[1])
    assert created["companyName"] == "Later"


def test_same_idempotency_key_twice_runs_once_and_points_to_the_first_job(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Idem"})
    key = str(uuid.uuid4())
    headers = {**ASYNC, "X-NetSuite-Idempotency-Key": key}
    body = {"companyName": "Once Only", "subsidiary": {"id": subsidiary}}

    first = ns.http.post("/record/v1/customer", json=body, headers=headers)
    _wait(ns, first.headers["location"])
    second = ns.http.post("/record/v1/customer", json={**body, "companyName": "Changed"}, headers=headers)

    assert first.status_code == 202
    assert second.status_code == 400
    assert second.headers["location"] == first.headers["location"]
    assert second.json()["title"] == "Conflict"
    assert error_detail(second)["o:errorCode"] == "IDEMPOTENCY_ERROR"
    assert _count(ns, "customer") == 1
    replayed = ns.http.get(_path(ns, second.headers["location"]) + "/task/1/result")
    assert (
        replayed.status_code == 204
        and ns.get("customer", replayed.headers["location"].rsplit("/", 1)[1])["companyName"] == "Once Only"
    )


def test_racing_requests_with_one_key_create_one_record(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Race"})
    headers = {
        **ASYNC,
        "X-NetSuite-Idempotency-Key": str(uuid.uuid4()),
        "Authorization": ns.http.headers["authorization"],
    }
    url = ns.base_url + "/services/rest/record/v1/customer"
    body = {"companyName": "Racer", "subsidiary": {"id": subsidiary}}

    def post(_: int) -> int:
        with client() as http:
            return http.post(url, json=body, headers=headers).status_code

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(post, range(4)))

    assert statuses == [202, 400, 400, 400]
    deadline = time.monotonic() + 5
    while _count(ns, "customer") == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _count(ns, "customer") == 1


def test_synchronous_requests_ignore_the_idempotency_key(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Sync"})
    headers = {"X-NetSuite-Idempotency-Key": str(uuid.uuid4())}
    body = {"companyName": "Twice", "subsidiary": {"id": subsidiary}}
    assert ns.http.post("/record/v1/customer", json=body, headers=headers).status_code == 204
    assert ns.http.post("/record/v1/customer", json=body, headers=headers).status_code == 204
    assert _count(ns, "customer") == 2


def test_idempotency_key_must_be_a_uuid(ns: NetSuiteClient) -> None:
    headers = {**ASYNC, "X-NetSuite-Idempotency-Key": "flow-42-step-3"}
    response = ns.http.post("/record/v1/customer", json={"companyName": "X"}, headers=headers)
    assert response.status_code == 400
    assert error_detail(response)["o:errorHeader"] == "X-NetSuite-Idempotency-Key"


def test_a_failing_async_request_ends_failed_with_the_error_as_result(ns: NetSuiteClient) -> None:
    ids = ns.seed_basics()
    ns.add_period("Jan 2026", "2026-01-01", "2026-01-31", closed=True)
    body = {"employee": {"id": ids["employee"]}, "hours": 2, "tranDate": "2026-01-15"}

    response = ns.http.post("/record/v1/timeBill", json=body, headers=ASYNC)
    job = _wait(ns, response.headers["location"])
    result = ns.http.get(_path(ns, response.headers["location"]) + "/task/1/result")

    assert job["progress"] == "failed" and job["completed"] is True
    assert result.status_code == 400 and error_detail(result)["o:errorCode"] == "USER_ERROR"
    assert _count(ns, "timeBill") == 0


def test_async_upsert_and_suiteql(ns: NetSuiteClient) -> None:
    subsidiary = ns.create("subsidiary", {"name": "Upsert"})
    upsert = ns.http.put(
        "/record/v1/customer/eid:CRM-9",
        json={"companyName": "Nine", "subsidiary": {"id": subsidiary}},
        headers=ASYNC,
    )
    assert _wait(ns, upsert.headers["location"])["progress"] == "succeeded"
    query = ns.http.post("/query/v1/suiteql", json={"q": "SELECT externalid FROM customer"}, headers=ASYNC)
    assert query.status_code == 202
    _wait(ns, query.headers["location"])
    result = ns.http.get(_path(ns, query.headers["location"]) + "/task/1/result").json()
    assert result["items"] == [{"links": [], "externalid": "CRM-9"}]


def test_unknown_job_is_not_found(ns: NetSuiteClient) -> None:
    response = ns.http.get("/async/v1/job/987654")
    assert response.status_code == 404 and error_detail(response)["o:errorCode"] == "NONEXISTENT_ID"
