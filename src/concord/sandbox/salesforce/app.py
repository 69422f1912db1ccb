"""``create_app``: the Salesforce REST API emulator as a FastAPI app on the sandbox core.

Served: OAuth token endpoint and SOAP login, ``/services/data`` (versions v50.0 to v68.0) with sObject
describe and CRUD, rows by external id and upsert, SOQL ``query``/``queryAll`` with paging, sObject
Collections, Composite, ``limits``, replication (``updated``/``deleted``), and a sandbox-only change
event pull transport. Faults, profile (latency, daily API quota, concurrency), clock and reset come from
the core's admin API under ``/__sandbox``; Salesforce extras live under ``/__sandbox/salesforce``.
"""

from __future__ import annotations

from fastapi import FastAPI

from concord.sandbox.core.app import create_emulator_app
from concord.sandbox.core.asgi import ADMIN_PREFIX
from concord.sandbox.core.fastlane import install_fast_lane
from concord.sandbox.core.settings import EmulatorSettings
from concord.sandbox.core.state import SandboxState
from concord.sandbox.salesforce.admin import create_salesforce_admin_router
from concord.sandbox.salesforce.api.endpoint import build_router, create_data_router, fast_routes
from concord.sandbox.salesforce.api.routes_cdc import create_cdc_router
from concord.sandbox.salesforce.auth.oauth import create_oauth_router
from concord.sandbox.salesforce.auth.sessions import TOKEN_PREFIX
from concord.sandbox.salesforce.auth.soap import create_soap_router
from concord.sandbox.salesforce.errors import SalesforceErrorFormatter
from concord.sandbox.salesforce.limits import SALESFORCE_PROFILE
from concord.sandbox.salesforce.org import SalesforceOrg


def create_app(settings: EmulatorSettings) -> FastAPI:
    """Build the Salesforce emulator.

    Args:
        settings: How to run it; ``credentials`` maps connected-app consumer keys to secrets (a default
            app is registered when empty).

    Returns:
        The app; ``app.state.salesforce`` is its ``SalesforceOrg``, ``app.state.sandbox`` the core state.
    """
    holder: list[SalesforceOrg] = []

    def on_reset(state: SandboxState) -> None:
        if holder:
            holder[0].on_reset()

    formatter = SalesforceErrorFormatter()
    router = build_router()
    app = create_emulator_app(
        "salesforce",
        formatter,
        SALESFORCE_PROFILE,
        settings,
        # The change-event route must come before the REST catch-all that would swallow it.
        [create_oauth_router(), create_soap_router(), create_cdc_router(), create_data_router(router)],
        on_reset=on_reset,
        token_prefix=TOKEN_PREFIX,
    )
    org = SalesforceOrg.build(app.state.sandbox)
    holder.append(org)
    formatter.governor = org.state.profile
    app.state.salesforce = org
    app.include_router(create_salesforce_admin_router(), prefix=f"{ADMIN_PREFIX}/salesforce")
    install_fast_lane(app, fast_routes(router))
    return app
