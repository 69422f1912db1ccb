"""What every actor of the simulation works with: the platform APIs, the firm as known, the behaviour,
the seed, and the report of the day being simulated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from concord.sandbox.simulator.apis import KantataApi, NetSuiteApi, SalesforceApi
from concord.sandbox.simulator.behaviour import Behaviour
from concord.sandbox.simulator.dice import Dice
from concord.sandbox.simulator.http import ApiError
from concord.sandbox.simulator.report import DayReport
from concord.sandbox.simulator.world import World


@dataclass
class SimContext:
    """The simulation's shared parts.

    Attributes:
        seed: The simulation seed.
        start: The first simulated day.
        behaviour: Rates and delays.
        salesforce: The CRM.
        kantata: The PSA.
        netsuite: The ERP.
        world: The firm as the simulator knows it.
    """

    seed: int
    start: date
    behaviour: Behaviour
    salesforce: SalesforceApi
    kantata: KantataApi
    netsuite: NetSuiteApi
    world: World

    def dice(self, *parts: object) -> Dice:
        """A random source for one decision, named by ``parts``."""
        return Dice(self.seed, *parts)

    def collect_errors(self, report: DayReport) -> None:
        """Move the Kantata refusals gathered by bulk calls into the day's report."""
        for message in self.kantata.errors:
            report.error(message)
        self.kantata.errors.clear()


def record_failure(report: DayReport, error: ApiError) -> None:
    """Count a refused call in the report without stopping the simulation."""
    report.error(str(error)[:300])
