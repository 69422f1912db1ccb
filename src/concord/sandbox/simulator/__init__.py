"""The business simulator: acts as a firm's people would, day by day, against a running sandbox.

Deals move through their stages and close in Salesforce, change orders are raised and approved there;
project managers staff Kantata projects and complete milestones, consultants log time daily and submit
timesheets, managers approve (or reject) them, expenses are filed and submitted in expense reports,
which managers approve (or reject) too; finance closes accounting periods in NetSuite. Everything goes
through the emulators' own public APIs (tokens from their token endpoints, then REST), and the emulators'
clocks are moved through the simulated days by their sandbox admin API.
The same seed and the same starting data give the same actions.

Example::

    targets = SandboxTargets.from_data_dir(Path(".sandbox"))
    report = run_simulation(targets, days=30, seed=7)
    print(report.summary())
"""

from __future__ import annotations

from concord.sandbox.simulator.behaviour import DEFAULT_BEHAVIOUR, Behaviour
from concord.sandbox.simulator.engine import ProgressCallback, SimulationError, run_simulation, simulate
from concord.sandbox.simulator.http import ApiError
from concord.sandbox.simulator.report import Activity, DayReport, SimulationReport
from concord.sandbox.simulator.targets import (
    KantataTarget,
    NetSuiteTarget,
    SalesforceTarget,
    SandboxTargets,
    TargetsError,
)

__all__ = [
    "DEFAULT_BEHAVIOUR",
    "Activity",
    "ApiError",
    "Behaviour",
    "DayReport",
    "KantataTarget",
    "NetSuiteTarget",
    "ProgressCallback",
    "SalesforceTarget",
    "SandboxTargets",
    "SimulationError",
    "SimulationReport",
    "TargetsError",
    "run_simulation",
    "simulate",
]
