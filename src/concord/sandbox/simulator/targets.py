"""``SandboxTargets``: where the three emulators answer and the credentials a client needs to use them.

The JSON shape is the one ``concord sandbox status --json`` prints (``SandboxAccess.connection_info()``
of ``concord.sandbox.launch``): one object per emulator, keyed ``salesforce``, ``kantata`` and
``netsuite``, possibly wrapped in an ``emulators`` object. Unknown keys are ignored, so the status may
carry more than the simulator needs::

    {
      "salesforce": {"base_url": "http://127.0.0.1:8701", "client_id": "...", "client_secret": "..."},
      "kantata": {"base_url": "http://127.0.0.1:8702", "client_id": "...", "client_secret": "..."},
      "netsuite": {"base_url": "http://127.0.0.1:8703", "client_id": "...", "certificate_id": "...",
                   "private_key_path": "/path/to/netsuite-m2m.key.pem", "jwt_algorithm": "ES256"}
    }

Secrets are typed ``SecretStr``: they never appear in a ``repr`` or a log line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

if TYPE_CHECKING:
    from concord.sandbox.launch.access import SandboxAccess

EMULATORS = ("salesforce", "kantata", "netsuite")
SALESFORCE_TOKEN_PATH = "/services/oauth2/token"
KANTATA_TOKEN_PATH = "/oauth/token"
NETSUITE_TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
DEFAULT_SALESFORCE_VERSION = "v60.0"
_VERSION_IN_URL = re.compile(r"/services/data/(v\d+\.\d+)")


class TargetsError(ValueError):
    """The targets document cannot be used (the message says which part is wrong and how to fix it)."""


class _Target(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    base_url: str = Field(min_length=1)
    token_url: str | None = None

    def url(self, path: str) -> str:
        """``base_url`` joined with an absolute ``path``."""
        return self.base_url.rstrip("/") + path

    def admin_url(self) -> str:
        """The sandbox admin API (``/__sandbox``) of this emulator."""
        return self.url("/__sandbox")


class SalesforceTarget(_Target):
    """A Salesforce org: a connected app allowed the client-credentials grant. The API version comes
    from ``api_version``, else from the ``api_url`` the status prints, else ``v60.0``."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    api_version: str = DEFAULT_SALESFORCE_VERSION

    @model_validator(mode="before")
    @classmethod
    def _version_from_api_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and "api_version" not in data:
            match = _VERSION_IN_URL.search(str(data.get("api_url") or ""))
            if match:
                return {**data, "api_version": match.group(1)}
        return data

    def token_endpoint(self) -> str:
        """Where to ask for a session."""
        return self.token_url or self.url(SALESFORCE_TOKEN_PATH)


class KantataTarget(_Target):
    """A Kantata OX account: an OAuth client allowed the client-credentials grant."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr

    def token_endpoint(self) -> str:
        """Where to ask for a bearer token."""
        return self.token_url or self.url(KANTATA_TOKEN_PATH)


class NetSuiteTarget(_Target):
    """A NetSuite account: an OAuth 2.0 client-credentials mapping (client id, certificate id, key)."""

    account_id: str = ""
    client_id: str = Field(min_length=1)
    certificate_id: str = Field(min_length=1)
    private_key_path: Path
    jwt_algorithm: str = "ES256"
    scope: str = "rest_webservices"

    def token_endpoint(self) -> str:
        """Where to exchange a signed client assertion for a token."""
        return self.token_url or self.url(NETSUITE_TOKEN_PATH)


class SandboxTargets(BaseModel):
    """The three emulators a simulation acts on."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    salesforce: SalesforceTarget
    kantata: KantataTarget
    netsuite: NetSuiteTarget

    @classmethod
    def from_json(cls, document: str | bytes | Mapping[str, Any]) -> SandboxTargets:
        """Read the targets from ``concord sandbox status --json`` output (text or parsed).

        Raises:
            TargetsError: Not JSON, or an emulator or a credential is missing.
        """
        try:
            data: Any = json.loads(document) if isinstance(document, str | bytes) else dict(document)
        except ValueError as exc:
            raise TargetsError(f"the sandbox status is not JSON ({exc})") from exc
        if isinstance(data, dict) and data.get("running") is False:
            raise TargetsError("the sandbox is not running: start it with `concord sandbox up --detach`")
        if isinstance(data, dict) and "salesforce" not in data and isinstance(data.get("emulators"), dict):
            data = data["emulators"]
        if not isinstance(data, dict):
            raise TargetsError("the sandbox status must be a JSON object with one entry per emulator")
        missing = [name for name in EMULATORS if name not in data]
        if missing:
            raise TargetsError(
                f"the sandbox status has no {', '.join(missing)} entry; is the sandbox running "
                "(`concord sandbox status --json`)?"
            )
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise TargetsError(f"the sandbox status is unusable at '{where}': {first['msg']}") from exc

    @classmethod
    def from_access(cls, access: SandboxAccess) -> SandboxTargets:
        """The targets of a sandbox described by ``concord.sandbox.launch.SandboxAccess``."""
        return cls.from_json(access.connection_info())

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> SandboxTargets:
        """The targets of the sandbox running from ``data_dir`` (``./.sandbox`` by default in the CLI).

        Raises:
            TargetsError: No sandbox runs from there.
        """
        from concord.sandbox.launch.supervisor import running_state

        state = running_state(data_dir.resolve())
        if state is None:
            raise TargetsError(
                f"no sandbox runs from {data_dir}: start one with `concord sandbox up --detach`"
            )
        return cls.from_access(state.access())

    def get(self, emulator: str) -> SalesforceTarget | KantataTarget | NetSuiteTarget:
        """The target called ``emulator``."""
        target: SalesforceTarget | KantataTarget | NetSuiteTarget = getattr(self, emulator)
        return target
