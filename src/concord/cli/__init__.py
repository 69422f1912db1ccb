"""The ``concord`` command line (typer)."""
