"""Seeding a running sandbox with a generated firm: optionally wipe it, generate, load, summarise."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from concord.sandbox.firm.generator import generate_firm
from concord.sandbox.firm.load import LoadResult, load_firm
from concord.sandbox.firm.model import Firm
from concord.sandbox.firm.serialize import fingerprint
from concord.sandbox.launch import admin
from concord.sandbox.launch.access import EMULATORS, SandboxAccess, register_salesforce_jwt


@dataclass(frozen=True)
class SeedReport:
    """What a seed did."""

    firm: Firm
    load: LoadResult
    generate_s: float
    wiped: bool

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: inputs, fingerprint, timings, counts per system and the resolved manifest."""
        return {
            "firm": self.firm.size,
            "seed": self.firm.seed,
            "as_of": self.firm.as_of.isoformat(),
            "fingerprint": fingerprint(self.firm),
            "wiped_first": self.wiped,
            "generate_s": round(self.generate_s, 3),
            "load_s": round(self.load.elapsed_s, 3),
            "requests": self.load.requests,
            "generated": self.firm.counts(),
            "loaded": self.load.ids.counts(),
            "dirty_cases": self.load.manifest(self.firm),
        }


def wipe(access: SandboxAccess) -> None:
    """Wipe the data of all three emulators (their fault rules and clocks stay), then put back the
    Salesforce JWT certificate the wipe dropped."""
    for name in EMULATORS:
        admin.reset(access.base_url(name), faults=False, clock=False)
    with httpx.Client(timeout=10.0) as client:
        register_salesforce_jwt(client, access)


def seed_sandbox(
    access: SandboxAccess,
    size: str,
    seed: int,
    *,
    as_of: date | None = None,
    wipe_first: bool = True,
    concurrency: int = 8,
) -> SeedReport:
    """Generate the firm and load it into the running sandbox.

    Args:
        access: The sandbox.
        size: ``small``, ``mid`` or ``large``.
        seed: Generator seed.
        as_of: The firm's "today"; by default the Salesforce emulator clock's date.
        wipe_first: Reset the emulators first (a second load into the same data would clash).
        concurrency: Requests in flight per emulator.

    Raises:
        ValueError: Unknown size.
        AdminError: An emulator's admin API failed.
        LoadError: A platform refused a record.
    """
    day = as_of or admin.today(access.salesforce_url)
    started = time.perf_counter()
    firm = generate_firm(size, seed, day)
    generated = time.perf_counter() - started
    if wipe_first:
        wipe(access)
    return SeedReport(firm, load_firm(firm, access, concurrency=concurrency), generated, wipe_first)
