"""Shared fixtures: a fresh store on SQLite and on PostgreSQL, and an engine wired with the test connector.

PostgreSQL tests use the server at ``CONCORD_TEST_PG_URL`` (default 127.0.0.1:5432, database ``test``), each
in a schema of its own. Where the server is missing they skip, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog

PG_URL = os.environ.get("CONCORD_TEST_PG_URL", "postgresql+psycopg://127.0.0.1:5432/test")


def pg_available() -> bool:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def require_postgres() -> None:
    """Skip (or, in CI, fail) when PostgreSQL cannot be reached."""
    if pg_available():
        return
    message = f"PostgreSQL is not reachable at {PG_URL}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI requires it")
    pytest.skip(message)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'concord.db'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture(autouse=True)
def _quiet_logs() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
