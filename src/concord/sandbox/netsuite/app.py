"""``create_app``: the NetSuite emulator (REST Record API v1, SuiteQL, async jobs, OAuth 2.0 M2M)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from concord.sandbox.core import EmulatorSettings, create_emulator_app
from concord.sandbox.core.fastlane import FastRoute, install_fast_lane
from concord.sandbox.netsuite.api import certificate_admin_router, platform_router, to_response
from concord.sandbox.netsuite.auth import CertificateRegistry, token_router
from concord.sandbox.netsuite.errors import NetSuiteError
from concord.sandbox.netsuite.jobs import AsyncJobs
from concord.sandbox.netsuite.operations import Outcome
from concord.sandbox.netsuite.platform_profile import NETSUITE_PROFILE, NetSuiteErrorFormatter
from concord.sandbox.netsuite.service import RecordService
from concord.sandbox.netsuite.store import RecordRepository

DEFAULT_ACCOUNT_ID = "1234567"


def create_app(settings: EmulatorSettings, *, account_id: str = DEFAULT_ACCOUNT_ID) -> FastAPI:
    """Build the NetSuite emulator.

    Args:
        settings: How to run it. ``credentials`` maps ``"<client id>:<certificate id>"`` to the PEM
            public key (or certificate) of each OAuth 2.0 client-credentials mapping.
        account_id: The emulated account id (the ``realm`` of authentication challenges).

    Returns:
        The FastAPI app. ``app.state.netsuite`` holds the ``NetSuiteEmulator`` parts (repository,
        service, jobs, certificate registry) for tests and seeding.
    """
    registry = CertificateRegistry.from_credentials(settings.credentials)
    app = create_emulator_app(
        "netsuite",
        NetSuiteErrorFormatter(realm=account_id),
        NETSUITE_PROFILE,
        settings,
        [token_router(registry), certificate_admin_router(registry)],
    )
    sandbox = app.state.sandbox
    repo = RecordRepository(sandbox.store)
    service = RecordService(repo, sandbox.clock)
    jobs = AsyncJobs(sandbox.store, sandbox.clock, service)
    fast: list[FastRoute] = []
    app.include_router(platform_router(service, jobs, account_id, fast))
    app.state.netsuite = NetSuiteEmulator(repo, service, jobs, registry)

    async def on_netsuite_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NetSuiteError)
        return to_response(Outcome.failure(exc))

    app.add_exception_handler(NetSuiteError, on_netsuite_error)
    install_fast_lane(app, fast)
    return app


class NetSuiteEmulator:
    """The emulator's own parts, reachable as ``app.state.netsuite``.

    Attributes:
        repo: Stored records.
        service: Executes REST operations (usable without HTTP, e.g. to seed data).
        jobs: Asynchronous jobs.
        certificates: Public keys accepted by the token endpoint.
    """

    def __init__(
        self,
        repo: RecordRepository,
        service: RecordService,
        jobs: AsyncJobs,
        certificates: CertificateRegistry,
    ) -> None:
        self.repo = repo
        self.service = service
        self.jobs = jobs
        self.certificates = certificates
