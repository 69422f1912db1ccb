"""Finding connectors by kind: built-ins register here, external packages through the
``concord.connectors`` entry-point group. An unknown kind is refused with the kinds that exist.

A factory is called as ``factory(name, options, services, governor)``: the connector's configured name,
its options, the services every platform connector gets (mappings, cross-reference, reference tables; the
analytics sink gets the store there too) and the system's shared quota budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from concord.connectors.base import ConnectorServices
from concord.connectors.http.budgets import QuotaBudgets
from concord.connectors.http.governor import GovernorPolicy, RateGovernor
from concord.domain.objects import CanonicalRecord
from concord.domain.schemas import CANONICAL_MODELS
from concord.engine.ports import Connector
from concord.settings import ConfigError

ConnectorFactory = Callable[
    [str, Mapping[str, Any], ConnectorServices | None, RateGovernor | None], Connector
]

_BUILTIN: dict[str, str] = {
    "test": "concord.testing.factory:test_connector",
    "salesforce": "concord.connectors.salesforce.connector:salesforce_connector",
    "kantata": "concord.connectors.kantata.connector:kantata_connector",
    "netsuite": "concord.connectors.netsuite.connector:netsuite_connector",
    "analytics": "concord.connectors.analytics:analytics_connector",
}
_NEEDS_SERVICES = {"salesforce", "kantata", "netsuite", "analytics"}
_SPECS: dict[str, str] = {
    "salesforce": "concord.connectors.salesforce.spec:SalesforceSpec",
    "kantata": "concord.connectors.kantata.spec:KantataSpec",
    "netsuite": "concord.connectors.netsuite.spec:NetSuiteSpec",
}
"""The built-in platforms' specs, whose ``rate`` default is the call budget when none is configured."""


def needs_services(options: Mapping[str, Any], name: str) -> bool:
    """Whether the connector configured as ``name`` needs the services (a platform connector: mappings,
    cross-reference; the analytics sink: the store)."""
    return str(options.get("kind", name)) in _NEEDS_SERVICES


def detected_objects(name: str, options: Mapping[str, Any]) -> list[type[CanonicalRecord]]:
    """The canonical objects whose changes the connector ``name`` detects (its ``detect`` option)."""
    wanted = options.get("detect") or []
    if not isinstance(wanted, list) or not all(isinstance(n, str) for n in wanted):
        raise ConfigError(
            f"connector '{name}': detect must be a list of canonical objects, e.g. ['Customer']"
        )
    models = CANONICAL_MODELS
    unknown = [n for n in wanted if n not in models]
    if unknown:
        raise ConfigError(
            f"connector '{name}': detect names {unknown}, which are not canonical objects; "
            f"known: {', '.join(sorted(models))}"
        )
    return [models[n] for n in wanted]


def rate_policy(kind: str, options: Mapping[str, Any]) -> GovernorPolicy:
    """The call budget of a connector: its ``rate`` option, else its platform's own default.

    The platform's default is what keeps it under the platform's limits (NetSuite's 5 calls in flight
    per integration, Kantata's pace); the generic ``GovernorPolicy()`` would let twice as many NetSuite
    calls fly, and NetSuite refuses the excess with 429.
    """
    configured = options.get("rate")
    if configured is None and kind in _SPECS:
        module_name, _, attribute = _SPECS[kind].partition(":")
        spec = getattr(__import__(module_name, fromlist=[attribute]), attribute)
        default = spec.model_fields["rate"].get_default(call_default_factory=True)
        if isinstance(default, GovernorPolicy):
            return default
    return GovernorPolicy.model_validate(configured or {})


def _load(reference: str) -> ConnectorFactory:
    module_name, _, attribute = reference.partition(":")
    module = __import__(module_name, fromlist=[attribute])
    factory: ConnectorFactory = getattr(module, attribute)
    return factory


def known_kinds() -> dict[str, str]:
    """Every connector kind Concord can build: built-ins and installed plug-ins."""
    kinds = dict(_BUILTIN)
    for entry in entry_points(group="concord.connectors"):
        kinds.setdefault(entry.name, entry.value)
    return kinds


def build_connector(
    name: str,
    options: Mapping[str, Any],
    services: ConnectorServices | None = None,
    budgets: QuotaBudgets | None = None,
) -> Connector:
    """The connector configured as ``name`` (its ``kind`` option says which plug-in; default: its name)."""
    kind = str(options.get("kind", name))
    kinds = known_kinds()
    if kind not in kinds:
        raise ConfigError(
            f"connector '{name}': unknown kind '{kind}'; installed kinds: {', '.join(sorted(kinds))}"
        )
    if kind in _NEEDS_SERVICES and services is None:
        raise ConfigError(f"connector '{name}' ({kind}) needs the store: build it through bootstrap")
    governor = None
    if budgets is not None:
        try:
            policy = rate_policy(kind, options)
        except ValueError as error:
            raise ConfigError(f"connector '{name}': rate: {error}") from error
        governor = budgets.governor(name, policy)
    try:
        return _load(kinds[kind])(name, options, services, governor)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise ConfigError(f"connector '{name}' ({kind}): invalid options: {error}") from error
