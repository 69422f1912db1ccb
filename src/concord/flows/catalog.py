"""Named flow bundles a configuration can switch on: the flows, the schemas of what they read, and
the sources whose changes they need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from pydantic import BaseModel

from concord.engine.flows import Flow
from concord.engine.recorder import ChangeSchemas
from concord.engine.runtime import Source
from concord.settings import ConfigError, Settings


@dataclass(frozen=True)
class FlowBundle:
    """What switching a flow on brings with it."""

    flows: tuple[Flow, ...]
    register_schemas: Callable[[ChangeSchemas], None]
    sources: tuple[Source, ...] = field(default=())


def _mirror(settings: Settings) -> FlowBundle:
    from concord.testing.mirror_flow import MIRROR_FLOW, MIRROR_SOURCE, OBJECT, TestRecord

    return FlowBundle(
        (MIRROR_FLOW,), lambda schemas: schemas.register_model(OBJECT, TestRecord), (MIRROR_SOURCE,)
    )


def _alignment(object_type: str) -> Callable[[Settings], FlowBundle]:
    def bundle(settings: Settings) -> FlowBundle:
        from concord.domain.schemas import CANONICAL_MODELS
        from concord.flows.master_data import alignment_flow

        holders = [
            name
            for name, options in settings.connectors.items()
            if object_type in (options.get("detect") or [])
        ]
        if len(holders) < 2:
            raise ConfigError(
                f"flow align_{object_type.lower()} needs at least two connectors that detect {object_type} "
                f'(add "{object_type}" to their detect lists); found: {holders or "none"}'
            )
        model = CANONICAL_MODELS[object_type]
        return FlowBundle(
            (alignment_flow(object_type, holders),), lambda schemas: schemas.register_canonical(model)
        )

    return bundle


def _connectors_for(flow: str, roles: dict[str, str], settings: Settings, config_file: Path) -> None:
    """Refuse a flow whose systems (role -> connector name) are not all configured."""
    missing = {role: name for role, name in roles.items() if name not in settings.connectors}
    if missing:
        named = ", ".join(f"{role} '{name}'" for role, name in missing.items())
        raise ConfigError(
            f"flow {flow} needs the connectors {named}, which are not configured; add them under "
            f"[concord.connectors], or name the configured ones under `systems:` in {config_file}"
        )


class _FlowConfig(Protocol):
    @property
    def systems(self) -> BaseModel: ...


C = TypeVar("C", bound=_FlowConfig)


def _configured(flow: str, load: Callable[[Path], C], config_file: Path, settings: Settings) -> C:
    """The flow's configuration file, loaded; refused when its systems are not all configured."""
    config = load(config_file)
    _connectors_for(flow, config.systems.model_dump(), settings, config_file)
    return config


def _trigger(settings: Settings, system: str, object_type: str) -> tuple[Source, ...]:
    """The source of the records that start a flow, unless the connector detects them already."""
    detected = object_type in (settings.connectors[system].get("detect") or [])
    return () if detected else (Source(system, object_type),)


def _canonical(object_type: str) -> Callable[[ChangeSchemas], None]:
    from concord.domain.schemas import CANONICAL_MODELS

    model = CANONICAL_MODELS[object_type]
    return lambda schemas: schemas.register_canonical(model)


def _bundle(settings: Settings, flows: tuple[Flow, ...], started_by: Sequence[tuple[str, str]]) -> FlowBundle:
    """The bundle of ``flows``, which the records ``started_by`` start ((system, object type) pairs): the
    records' canonical schemas, and a source for each that its connector does not detect already."""
    sources = tuple(source for system, kind in started_by for source in _trigger(settings, system, kind))
    schemas = [_canonical(kind) for _, kind in started_by]

    def register(changes: ChangeSchemas) -> None:
        for schema in schemas:
            schema(changes)

    return FlowBundle(flows, register, sources)


