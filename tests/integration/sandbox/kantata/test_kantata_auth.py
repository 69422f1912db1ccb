"""OAuth 2 against the Kantata emulator: grants, and 401 with the oauth error envelope."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from kantata_support import CLIENT_ID, CLIENT_SECRET, Kantata

OAUTH_401 = {"errors": [{"type": "oauth", "message": "Invalid OAuth 2 Request"}]}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic Y29uY29yZC10ZXN0OmthbnRhdGEtdGVzdC1zZWNyZXQ=", "Token abc"],
)
def test_api_calls_without_a_valid_bearer_token_get_the_oauth_401(
    kantata: Kantata, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with httpx.Client(base_url=kantata.server.base_url, headers=headers) as anonymous:
        response = anonymous.get("/api/v1/workspaces.json")
    assert response.status_code == 401
    assert response.json() == OAUTH_401
    assert "retry-after" not in response.headers


def test_client_credentials_grant_issues_a_working_bearer_token(kantata: Kantata) -> None:
    with httpx.Client(base_url=kantata.server.base_url) as client:
        granted = client.post(
            "/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET), data={"grant_type": "client_credentials"}
        )
        assert granted.status_code == 200
        body = granted.json()
        assert body["token_type"] == "bearer" and "expires_in" not in body  # Kantata tokens do not expire
        listed = client.get("/api/v1/users.json", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert listed.status_code == 200
    assert listed.json()["count"] == 1  # the account administrator every token acts for


def test_wrong_client_secret_and_unknown_grant_are_refused(kantata: Kantata) -> None:
    with httpx.Client(base_url=kantata.server.base_url) as client:
        wrong = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "nope"},
        )
        unknown = client.post(
            "/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET), data={"grant_type": "password", "username": "x"}
        )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "unsupported_grant_type")


def test_authorization_code_flow_with_refresh_token(kantata: Kantata) -> None:
    redirect = "http://localhost:8765/callback"
    with httpx.Client(base_url=kantata.server.base_url) as client:
        authorized = client.get(
            "/oauth/authorize",
            params={
                "client_id": CLIENT_ID,
                "response_type": "code",
                "redirect_uri": redirect,
                "state": "xyz",
            },
        )
        assert authorized.status_code == 302
        location = urlsplit(authorized.headers["location"])
        query = parse_qs(location.query)
        assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
        assert query["state"] == ["xyz"]
        exchange = {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect}
        granted = client.post(
            "/oauth/token", data={**exchange, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        )
        replayed = client.post("/oauth/token", auth=(CLIENT_ID, CLIENT_SECRET), data=exchange)
        refreshed = client.post(
            "/oauth/token",
            auth=(CLIENT_ID, CLIENT_SECRET),
            data={"grant_type": "refresh_token", "refresh_token": granted.json()["refresh_token"]},
        )
        new_token = refreshed.json()["access_token"]
        works = client.get("/api/v1/workspaces.json", headers={"Authorization": f"Bearer {new_token}"})
    assert granted.status_code == 200 and granted.json()["refresh_token"]
    assert (replayed.status_code, replayed.json()["error"]) == (400, "invalid_grant")  # codes are single use
    assert refreshed.status_code == 200 and new_token != granted.json()["access_token"]
    assert works.status_code == 200


def test_revoked_tokens_stop_working(kantata: Kantata) -> None:
    assert kantata.get("workspaces.json").status_code == 200
    assert kantata.admin("POST", "tokens/expire").status_code == 200
    response = kantata.get("workspaces.json")
    assert (response.status_code, response.json()) == (401, OAUTH_401)
