"""The core's fast lane must not change an answer: each emulator is served twice, once as built (its busy
routes on the lane) and once with the lane taken out (every route through FastAPI), and the same calls,
good and bad, must get the same answers from both (status, platform headers, body)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.middleware import Middleware

from concord.sandbox.core import EmulatorSettings, RunningServer, SandboxState, start_in_thread
from concord.sandbox.core.fastlane import FastLane
from concord.sandbox.kantata import create_app as create_kantata
from concord.sandbox.netsuite import create_app as create_netsuite
from concord.sandbox.salesforce import DEFAULT_USERNAME, INTEGRATION_USER_ID
from concord.sandbox.salesforce import create_app as create_salesforce
from concord.sandbox.salesforce.auth.sessions import open_session

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
COMPARED_HEADERS = (
    "content-type",
    "location",
    "sforce-limit-info",
    "retry-after",
    "www-authenticate",
    "preference-applied",
)
_SF_ID = re.compile(r"\b[0-9a-zA-Z]{3}8d[0-9A-Za-z]{10}(?:[A-Z0-5]{3})?\b")
_RANDOM_PARTS = re.compile(r'"(transactionKey|commitNumber)":\s*("[^"]*"|\d+)')


@dataclass
class Side:
    """One served emulator, a client with a token, and what its answers created (ids by name)."""

    server: RunningServer
    client: httpx.Client
    ids: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)

    def normalized(self, response: httpx.Response) -> tuple[int, dict[str, str], str]:
        """Status, compared headers and body with this server's URL and generated ids made neutral."""

        def neutral(text: str) -> str:
            text = text.replace(self.server.base_url, "BASE")
            text = _RANDOM_PARTS.sub(lambda m: f'"{m.group(1)}": "*"', text)
            return _SF_ID.sub(lambda m: self.seen.setdefault(m.group(0), f"<id{len(self.seen)}>"), text)

        headers = {
            name: neutral(response.headers[name]) for name in COMPARED_HEADERS if name in response.headers
        }
        return response.status_code, headers, neutral(response.text)


Step = Callable[[Side], httpx.Response]


def is_lane(middleware: Middleware) -> bool:
    factory: Any = middleware.cls
    return factory is FastLane


def serve(app: FastAPI, lane: bool) -> RunningServer:
    if not lane:
        app.user_middleware = [m for m in app.user_middleware if not is_lane(m)]
    state: SandboxState = app.state.sandbox
    state.clock.set(T0, frozen=True)
    state.reset(clock=False)  # the records an emulator makes for itself, made again at T0
    return start_in_thread(app)


def pair(build: Callable[[], FastAPI], token: Callable[[FastAPI], str]) -> Iterator[tuple[Side, Side]]:
    sides = []
    for lane in (True, False):
        app = build()
        server = serve(app, lane)
        client = httpx.Client(base_url=server.base_url, timeout=30.0)
        client.headers["Authorization"] = f"Bearer {token(app)}"
        sides.append(Side(server, client))
    try:
        yield sides[0], sides[1]
    finally:
        for side in sides:
            side.client.close()
            side.server.stop()


def compare(lane: Side, plain: Side, steps: list[Step]) -> None:
    for number, step in enumerate(steps):
        answers = [side.normalized(step(side)) for side in (lane, plain)]
        assert answers[0] == answers[1], f"step {number} differs"


# -- Salesforce ----------------------------------------------------------------------------------------


def salesforce_token(app: FastAPI) -> str:
    state: SandboxState = app.state.sandbox
    return open_session(
        state.tokens, user_id=INTEGRATION_USER_ID, username=DEFAULT_USERNAME, client_id="parity"
    ).access_token


def sf(method: str, path: str, name: str | None = None, **kwargs: Any) -> Step:
    def step(side: Side) -> httpx.Response:
        url = path.format(**side.ids)
        response = side.client.request(
            method, url if url.startswith("/") else f"/services/data/v60.0/{url}", **kwargs
        )
        if name is not None:
            side.ids[name] = response.json()["id"]
        return response

    return step


