"""Observability: structured logs with correlation ids, metrics, tracing, SLAs, reconciliation."""
