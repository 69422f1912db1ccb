"""Kantata OX mapping files (``<collection>.<Canonical>.yaml``), their examples, and their hooks."""
