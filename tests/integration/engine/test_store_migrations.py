"""Migrations create exactly the tables the code uses, on both backends, and are idempotent."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from concord.storage.sql.database import alembic_config, current_revision, migrate, open_engine
from concord.storage.sql.tables import metadata


def test_migrations_match_the_tables_and_run_twice(store_url: str) -> None:
    engine = open_engine(store_url)
    assert current_revision(engine) is None
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # Types are compared loosely: the custom UTC/JSON column types are plain DateTime/Text underneath.
    assert [d for d in diff if d[0] not in ("modify_type",)] == []
    engine.dispose()
