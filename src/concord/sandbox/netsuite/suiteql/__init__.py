"""The SuiteQL subset of the NetSuite emulator: one table per query, filters, ordering, paging."""

from __future__ import annotations

from concord.sandbox.netsuite.suiteql.service import run_suiteql

__all__ = ["run_suiteql"]
