"""A local emulator of NetSuite's REST web services: the Record API v1, SuiteQL, asynchronous jobs with
idempotency keys, OAuth 2.0 client credentials with JWT assertions, accounting-period rules, and the
concurrency governance of the realistic profile.

Start it with ``create_app(EmulatorSettings(name="netsuite", credentials={...}))`` and serve it with
``concord.sandbox.core.start_in_thread``.
"""

from __future__ import annotations

from concord.sandbox.netsuite.app import DEFAULT_ACCOUNT_ID, NetSuiteEmulator, create_app
from concord.sandbox.netsuite.auth import CertificateRegistry
from concord.sandbox.netsuite.platform_profile import NETSUITE_PROFILE, NetSuiteErrorFormatter

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "NETSUITE_PROFILE",
    "CertificateRegistry",
    "NetSuiteEmulator",
    "NetSuiteErrorFormatter",
    "create_app",
]
