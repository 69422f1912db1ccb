"""The NetSuite emulator served on a loopback port for the whole session, and a fresh client per test.

One server serves the session (starting uvicorn per test would cost more than the tests); the ``ns``
fixture wipes its data, faults, clock, tokens and profile before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from ns_support import CERT_ID, CLIENT_ID, TLS, Emulator, NetSuiteClient, assertion, fetch_token, public_pem

from concord.sandbox.core import EmulatorSettings, start_in_thread
from concord.sandbox.netsuite import create_app


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    key = ec.generate_private_key(ec.SECP256R1())
    settings = EmulatorSettings(name="netsuite", credentials={f"{CLIENT_ID}:{CERT_ID}": public_pem(key)})
    with start_in_thread(create_app(settings)) as server:
        yield Emulator(server, key)


@pytest.fixture
def ns(emulator: Emulator) -> Iterator[NetSuiteClient]:
    """A client with a fresh token on a wiped emulator (instant profile, real time)."""
    admin = httpx.Client(base_url=emulator.base_url + "/__sandbox", timeout=10, verify=TLS)
    assert admin.post("/reset", json={"tokens": True}).status_code == 200
    assert admin.put("/profile", json={"mode": "instant", "reset_counters": True}).status_code == 200
    admin.close()
    response = fetch_token(emulator.base_url, assertion(emulator.key, emulator.base_url))
    assert response.status_code == 200, response.text
    client = NetSuiteClient(emulator.base_url, response.json()["access_token"])
    yield client
    client.close()
