"""Concord's durable store: SQLAlchemy Core tables and Alembic migrations, alike on SQLite and PostgreSQL."""
