"""SQL implementation of the store (SQLAlchemy Core)."""
