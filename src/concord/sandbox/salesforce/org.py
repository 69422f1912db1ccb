"""``SalesforceOrg``: the emulated org's parts (schema, records, change log, users and connected apps,
sessions, query cursors) in one object, reachable from handlers as ``app.state.salesforce``.

A fresh org (and every org after ``POST /__sandbox/reset``) holds two users and the connected apps of
``EmulatorSettings.credentials`` (consumer key → consumer secret), all able to log in as the integration
user. With no credentials configured, one default app is registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from concord.sandbox.core.state import SandboxState
from concord.sandbox.salesforce import ids
from concord.sandbox.salesforce.auth.directory import ConnectedApp, Directory
from concord.sandbox.salesforce.cdc import ChangeLog
from concord.sandbox.salesforce.cursors import QueryCursors
from concord.sandbox.salesforce.records.context import CallContext
from concord.sandbox.salesforce.records.repository import RecordRepository
from concord.sandbox.salesforce.records.service import RecordService
from concord.sandbox.salesforce.schema.catalog import Catalog, default_catalog
from concord.sandbox.salesforce.values import format_datetime

SYSTEM_USER_ID = ids.to_18("0058d0000000001")
"""The "Automated Process" user that owns seeded records."""
INTEGRATION_USER_ID = ids.to_18("0058d0000000002")
DEFAULT_USERNAME = "integration@concord.sandbox"
DEFAULT_PASSWORD = "sandbox-password"
DEFAULT_SECURITY_TOKEN = "SANDBOXTOKEN"
DEFAULT_CLIENT_ID = "concord-sandbox-consumer-key"
DEFAULT_CLIENT_SECRET = "concord-sandbox-consumer-secret"


@dataclass
class SalesforceOrg:
    """Everything the Salesforce routes work with."""

    state: SandboxState
    catalog: Catalog
    repo: RecordRepository
    records: RecordService
    changes: ChangeLog
    directory: Directory
    cursors: QueryCursors
    id_generator: ids.IdGenerator

    @classmethod
    def build(cls, state: SandboxState) -> SalesforceOrg:
        """Create the org's collections in ``state.store`` and seed its users and apps."""
        catalog = default_catalog()
        repo = RecordRepository(state.store, catalog)
        changes = ChangeLog(state.store, catalog)
        id_generator = ids.IdGenerator()
        org = cls(
            state=state,
            catalog=catalog,
            repo=repo,
            records=RecordService(repo, catalog, state.clock, id_generator, changes),
            changes=changes,
            directory=Directory(state.store),
            cursors=QueryCursors(id_generator),
            id_generator=id_generator,
        )
        org.seed_defaults()
        return org

    def system_context(self, api_version: str = "59.0") -> CallContext:
        """A call context for sandbox-side writes (seeding, admin actions)."""
        return CallContext(SYSTEM_USER_ID, api_version, client="concord-sandbox")

    def seed_defaults(self) -> None:
        """(Re-)create the fixed users and the configured connected apps; idempotent."""
        self._ensure_user(SYSTEM_USER_ID, "autoproc@concord.sandbox", "Automated", "Process")
        self._ensure_user(INTEGRATION_USER_ID, DEFAULT_USERNAME, "Concord", "Integration")
        if self.directory.login(DEFAULT_USERNAME) is None:
            self.directory.put_login(
                INTEGRATION_USER_ID, DEFAULT_USERNAME, DEFAULT_PASSWORD, DEFAULT_SECURITY_TOKEN
            )
        credentials: Mapping[str, str] = self.state.settings.credentials or {
            DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET
        }
        for client_id, secret in credentials.items():
            existing = self.directory.app(client_id)
            if existing is None or existing.client_secret != secret:
                self.directory.put_app(ConnectedApp(client_id, secret, run_as=DEFAULT_USERNAME))

    def _ensure_user(self, user_id: str, username: str, first: str, last: str) -> None:
        user_def = self.catalog.get("User")
        if user_def is None or self.repo.get("User", user_id, include_deleted=True) is not None:
            return
        now = format_datetime(self.state.clock.now())
        record: dict[str, Any] = {
            "Id": user_id,
            "IsDeleted": False,
            "Username": username,
            "FirstName": first,
            "LastName": last,
            "Name": f"{first} {last}",
            "Email": username,
            "Alias": (first[:1] + last[:4]).lower(),
            "IsActive": True,
            "CreatedDate": now,
            "CreatedById": SYSTEM_USER_ID,
            "LastModifiedDate": now,
            "LastModifiedById": SYSTEM_USER_ID,
            "SystemModstamp": now,
        }
        self.repo.insert(user_def, record)

    def add_user(
        self,
        username: str,
        password: str,
        security_token: str,
        *,
        first_name: str = "",
        last_name: str = "User",
    ) -> str:
        """Create a User record with login credentials; returns its id."""
        user_def = self.catalog.get("User")
        assert user_def is not None
        body = {
            "Username": username,
            "FirstName": first_name or None,
            "LastName": last_name,
            "Email": username,
        }
        user_id = self.records.create(user_def, body, self.system_context())
        self.directory.put_login(user_id, username, password, security_token)
        return user_id

    def on_reset(self) -> None:
        """After the core wiped the store: drop cursors and seed the fixed records again."""
        self.cursors.clear()
        self.seed_defaults()