def test_salesforce_answers_alike_with_and_without_the_lane() -> None:
    account = {"attributes": {"type": "Account"}}
    steps = [
        sf("POST", "sobjects/Account", "a", json={"Name": "Acme", "Concord_Id__c": "X-1"}),
        sf("GET", "sobjects/Account/{a}"),
        sf("GET", "sobjects/Account/{a}", params={"fields": "Name,Industry"}),
        sf("GET", "sobjects/Account/{a}", params={"fields": "Name,Nope"}),
        sf("HEAD", "sobjects/Account/{a}"),
        sf("PATCH", "sobjects/Account/{a}", json={"Industry": "Retail"}),
        sf("PUT", "sobjects/Account/{a}", json={}),
        sf("GET", "sobjects/Account/Concord_Id__c/x-1"),
        sf("PATCH", "sobjects/Account/Concord_Id__c/X-2", json={"Name": "Second"}),
        sf("PATCH", "sobjects/Account/Concord_Id__c/X-2", json={"Name": "Second again"}),
        sf("POST", "sobjects/Account", json={"Name": "Bad", "Bogus__c": 1}),
        sf("POST", "sobjects/Account", content=b"{not json"),
        sf("GET", "sobjects/Account/001000000000000AAA"),
        sf("GET", "sobjects/Nope/001000000000000AAA"),
        sf(
            "POST",
            "composite/sobjects",
            json={"records": [{**account, "Name": "C1"}, {**account}, {**account, "Concord_Id__c": "x-1"}]},
        ),
        sf("POST", "composite/sobjects", json={"allOrNone": True, "records": [{**account, "Name": "C2"}]}),
        sf("GET", "query", params={"q": "SELECT Name, Industry FROM Account ORDER BY Name"}),
        sf("GET", "query", params={"q": "SELECT Nope FROM Account"}),
        sf("GET", "limits"),
        sf("GET", ""),
        sf("GET", "/services/data/"),
        sf("GET", "/services/data"),
        sf("GET", "/services/data/v49.0/limits"),
        sf("GET", "/services/data/latest/limits"),
        sf("GET", "sandbox-cdc/AccountChangeEvent", params={"replayId": -2}),
        sf("DELETE", "sobjects/Account/{a}"),
        sf("DELETE", "sobjects/Account/{a}"),
        sf("GET", "limits", headers={"Authorization": "Bearer nope"}),
        sf("GET", "limits", headers={"Authorization": ""}),
    ]
    for lane, plain in pair(lambda: create_salesforce(EmulatorSettings(name="salesforce")), salesforce_token):
        compare(lane, plain, steps)


# -- Kantata --------------------------------------------------------------------------------------------


def kantata_token(app: FastAPI) -> str:
    state: SandboxState = app.state.sandbox
    return state.tokens.issue("parity", claims={"user_id": "1"}).access_token


def kt(method: str, path: str, **kwargs: Any) -> Step:
    return lambda side: side.client.request(method, f"/api/v1/{path}", **kwargs)


