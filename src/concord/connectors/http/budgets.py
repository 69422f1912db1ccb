"""Quota budgets: each system's API allowance as one budget that every flow, poll and backfill of this
process draws from.

A platform's quota is the account's, not a client's: Salesforce counts daily API requests per org,
NetSuite limits concurrent requests per account, Kantata throttles per account. So every client of one
system in a process shares one ``RateGovernor`` from here, and calls are served by priority (a person
waiting before flow work, flow work before a backfill). Across processes the platform's own usage reports
(``Sforce-Limit-Info`` and the like) are what each governor reads, so workers on several machines see the
same count. An exhausted budget raises ``QuotaExhausted``: the engine pauses the command and keeps its
place without counting an attempt, and a backfill waits and resumes from its cursor.
"""

from __future__ import annotations

from concord.connectors.http.governor import GovernorPolicy, GovernorStatus, RateGovernor


class QuotaBudgets:
    """The shared call budget of each system, by system name."""

    def __init__(self) -> None:
        self._governors: dict[str, RateGovernor] = {}

    def governor(self, system: str, policy: GovernorPolicy | None = None) -> RateGovernor:
        """The budget of ``system`` (made with ``policy`` the first time it is asked for)."""
        found = self._governors.get(system)
        if found is None:
            found = self._governors[system] = RateGovernor(system, policy)
        return found

    def status(self) -> list[GovernorStatus]:
        """Where every budget stands, for dashboards and ``concord status``."""
        return [governor.status() for _, governor in sorted(self._governors.items())]
