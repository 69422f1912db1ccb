"""The composition root: the one place that wires the store, connectors and flows into an engine."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from concord.connectors.base import ConnectorServices
from concord.connectors.http.budgets import QuotaBudgets
from concord.engine.crossref import CrossReferenceService
from concord.engine.delivery import Deliverer, DeliverySettings
from concord.engine.dispatcher import Dispatcher
from concord.engine.exception_queue import ExceptionQueue
from concord.engine.flows import Flow, FlowRegistry
from concord.engine.gates import ChangeGate, WriteScreen
from concord.engine.ports import Clock, Connector, SystemClock
from concord.engine.recorder import ChangeSchemas, Recorder
from concord.engine.replay import Replayer
from concord.engine.resilience import Breakers, RetryPolicy
from concord.engine.runner import FlowRunner
from concord.engine.runtime import Source, Worker
from concord.engine.sla_watch import SlaWatch
from concord.observe.logging import configure_logging
from concord.settings import Settings
from concord.storage.sql.store import SqlStore


@dataclass
class Concord:
    """A wired engine and the services operators use."""

    settings: Settings
    store: SqlStore
    flows: FlowRegistry
    recorder: Recorder
    dispatcher: Dispatcher
    deliverer: Deliverer
    worker: Worker
    exceptions: ExceptionQueue
    replayer: Replayer
    breakers: Breakers
    connectors: Mapping[str, Connector] = field(default_factory=dict)
    xref: CrossReferenceService | None = None

    def close(self) -> None:
        """Release the store."""
        self.store.close()


def bootstrap(
    settings: Settings,
    *,
    connectors: Mapping[str, Connector] | None = None,
    flows: Sequence[Flow] = (),
    schemas: ChangeSchemas | None = None,
    sources: Sequence[Source] = (),
    clock: Clock | None = None,
    store: SqlStore | None = None,
    rng: random.Random | None = None,
    log_to_stderr: bool = True,
    gate: ChangeGate | None = None,
    screen: WriteScreen | None = None,
    business_clock: Clock | None = None,
) -> Concord:
    """Build Concord from settings; every port can be overridden (tests pass fakes through here)."""
    if log_to_stderr:
        configure_logging(settings.log_level)
    clock = clock or SystemClock()
    store = store or SqlStore.open(settings.database_url, partitions=settings.partitions)
    connectors = dict(connectors or {})
    registry = FlowRegistry(flows)
    runner = FlowRunner(registry, business_clock)
    recorder = Recorder(store, schemas or ChangeSchemas(), settings.partitions, clock, gate)
    dispatcher = Dispatcher(
        store,
        registry,
        runner,
        settings.worker_id,
        clock,
        batch_size=settings.dispatch_batch,
        max_partitions=settings.partitions_per_worker,
    )
    breakers = Breakers(settings.breaker.failure_threshold, settings.breaker.cooldown_s)
    deliverer = Deliverer(
        store,
        connectors,
        runner,
        settings.worker_id,
        clock,
        RetryPolicy(**settings.retry.model_dump()),
        breakers,
        DeliverySettings(**settings.delivery.model_dump(exclude={"lanes"})),
        rng,
        screen,
    )
    worker = Worker(
        store,
        connectors,
        sources,
        recorder,
        dispatcher,
        deliverer,
        clock,
        delivery_lanes=settings.delivery.lanes,
        sla_watch=SlaWatch(
            store,
            settings.sla.targets(),
            partitions=settings.partitions,
            every_s=settings.sla.check_every_s,
            clock=business_clock,
        ),
    )
    return Concord(
        settings=settings,
        store=store,
        flows=registry,
        recorder=recorder,
        dispatcher=dispatcher,
        deliverer=deliverer,
        worker=worker,
        exceptions=ExceptionQueue(store, runner, recorder, clock),
        replayer=Replayer(store, dispatcher, clock),
        breakers=breakers,
        connectors=connectors,
        xref=CrossReferenceService(store, clock),
    )


def bootstrap_from_settings(settings: Settings, **overrides: Any) -> Concord:
    """Build Concord with the connectors and flows its configuration names."""
    from concord.connectors.registry import build_connector, detected_objects, needs_services
    from concord.flows.catalog import bundles

    clock: Clock = overrides.pop("clock", None) or SystemClock()
    store: SqlStore = overrides.pop("store", None) or SqlStore.open(
        settings.database_url, partitions=settings.partitions
    )
    services = None
    configured = settings.connectors
    if any(needs_services(opts, name) for name, opts in configured.items()):
        services = _connector_services(settings, store, clock)
    budgets = QuotaBudgets()
    connectors = {name: build_connector(name, opts, services, budgets) for name, opts in configured.items()}
    # Shadowed connectors compute their writes instead of making them (the store-only commands, built
    # without connectors, have none to shadow).
    if settings.shadow and connectors:
        from concord.connectors.shadow import shadow_connectors

        connectors = shadow_connectors(connectors, settings.shadow, store, clock)
    schemas = ChangeSchemas()
    flows: list[Flow] = []
    sources: list[Source] = []
    for name, opts in configured.items():
        for model in detected_objects(name, opts):
            schemas.register_canonical(model)
            sources.append(Source(name, model.SCHEMA_NAME))
    for bundle in bundles(settings.flows, settings):
        flows.extend(bundle.flows)
        bundle.register_schemas(schemas)
        # Flows that start on the same records share their source (one poll, and `until_idle` can end).
        new = [s for s in dict.fromkeys(bundle.sources) if s.system in connectors and s not in sources]
        sources.extend(new)
    options: dict[str, Any] = {
        "clock": clock,
        "store": store,
        "connectors": connectors,
        "flows": flows,
        "schemas": schemas,
        "sources": sources,
    }
    if settings.authority is not None:
        from concord.governance import AuthorityGate, EchoScreen, load_authority

        matrix = load_authority(settings.authority)
        screen: WriteScreen = EchoScreen(matrix)
        if settings.shadow:
            from concord.connectors.shadow import ShadowScreen

            screen = ShadowScreen(screen, settings.shadow)
        options.update(gate=AuthorityGate(matrix), screen=screen)
    options.update(overrides)
    return bootstrap(settings, **options)


def _connector_services(settings: Settings, store: SqlStore, clock: Clock) -> ConnectorServices:
    from concord.mapping import load_mappings

    return ConnectorServices(
        mappings=load_mappings(settings.mappings or None),
        xref=CrossReferenceService(store, clock),
        reference_tables=settings.reference_tables,
        store=store,
    )