def test_kantata_answers_alike_with_and_without_the_lane() -> None:
    entries = [
        {"workspace_id": 1, "date_performed": f"2026-03-0{n}", "time_in_minutes": 30 * n} for n in range(1, 6)
    ]
    steps = [
        kt("POST", "workspaces.json", json={"workspace": {"title": "Parity", "creator_role": "maven"}}),
        kt(
            "POST",
            "participations",
            json={"participation": {"workspace_id": 1, "user_id": 1, "role": "maven"}},
        ),
        kt("POST", "time_entries.json", json={"time_entries": entries}),
        kt("POST", "time_entries.json", json={"time_entry": {"workspace_id": 1, "time_in_minutes": "x"}}),
        kt(
            "POST",
            "time_entries.json",
            json={"time_entries": [{**entries[0], "notes": "ok"}, {"workspace_id": 9}]},
        ),
        kt("POST", "time_entries.json", json={}),
        kt("POST", "time_entries.json", content=b"[1, 2]"),
        kt("POST", "time_entries.json", json={"time_entry": {**entries[0], "notes": "money 1.50"}}),
        kt("GET", "time_entries/1.json"),
        kt("GET", "time_entries/1"),
        kt("HEAD", "time_entries/1.json"),
        kt("GET", "time_entries/1.json", params={"include": "workspace,user"}),
        kt("GET", "time_entries/999.json"),
        kt("GET", "time_entries/abc.json"),
        kt("GET", "time_entries.json", params={"per_page": 2, "page": 2, "order": "date_performed:asc"}),
        kt("PUT", "time_entries/1.json", json={"time_entry": {"notes": "changed"}}),
        kt("PATCH", "time_entries/1", json={"time_entry": {"time_in_minutes": 0}}),
        kt("PUT", "time_entries/1.json", json={"notes": "unwrapped"}),
        kt("POST", "time_entries/1.json", json={}),
        kt("DELETE", "time_entries/2.json"),
        kt("DELETE", "time_entries/2.json"),
        kt("DELETE", "time_entries.json", params={"ids": "3,4"}),
        kt(
            "POST",
            "workspaces",
            content=b"workspace[title]=Form&workspace[creator_role]=maven",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        kt("GET", "workspaces.json"),
        kt("GET", "subscribed_events.json"),
        kt("GET", "time_entries/1.json", headers={"Authorization": "Bearer nope"}),
        kt("POST", "time_entries.json", json={"time_entries": entries}, headers={"Authorization": ""}),
    ]
    for lane, plain in pair(lambda: create_kantata(EmulatorSettings(name="kantata")), kantata_token):
        compare(lane, plain, steps)


# -- NetSuite -------------------------------------------------------------------------------------------


def netsuite_token(app: FastAPI) -> str:
    state: SandboxState = app.state.sandbox
    return state.tokens.issue("parity", scopes=("rest_webservices",)).access_token


RECORDS = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
IDEMPOTENCY_KEY = "6f1c1f7e-8a8e-4c52-9a51-3b0c2f0d9e11"


def ns(method: str, path: str, **kwargs: Any) -> Step:
    return lambda side: side.client.request(method, path, **kwargs)


def finished_job(side: Side) -> httpx.Response:
    """The async job's answer once it ran (the job runs after the 202, in the background)."""
    deadline = time.monotonic() + 10
    while True:
        response = side.client.get("/services/rest/async/v1/job/1")
        if response.json().get("completed") or time.monotonic() > deadline:
            assert response.json().get("completed"), response.text
            return response
        time.sleep(0.02)


def test_netsuite_answers_alike_with_and_without_the_lane() -> None:
    customer = {"companyName": "Parity Ltd", "subsidiary": {"id": "1"}}
    query = {"q": "SELECT id, companyName FROM customer ORDER BY id"}
    steps = [
        ns("POST", f"{RECORDS}/subsidiary", json={"name": "Parity Inc.", "country": "US"}),
        ns("POST", f"{RECORDS}/customer", json=customer),
        ns("POST", f"{RECORDS}/customer", json={**customer, "bogusField": 1}),
        ns("POST", f"{RECORDS}/customer", content=b"{broken"),
        ns("GET", f"{RECORDS}/customer/2"),
        ns("HEAD", f"{RECORDS}/customer/2"),
        ns("GET", f"{RECORDS}/customer/2", params={"fields": "companyName", "expandSubResources": "true"}),
        ns("PATCH", f"{RECORDS}/customer/2", json={"companyName": "Parity Group"}),
        ns("PUT", f"{RECORDS}/customer/eid:C-1", json=customer),
        ns("GET", f"{RECORDS}/customer/eid:C-1"),
        ns("GET", f"{RECORDS}/customer", params={"limit": 1}),
        ns("GET", f"{RECORDS}/nosuchtype/1"),
        ns("GET", f"{RECORDS}/customer/999"),
        ns("PUT", f"{RECORDS}/customer/2", json=customer),
        ns("POST", SUITEQL, json=query),
        ns("POST", SUITEQL, json=query, params={"limit": 1}, headers={"Prefer": "transient"}),
        ns("POST", SUITEQL, json={"q": "SELECT FROM"}, headers={"Prefer": "transient"}),
        ns(
            "POST",
            f"{RECORDS}/customer",
            json={**customer, "companyName": "Later Ltd"},
            headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": IDEMPOTENCY_KEY},
        ),
        finished_job,
        ns(
            "POST",
            f"{RECORDS}/customer",
            json=customer,
            headers={"Prefer": "respond-async", "X-NetSuite-Idempotency-Key": IDEMPOTENCY_KEY},
        ),
        ns("DELETE", f"{RECORDS}/customer/2"),
        ns("GET", f"{RECORDS}/customer/2"),
        ns("GET", f"{RECORDS}/customer/3", headers={"Authorization": "Bearer nope"}),
    ]
    for lane, plain in pair(lambda: create_netsuite(EmulatorSettings(name="netsuite")), netsuite_token):
        compare(lane, plain, steps)


@pytest.mark.parametrize(
    "build", [create_salesforce, create_kantata, create_netsuite], ids=["salesforce", "kantata", "netsuite"]
)
def test_every_emulator_serves_its_busy_routes_on_the_lane(
    build: Callable[[EmulatorSettings], FastAPI],
) -> None:
    app = build(EmulatorSettings(name="any"))
    assert is_lane(app.user_middleware[-1])
