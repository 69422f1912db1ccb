"""``SalesforceSpec``: how to reach one Salesforce org. Only the URLs and credentials differ between the
sandbox emulator and a real org.

Example (TOML)::

    [connectors.salesforce]
    login_url = "https://acme.my.salesforce.com"
    api_version = "60.0"
    auth = { kind = "client_credentials", consumer_key = "3MVG9...", consumer_secret = "..." }

The consumer secret and the JWT private key are ``SecretStr``: they print as ``**********`` and are
unwrapped only to build the token request.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from concord.connectors.http.governor import GovernorPolicy

LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")
"""The generic login hosts; the client-credentials flow is refused there (it needs the org's My Domain)."""

_VERSION = re.compile(r"^v?(\d{2,3})\.0$")


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://acme.my.salesforce.com")
    return value.strip().rstrip("/")


class ClientCredentialsAuth(BaseModel):
    """OAuth 2.0 client credentials: the connected app's consumer key and secret; the app runs as its
    configured "run as" user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["client_credentials"] = "client_credentials"
    consumer_key: str = Field(min_length=1)
    consumer_secret: SecretStr


class JwtBearerAuth(BaseModel):
    """OAuth 2.0 JWT bearer: an RS256 assertion signed with the private key whose certificate is uploaded to
    the connected app, for a pre-authorised ``username``.

    Give the key as PEM text (``private_key``) or a file (``private_key_path``), not both.
    ``audience`` is ``https://login.salesforce.com``, or ``https://test.salesforce.com`` for sandbox orgs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["jwt_bearer"] = "jwt_bearer"
    consumer_key: str = Field(min_length=1)
    username: str = Field(min_length=1)
    private_key: SecretStr | None = None
    private_key_path: Path | None = None
    audience: str = "https://login.salesforce.com"
    assertion_ttl_s: int = Field(default=180, ge=30, le=300)

    @model_validator(mode="after")
    def _one_key(self) -> JwtBearerAuth:
        if (self.private_key is None) == (self.private_key_path is None):
            raise ValueError("give the JWT signing key as either private_key (PEM) or private_key_path")
        return self

    def signing_key(self) -> str:
        """The PEM private key (read from ``private_key_path`` when given as a file)."""
        if self.private_key is not None:
            return self.private_key.get_secret_value()
        assert self.private_key_path is not None
        return self.private_key_path.read_text(encoding="utf-8")


SalesforceAuth = Annotated[ClientCredentialsAuth | JwtBearerAuth, Field(discriminator="kind")]


class SalesforceSpec(BaseModel):
    """One Salesforce org as Concord reaches it.

    Attributes:
        login_url: Where the token endpoint is (``https://<MyDomain>.my.salesforce.com``, or
            ``https://login.salesforce.com`` / ``https://test.salesforce.com`` for JWT bearer).
        instance_url: Where the REST API is; by default the ``instance_url`` of the token response.
        api_version: REST API version, ``60.0`` (``v60.0`` is accepted).
        auth: Client credentials or JWT bearer.
        timeout_s: Read/write timeout per call.
        connect_timeout_s: Connection timeout.
        session_ttl_s: The org's session timeout: the token is renewed this long after it was issued
            (None: only when a call is refused with 401).
        query_batch_size: Rows per query page (``Sforce-Query-Options: batchSize``, 200 to 2,000).
        client_name: Sent as ``Sforce-Call-Options: client=...``; change events carry it in
            ``changeOrigin``, which is how Concord recognises its own writes coming back.
        rate: The call budget (concurrency, pace, quota thresholds).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    login_url: str
    instance_url: str | None = None
    api_version: str = "60.0"
    auth: SalesforceAuth
    timeout_s: float = Field(default=30.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    session_ttl_s: float | None = Field(default=7200.0, gt=0)
    query_batch_size: int | None = Field(default=None, ge=200, le=2000)
    client_name: str = Field(default="concord", pattern=r"^[A-Za-z0-9_\-.]+$")
    rate: GovernorPolicy = Field(default_factory=GovernorPolicy)

    @field_validator("login_url")
    @classmethod
    def _login(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("instance_url")
    @classmethod
    def _instance(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = _VERSION.match(value.strip())
        if match is None:
            raise ValueError(f"api_version {value!r} should look like '60.0'")
        return f"{int(match.group(1))}.0"

    @model_validator(mode="after")
    def _client_credentials_need_my_domain(self) -> SalesforceSpec:
        host = urlsplit(self.login_url).hostname or ""
        if isinstance(self.auth, ClientCredentialsAuth) and host in LOGIN_HOSTS:
            raise ValueError(
                "the client credentials flow only works against the org's My Domain: set login_url to "
                f"https://<your-domain>.my.salesforce.com instead of {self.login_url}"
            )
        return self

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return f"{self.login_url}/services/oauth2/token"

    @property
    def api_path(self) -> str:
        """``/services/data/v60.0``."""
        return f"/services/data/v{self.api_version}"
