"""Asynchronous writes with idempotency keys: one record however often a command is submitted (retries,
a crash between submitting and reading the result), the first submission's id for every later one, a job
that failed transiently run again exactly once, and postings into closed periods refused in NetSuite's
words, synchronously or not."""

from __future__ import annotations

import orjson
import pytest
from ns_client_support import NetSuite, run

from concord.connectors.http import classify
from concord.connectors.netsuite import NetSuiteClient, idempotency_uuid, record_path
from concord.engine.errors import Rejected, TransientError
from concord.sandbox.netsuite.store import IDEMPOTENCY, JOBS

KEY = "flow:01J9ZP5Q/step:create-invoice"
CLOSED = "the accounting period is closed: USER_ERROR: The accounting period Jan 2026 is closed."


@pytest.fixture
def books(netsuite: NetSuite) -> dict[str, str]:
    ids = netsuite.basics()
    ids["jan"] = netsuite.add_period("Jan 2026", "2026-01-01", "2026-01-31", closed=True)
    ids["feb"] = netsuite.add_period("Feb 2026", "2026-02-01", "2026-02-28")
    return ids


def time_bill(ids: dict[str, str], day: str) -> dict[str, object]:
    return {
        "employee": {"id": ids["employee"]},
        "customer": {"id": ids["job"]},
        "hours": "7.5",
        "tranDate": day,
        "memo": "corr-7f3a",
    }


def test_the_same_key_twice_is_one_record_and_the_second_gets_the_first_id(
    netsuite: NetSuite, books: dict[str, str]
) -> None:
    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec(async_poll_s=0.01)) as client:
            first = await client.submit_async(
                "POST", record_path("timeBill"), time_bill(books, "2026-02-10"), KEY
            )
            again = await client.submit_async(
                "POST", record_path("timeBill"), time_bill(books, "2026-02-11"), KEY
            )
            other = await client.submit_async(
                "POST", record_path("timeBill"), time_bill(books, "2026-02-12"), KEY + "/2"
            )
            assert first.status == 204 and first.record_id is not None and not first.replayed
            assert again.replayed and again.record_id == first.record_id and again.job_url == first.job_url
            assert other.record_id not in (None, first.record_id)
            assert first.idempotency_key == idempotency_uuid(KEY)

    run(scenario())
    days = sorted(record["tranDate"] for record in netsuite.records("timeBill"))
    assert days == ["2026-02-10", "2026-02-12"]
    logged = netsuite.requests(method="POST", path="/services/rest/record/v1/timeBill")["requests"]
    assert [call["status"] for call in logged] == [202, 400, 202]


def test_a_submission_cut_off_by_a_crash_is_followed_not_repeated(
    netsuite: NetSuite, books: dict[str, str]
) -> None:
    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec(async_poll_s=0.01)) as client:
            # The first process sent the request and died before it read the job.
            headers = {"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": str(idempotency_uuid(KEY))}
            sent = await client.session.request(
                "POST", record_path("timeBill"), json=time_bill(books, "2026-02-10"), headers=headers
            )
            assert sent.status_code == 202
            # After the restart the command is delivered again.
            result = await client.submit_async(
                "POST", record_path("timeBill"), time_bill(books, "2026-02-10"), KEY
            )
            assert result.replayed and result.job_url == sent.headers["location"]
            assert (await client.get("timeBill", str(result.record_id)))["memo"] == "corr-7f3a"

    run(scenario())
    assert len(netsuite.records("timeBill")) == 1


def test_a_job_that_failed_transiently_runs_again_once(netsuite: NetSuite, books: dict[str, str]) -> None:
    """A key is spent even by a failed job: the command moves on to its next generation of key, once."""
    store = netsuite.state.store
    failure = {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.4",
        "title": "Service Unavailable",
        "status": 503,
        "o:errorDetails": [{"detail": "An unexpected error occurred.", "o:errorCode": "UNEXPECTED_ERROR"}],
    }
    with store.transaction():
        job = store.insert(
            JOBS,
            {
                "status": "failed",
                "submittedAt": "2026-02-10T09:00:00Z",
                "result": {
                    "status": 503,
                    "headers": {"content-type": "application/json"},
                    "body": orjson.dumps(failure).decode(),
                },
            },
        )
        store.insert(IDEMPOTENCY, {"jobId": int(job.id)}, doc_id=str(idempotency_uuid(KEY)))

    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec(async_poll_s=0.01)) as client:
            path, body = record_path("timeBill"), time_bill(books, "2026-02-10")
            first = await client.submit_async("POST", path, body, KEY)
            again = await client.submit_async("POST", path, body, KEY)
            assert first.idempotency_key == idempotency_uuid(KEY, 1) and not first.replayed
            assert again.replayed and again.record_id == first.record_id

    run(scenario())
    assert len(netsuite.records("timeBill")) == 1


def test_a_posting_into_a_closed_period_is_rejected_in_netsuites_words(
    netsuite: NetSuite, books: dict[str, str]
) -> None:
    async def scenario() -> list[Rejected]:
        refused = []
        async with NetSuiteClient(netsuite.spec(async_poll_s=0.01)) as client:
            with pytest.raises(Rejected) as synchronous:
                await client.create("timeBill", time_bill(books, "2026-01-20"))
            refused.append(synchronous.value)
            for _ in range(2):  # the second submission is answered from the first job
                with pytest.raises(Rejected) as in_a_job:
                    await client.submit_async(
                        "POST", record_path("timeBill"), time_bill(books, "2026-01-20"), KEY
                    )
                refused.append(in_a_job.value)
        return refused

    refused = run(scenario())
    for error in refused:
        assert error.reason.startswith(f"NetSuite refused it: {CLOSED} You cannot post to a closed period.")
        assert error.reason.endswith("(fields: tranDate)")
        assert "Error while accessing a resource." in error.detail  # the platform's full text is kept
        verdict = classify(error)
        assert not verdict.transient and verdict.category == "target_rejected"
    assert netsuite.records("timeBill") == []
    assert netsuite.count(method="POST", path="/services/rest/record/v1/timeBill", status=400) == 2


@pytest.mark.faults
@pytest.mark.parametrize(
    "rule",
    [
        {"error_rate": 1.0, "error_status": 503},
        {"truncated_rate": 1.0, "truncate_mode": "drop_connection"},
        {"timeout_rate": 1.0, "hang_s": 5.0},
    ],
    ids=["503", "dropped_connection", "timeout"],
)
def test_a_retry_after_a_fault_while_following_the_job_follows_the_same_job(
    netsuite: NetSuite, books: dict[str, str], rule: dict[str, object]
) -> None:
    async def scenario() -> None:
        async with NetSuiteClient(netsuite.spec(async_poll_s=0.01, timeout_s=0.4)) as client:
            await client.get("subsidiary", books["subsidiary"])  # the token first
            netsuite.fault(endpoint="GET /services/rest/async/*", max_faults=1, **rule)
            path, body = record_path("timeBill"), time_bill(books, "2026-02-10")
            with pytest.raises(TransientError):
                await client.submit_async("POST", path, body, KEY)
            result = await client.submit_async("POST", path, body, KEY)
            assert result.replayed and result.record_id is not None

    run(scenario())
    assert len(netsuite.records("timeBill")) == 1
