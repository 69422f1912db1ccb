"""Fault injection: rules (pure data), their per-request decisions, and the ASGI middleware."""

from __future__ import annotations

from concord.sandbox.core.faults.decisions import FaultAnswer, FaultPlan, FaultSet
from concord.sandbox.core.faults.middleware import FaultInjector
from concord.sandbox.core.faults.rules import FaultRule, FaultRuleSet, OutageWindow, parse_endpoint

__all__ = [
    "FaultAnswer",
    "FaultInjector",
    "FaultPlan",
    "FaultRule",
    "FaultRuleSet",
    "FaultSet",
    "OutageWindow",
    "parse_endpoint",
]
