"""Alembic migrations of Concord's store."""
