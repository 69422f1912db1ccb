"""Simulated sandboxes, built once for the folder (loading and simulating cost seconds, reading the
results costs milliseconds):

- ``simulated``: the small firm (generator seed 1, as of Thursday 26 March 2026) simulated over 9 days,
  Thu 26 March to Fri 3 April: a weekly submission, the March month-end burst, and the close of March on
  the third working day of April;
- ``twin``: the same firm loaded into a second sandbox and simulated with the same seed over the same
  days, for determinism.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pytest
from sim_support import Readers, Sandbox, start_sandbox

from concord.sandbox.firm import Firm, generate_firm
from concord.sandbox.firm.load import load_firm_async
from concord.sandbox.simulator import SimulationReport, simulate

FIRM_SEED = 1
SIM_SEED = 3
START = date(2026, 3, 26)
DAYS = 9
END = date(2026, 4, 3)


@dataclass
class Simulated:
    """A simulated sandbox, its report, and readers on it."""

    sandbox: Sandbox
    report: SimulationReport
    read: Readers


def _load_and_simulate(sandbox: Sandbox, firm: Firm, days: int) -> SimulationReport:
    async def work() -> SimulationReport:
        await load_firm_async(firm, sandbox.access)
        # The start is left to the simulator: the day after the latest logged time, i.e. START.
        return await simulate(sandbox.targets, days=days, seed=SIM_SEED)

    return asyncio.run(work())


@contextmanager
def _simulated(sandbox: Sandbox, firm: Firm, days: int) -> Iterator[Simulated]:
    try:
        report = _load_and_simulate(sandbox, firm, days)
        readers = Readers(sandbox)
        try:
            yield Simulated(sandbox, report, readers)
        finally:
            readers.close()
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    with _simulated(start_sandbox(tmp_path_factory.mktemp("small")), _small_firm(), DAYS) as done:
        yield done


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    with _simulated(start_sandbox(tmp_path_factory.mktemp("twin")), _small_firm(), DAYS) as done:
        yield done


def _small_firm() -> Firm:
    return generate_firm("small", FIRM_SEED, as_of=START)
