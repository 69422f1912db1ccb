"""Fault rules from command-line options, and rules described in one line (for ``concord sandbox faults``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from concord.sandbox.core import FaultRule

_NOT_EFFECTS = frozenset(
    {
        "endpoint",
        "description",
        "seed",
        "max_faults",
        "error_status",
        "hang_s",
        "burst_every",
        "retry_after_s",
    }
)


def rule_from_options(options: dict[str, Any]) -> dict[str, Any] | None:
    """The ``FaultRule`` JSON the given options describe, or ``None`` when they name no effect.

    ``None`` and ``False`` values count as not given. ``burst_429`` is the burst length (it switches
    bursts on); ``outage_s`` is an outage of that many seconds from now.

    Raises:
        ValueError: The options make an invalid rule (the message names the field and the problem).
    """
    rule = {name: value for name, value in options.items() if value is not None and value is not False}
    if "burst_429" in rule:
        rule["burst_length"] = rule.pop("burst_429")
        rule["burst_429"] = True
    if "outage_s" in rule:
        rule["outage"] = [{"duration_s": rule.pop("outage_s")}]
    if not set(rule) - _NOT_EFFECTS:
        return None
    try:
        return FaultRule.model_validate(rule).model_dump(mode="json", exclude_defaults=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "rule"
        raise ValueError(f"invalid fault rule: {where}: {first['msg']}") from None


def describe_rule(rule: dict[str, Any]) -> str:
    """One line saying what a rule (as the admin API shows it) does."""
    parts = []
    if rule.get("error_rate"):
        parts.append(f"errors {rule['error_rate']:.0%} ({rule['error_status']})")
    if rule.get("latency_ms") or rule.get("jitter_ms"):
        parts.append(f"latency {rule['latency_ms']:g}+{rule['jitter_ms']:g} ms")
    if rule.get("timeout_rate"):
        parts.append(f"hangs {rule['timeout_rate']:.0%} ({rule['hang_s']:g} s)")
    if rule.get("burst_429"):
        parts.append(f"429 x{rule['burst_length']} every {rule['burst_every']}")
    for name in ("malformed_rate", "truncated_rate"):
        if rule.get(name):
            parts.append(f"{name.removesuffix('_rate')} {rule[name]:.0%}")
    if rule.get("outage"):
        parts.append(
            "outage " + ", ".join(f"{w.get('start')} to {w.get('end') or 'removed'}" for w in rule["outage"])
        )
    if rule.get("slow_drip"):
        parts.append(f"slow drip {rule['drip_chunk_bytes']} B / {rule['drip_interval_ms']:g} ms")
    return "; ".join(parts) or "no effect"
