"""Concord's analytical sink as a connector (``kind = "analytics"``): the figures flows compute for
reporting, written into Concord's own store (today the utilization per resource and week,
``resource_weeks``, read by ``concord utilization``).

Why a connector and not a table the flow writes itself: the flow stays pure, deciding on canonical records
and issuing commands (``upsert ResourceWeek``) as every flow does, and its writes get what every write
gets: the outbox, retries with backoff, one outcome per command, the exception queue. And the sink can be
swapped: the DuckDB analytical replica of architecture.md can take this connector's place, under the same
name in the configuration, without the flow changing.

Writes are idempotent: a week is upserted by (resource, week); a command carried out twice, or replayed,
leaves the row as it was (``concord.storage.sql.utilization_store``). The sink detects no changes.

Configuration: ``[concord.connectors.analytics]`` with ``kind = "analytics"``; it takes no other option.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from concord.connectors.platform import ConnectorServices
from concord.domain.messages import CommandEnvelope
from concord.domain.objects.rules import business_messages
from concord.domain.utilization_figures import ResourceWeekFigures
from concord.engine.errors import CannotEncode, Classification
from concord.engine.ports import Clock, DetectedChanges, Failed, Outcome, Succeeded, SystemClock
from concord.settings import ConfigError

if TYPE_CHECKING:
    from concord.connectors.http.governor import RateGovernor
    from concord.storage.sql.store import SqlStore

__all__ = ["AnalyticsConnector", "analytics_connector"]

OBJECTS = frozenset({"ResourceWeek"})
"""What the sink holds: the objects its ``upsert`` takes."""


class AnalyticsConnector:
    """The engine's ``Connector`` for the analytical tables of Concord's store."""

    def __init__(self, name: str, store: SqlStore, clock: Clock | None = None) -> None:
        self.name = name
        self.store = store
        self.clock = clock or SystemClock()

    async def detect(self, object_type: str, cursor: str | None, limit: int) -> DetectedChanges:
        """Nothing: the sink only receives."""
        return DetectedChanges((), cursor)

    async def execute(self, commands: Sequence[CommandEnvelope]) -> Sequence[Outcome]:
        """Upsert the weeks in one transaction; a command the sink cannot take fails alone."""
        outcomes: list[Outcome | None] = [None] * len(commands)
        weeks: list[tuple[int, ResourceWeekFigures]] = []
        for index, command in enumerate(commands):
            try:
                weeks.append((index, self._figures(command)))
            except CannotEncode as error:
                outcomes[index] = Failed(self.classify(error), str(error))
        if weeks:
            try:
                with self.store.transaction() as tx:
                    tx.utilization.upsert([figures for _, figures in weeks], self.clock.now())
            except Exception as error:  # nothing was written: every week of the batch shares the outcome
                failed = Failed(self.classify(error), f"{self.name}: {type(error).__name__}: {error}")
                for index, _ in weeks:
                    outcomes[index] = failed
            else:
                for index, figures in weeks:
                    outcomes[index] = Succeeded(
                        {
                            "system": self.name,
                            "resource_id": figures.resource_id,
                            "week_start": figures.week_start.isoformat(),
                        }
                    )
        return [o if o is not None else Failed(Classification(True, "no outcome")) for o in outcomes]

    def _figures(self, command: CommandEnvelope) -> ResourceWeekFigures:
        if command.object_type not in OBJECTS or command.action != "upsert":
            raise CannotEncode(
                f"{self.name} takes upserts of {', '.join(sorted(OBJECTS))}, not a {command.action} of "
                f"{command.object_type}"
            )
        try:
            return ResourceWeekFigures.model_validate(command.payload)
        except ValidationError as error:
            raise CannotEncode("; ".join(business_messages(error))) from error

    def classify(self, error: BaseException) -> Classification:
        """A command the sink cannot take is permanent; a store failure passes (it is retried)."""
        return Classification.of(error)

    async def aclose(self) -> None:
        """Nothing to release: the store belongs to the engine."""


class AnalyticsOptions(BaseModel):
    """The analytics connector's options in configuration."""

    model_config = ConfigDict(extra="forbid")

    kind: str = "analytics"


def analytics_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices | None,
    governor: RateGovernor | None = None,
) -> AnalyticsConnector:
    """The sink configured as ``name``, on the store the composition root hands connectors."""
    AnalyticsOptions.model_validate(dict(options))
    if services is None or services.store is None:
        raise ConfigError(f"connector '{name}' (analytics) needs Concord's store: build it through bootstrap")
    return AnalyticsConnector(name, services.store)
