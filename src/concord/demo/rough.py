"""A rough month: the platforms misbehave and Concord's worker is killed, and the month must end the same.

- Faults (the sandbox's fault injection, per emulator): 10 % of requests answered 503 all month long, and
  bursts of 429 from the two platforms that answer 429 (Kantata, NetSuite; Salesforce refuses over its
  daily quota instead, with 403 ``REQUEST_LIMIT_EXCEEDED``, which Concord rightly takes as "wait for
  tomorrow"); then, while Concord catches up after the month's last day, NetSuite is down altogether for
  two minutes. The firm's people (the simulator) retry as a real integration would,
  so they see the faults but not the outage, which falls after their month: that keeps what they do, and so
  the state Concord must reach, the same as in a calm month.
- Kills: the worker runs in a process of its own (``concord.demo.engine_process``), killed with SIGKILL at
  seeded random moments during the month and started again at once.

Only durations may differ from a calm month; the end-to-end tests check the final state the same way.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from concord.settings import Settings

__all__ = [
    "EngineProcess",
    "FaultPlan",
    "Roughness",
    "clear_faults",
    "fault_counts",
    "install_faults",
    "outage",
]


@dataclass(frozen=True)
class Roughness:
    """How rough the month is (the default: calm)."""

    engine_kills: int = 0
    faults: bool = False
    outage_s: float = 120.0
    """How long NetSuite is down after the month's last day (with ``faults``)."""

    @property
    def calm(self) -> bool:
        return self.engine_kills == 0 and not self.faults


@dataclass(frozen=True)
class FaultPlan:
    """The month-long faults of every emulator."""

    error_rate: float = 0.10
    burst_every: int = 150
    burst_length: int = 2
    retry_after_s: int = 1
    bursting: frozenset[str] = frozenset({"kantata", "netsuite"})

    def rules(self, system: str, seed: int) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = [
            {
                "endpoint": "*",
                "description": "rough month: transient errors",
                "seed": seed,
                "error_rate": self.error_rate,
                "error_status": 503,
            }
        ]
        if system in self.bursting:
            rules.append(
                {
                    "endpoint": "*",
                    "description": "rough month: 429 bursts",
                    "burst_429": True,
                    "burst_every": self.burst_every,
                    "burst_length": self.burst_length,
                    "retry_after_s": self.retry_after_s,
                }
            )
        return rules


def install_faults(urls: dict[str, str], seed: int, plan: FaultPlan | None = None) -> None:
    """Every emulator answers the plan's faults from now on (its previous rules replaced)."""
    plan = plan or FaultPlan()
    for offset, (system, url) in enumerate(sorted(urls.items())):
        rules = {"rules": plan.rules(system, seed + offset)}
        httpx.put(f"{url}/__sandbox/faults", json=rules, timeout=10).raise_for_status()


def outage(url: str, seconds: float) -> None:
    """The emulator at ``url`` answers every request with 503 for ``seconds`` (of its clock) from now."""
    rule = {"endpoint": "*", "description": "rough month: outage", "outage": {"duration_s": seconds}}
    httpx.post(f"{url}/__sandbox/faults", json=rule, timeout=10).raise_for_status()


def fault_counts(urls: dict[str, str]) -> dict[str, dict[str, int]]:
    """Per emulator, the faults injected so far by kind (``503``, ``429``, ``outage``...)."""
    counts: dict[str, dict[str, int]] = {}
    for system, url in sorted(urls.items()):
        answer = httpx.get(f"{url}/__sandbox/faults", timeout=10)
        answer.raise_for_status()
        totals: dict[str, int] = {}
        for rule in answer.json().get("rules", []):
            for kind, count in rule.get("stats", {}).get("injected", {}).items():
                totals[kind] = totals.get(kind, 0) + int(count)
        counts[system] = totals
    return counts


def clear_faults(urls: dict[str, str]) -> None:
    """Every emulator behaves again."""
    for url in urls.values():
        httpx.delete(f"{url}/__sandbox/faults", timeout=10).raise_for_status()


@dataclass
class EngineProcess:
    """Concord's worker as a child process, which can be killed and started again."""

    settings: Settings
    workdir: Path
    clock_url: str | None = None
    kills: int = 0
    _child: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        settings_file = self.workdir / "engine-settings.json"
        settings_file.write_text(self.settings.model_dump_json())
        os.chmod(settings_file, 0o600)  # it holds the sandbox's client secrets
        command = [sys.executable, "-m", "concord.demo.engine_process", str(settings_file)]
        if self.clock_url:
            command.append(self.clock_url)
        log = (self.workdir / "engine-process.log").open("ab")
        self._child = subprocess.Popen(command, stdout=log, stderr=log)
        log.close()

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything."""
        assert self._child is not None
        self._child.send_signal(signal.SIGKILL)
        self._child.wait()
        self.kills += 1

    def stop(self) -> None:
        """SIGTERM: the worker finishes its round and stops."""
        if self._child is None:
            return
        if self._child.poll() is None:
            self._child.send_signal(signal.SIGTERM)
            try:
                self._child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
        self._child = None

    async def kill_now_and_then(self, times: int, seed: int) -> None:
        """Kill and restart the worker ``times`` times, a seeded random 1 to 3 s apart."""
        rng = random.Random(seed)
        for _ in range(times):
            await asyncio.sleep(rng.uniform(1.0, 3.0))
            self.kill()
            self.start()
