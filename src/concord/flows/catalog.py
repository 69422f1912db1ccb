"""Named flow bundles a configuration can switch on: the flows, the schemas of what they read, and
the sources whose changes they need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from concord.engine.flows import Flow
from concord.engine.recorder import ChangeSchemas
from concord.engine.runtime import Source
from concord.settings import ConfigError


@dataclass(frozen=True)
class FlowBundle:
    """What switching a flow on brings with it."""

    flows: tuple[Flow, ...]
    register_schemas: Callable[[ChangeSchemas], None]
    sources: tuple[Source, ...] = field(default=())


def _mirror() -> FlowBundle:
    from concord.testing.mirror_flow import MIRROR_FLOW, MIRROR_SOURCE, OBJECT, TestRecord

    return FlowBundle(
        (MIRROR_FLOW,), lambda schemas: schemas.register_model(OBJECT, TestRecord), (MIRROR_SOURCE,)
    )


CATALOG: dict[str, Callable[[], FlowBundle]] = {"mirror": _mirror}


def bundles(names: list[str]) -> list[FlowBundle]:
    """The bundles for the configured flow names."""
    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        raise ConfigError(f"unknown flows {unknown}; available: {', '.join(sorted(CATALOG))}")
    return [CATALOG[n]() for n in names]
