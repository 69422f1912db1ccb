"""Finding connectors by kind: built-ins register here, external packages through the
``concord.connectors`` entry-point group. An unknown kind is refused with the kinds that exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from concord.engine.ports import Connector
from concord.settings import ConfigError

ConnectorFactory = Callable[[str, Mapping[str, Any]], Connector]

_BUILTIN: dict[str, str] = {
    "test": "concord.testing.factory:test_connector",
}


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


def build_connector(name: str, options: Mapping[str, Any]) -> Connector:
    """The connector configured as ``name`` (its ``kind`` option says which plug-in; default: its name)."""
    kind = str(options.get("kind", name))
    kinds = known_kinds()
    if kind not in kinds:
        raise ConfigError(
            f"connector '{name}': unknown kind '{kind}'; installed kinds: {', '.join(sorted(kinds))}"
        )
    return _load(kinds[kind])(name, options)
