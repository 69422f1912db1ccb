"""Migrations create exactly the tables the code uses, on both backends, and are idempotent."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from concord.storage.sql.database import current_revision, migrate, open_engine
from concord.storage.sql.tables import metadata


def test_migrations_match_the_tables_and_run_twice(store_url: str) -> None:
    engine = open_engine(store_url)
    assert current_revision(engine) is None
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == "0001"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # Types are compared loosely: the custom UTC/JSON column types are plain DateTime/Text underneath.
    assert [d for d in diff if d[0] not in ("modify_type",)] == []
    engine.dispose()