def _opportunity_to_project(settings: Settings) -> FlowBundle:
    from concord.flows.opportunity_to_project import FLOW_NAME, opportunity_to_project
    from concord.flows.provisioning_config import load_provisioning

    config = _configured(FLOW_NAME, load_provisioning, settings.provisioning, settings)
    # The CRM's opportunities start the flow.
    return _bundle(settings, (opportunity_to_project(config),), [(config.systems.crm, "Opportunity")])


def _time_to_erp(settings: Settings) -> FlowBundle:
    from concord.flows.time_posting_config import load_time_posting
    from concord.flows.time_to_erp import FLOW_NAME, time_to_erp

    config = _configured(FLOW_NAME, load_time_posting, settings.time_posting, settings)
    # The PSA's time entries start the flow.
    return _bundle(settings, (time_to_erp(config),), [(config.systems.psa, "TimeEntry")])


def _expenses_to_erp(settings: Settings) -> FlowBundle:
    from concord.flows.expense_posting_config import load_expense_posting
    from concord.flows.expenses_to_erp import FLOW_NAME, expenses_to_erp

    config = _configured(FLOW_NAME, load_expense_posting, settings.expense_posting, settings)
    # The exchange rates are a reference table of the configuration, read once at start-up.
    rates = config.exchange_rates.rate_table(settings.reference_tables)
    # The PSA's expenses start the flow.
    return _bundle(settings, (expenses_to_erp(config, rates),), [(config.systems.psa, "ExpenseItem")])


def _change_orders(settings: Settings) -> FlowBundle:
    from concord.flows.change_orders import FLOW_NAME, change_orders
    from concord.flows.change_orders_config import load_change_orders

    config = _configured(FLOW_NAME, load_change_orders, settings.change_orders, settings)
    # The CRM's change orders start the flow.
    return _bundle(settings, (change_orders(config),), [(config.systems.crm, "ChangeOrder")])


def _revenue(settings: Settings) -> FlowBundle:
    from concord.flows.revenue import revenue_flows
    from concord.flows.revenue_config import load_revenue

    config = _configured("revenue", load_revenue, settings.revenue, settings)
    # The PSA's time entries and milestones, and the ERP's accounting periods, start the flows.
    psa, erp = config.systems.psa, config.systems.erp
    started_by = [(psa, "TimeEntry"), (psa, "Milestone"), (erp, "AccountingPeriod")]
    return _bundle(settings, revenue_flows(config), started_by)


def _billing(settings: Settings) -> FlowBundle:
    from concord.flows.billing import FLOW_NAME, billing, subscription_billing
    from concord.flows.billing_config import load_billing

    config = _configured(FLOW_NAME, load_billing, settings.billing, settings)
    # The PSA's time, expenses and milestones start a project's billing; the ERP's accounting periods
    # (month ends) start the subscription billing.
    psa, erp = config.systems.psa, config.systems.erp
    started_by = [(psa, "TimeEntry"), (psa, "ExpenseItem"), (psa, "Milestone"), (erp, "AccountingPeriod")]
    return _bundle(settings, (billing(config), subscription_billing(config)), started_by)


def _utilization(settings: Settings) -> FlowBundle:
    from concord.flows.utilization import FLOW_NAME, utilization
    from concord.flows.utilization_config import load_utilization

    config = _configured(FLOW_NAME, load_utilization, settings.utilization, settings)
    # The PSA's assignments and time entries start the flow.
    psa = config.systems.psa
    return _bundle(settings, (utilization(config),), [(psa, "Assignment"), (psa, "TimeEntry")])


CATALOG: dict[str, Callable[[Settings], FlowBundle]] = {
    "mirror": _mirror,
    "align_customer": _alignment("Customer"),
    "opportunity_to_project": _opportunity_to_project,
    "time_to_erp": _time_to_erp,
    "billing": _billing,
    "revenue": _revenue,
    "expenses_to_erp": _expenses_to_erp,
    "change_orders": _change_orders,
    "utilization": _utilization,
}


def bundles(names: list[str], settings: Settings) -> list[FlowBundle]:
    """The bundles for the configured flow names."""
    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        raise ConfigError(f"unknown flows {unknown}; available: {', '.join(sorted(CATALOG))}")
    return [CATALOG[n](settings) for n in names]
