"""Alembic environment: runs against the engine Concord hands over (see ``concord.storage.sql.database``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from concord.storage.sql.tables import metadata

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through `concord migrate` (concord.storage.sql.database.migrate)")

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
