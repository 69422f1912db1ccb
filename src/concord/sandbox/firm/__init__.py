"""The firm generator: a professional services firm of a given size, deterministic for a seed, as its
CRM, PSA and ERP look before Concord is switched on, with the dirty cases real firms have.

``generate_firm`` makes plain data (``Firm``); ``concord.sandbox.firm.load.load_firm`` writes it into
running emulators through their own HTTP APIs. The manifest (``Firm.manifest``) lists each planted dirty
case; the loader resolves it to the ids each platform assigned.
"""

from __future__ import annotations

from concord.sandbox.firm.generator import DEFAULT_AS_OF, generate_firm
from concord.sandbox.firm.model import DirtyCase, DirtyKind, Firm
from concord.sandbox.firm.names import company_core
from concord.sandbox.firm.serialize import fingerprint, firm_to_json
from concord.sandbox.firm.sizes import SIZES, FirmSize, firm_size

__all__ = [
    "DEFAULT_AS_OF",
    "SIZES",
    "DirtyCase",
    "DirtyKind",
    "Firm",
    "FirmSize",
    "company_core",
    "fingerprint",
    "firm_size",
    "firm_to_json",
    "generate_firm",
]
