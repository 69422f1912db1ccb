"""``KantataSpec``: how to reach one Kantata OX (formerly Mavenlink) account. Only the URL and the
credentials differ between the sandbox emulator and the real platform.

Example (TOML)::

    [connectors.kantata]
    base_url = "https://api.mavenlink.com"
    auth = { kind = "refresh_token", client_id = "...", client_secret = "...", refresh_token = "..." }

Kantata authenticates API calls with an OAuth 2 bearer token (api-contracts.md §4.1). Access tokens do not
expire (only revocation ends them), so three ways in are offered:

- ``access_token``: a token an administrator obtained once (authorisation code flow); a refused token
  cannot be renewed and is a permanent error;
- ``refresh_token``: the client id and secret and a refresh token; a refused access token is renewed with
  ``grant_type=refresh_token``;
- ``client_credentials``: the client id and secret (Kantata's OIDC discovery lists this grant [3P]).

Secrets are ``SecretStr``: they print as ``**********`` and are unwrapped only to build a request.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from concord.connectors.http.governor import GovernorPolicy

PRODUCTION_URL = "https://api.mavenlink.com"
API_PATH = "/api/v1"
MAX_PER_PAGE = 200
"""Kantata's largest ``per_page``."""
MAX_BULK = 100
"""Objects per bulk create (``{"time_entries": [...]}``)."""


def default_rate() -> GovernorPolicy:
    """The call budget used when a spec gives none.

    Kantata answers 429 "after too many requests in a short window" and sends no usage or ``Retry-After``
    headers, so nothing warns before the limit: pace and concurrency are the only brakes. Its numbers are
    behind the customer login; these stay under the emulator's assumed 10 calls in flight and 600 calls a
    minute [U].
    """
    return GovernorPolicy(max_concurrency=8, requests_per_second=9.0)


def _http_url(value: str) -> str:
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL, e.g. {PRODUCTION_URL}")
    return text


class AccessTokenAuth(BaseModel):
    """A long-lived bearer token (Kantata's access tokens do not expire)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["access_token"] = "access_token"
    access_token: SecretStr


class RefreshTokenAuth(BaseModel):
    """The OAuth client and a refresh token from the authorisation code flow.

    ``access_token``, when given, is used until Kantata refuses it, saving one token call at start-up.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["refresh_token"] = "refresh_token"
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr
    access_token: SecretStr | None = None
    client_auth: Literal["basic", "post"] = "basic"


class ClientCredentialsAuth(BaseModel):
    """The OAuth client's id and secret (``grant_type=client_credentials``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["client_credentials"] = "client_credentials"
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    client_auth: Literal["basic", "post"] = "basic"


KantataAuth = Annotated[
    AccessTokenAuth | RefreshTokenAuth | ClientCredentialsAuth, Field(discriminator="kind")
]


class KantataSpec(BaseModel):
    """One Kantata OX account as Concord reaches it.

    Attributes:
        base_url: The API host (``https://api.mavenlink.com``; the emulator's URL in tests). A trailing
            ``/api/v1`` is accepted and dropped.
        token_url: The OAuth token endpoint (default ``{base_url}/oauth/token``, which Kantata's OIDC
            discovery lists; ``https://app.mavenlink.com/oauth/token`` also works).
        auth: Access token, refresh token or client credentials.
        timeout_s: Read/write timeout per call (Kantata gives up on a request after 3 minutes with 504).
        connect_timeout_s: Connection timeout.
        per_page: Records per page when listing (1 to 200).
        bulk_size: Objects per bulk create call (1 to 100).
        throttle_backoff_s: How long to wait after a 429 (Kantata sends no ``Retry-After``; its advice is
            "retry after a small delay").
        service_name: The ``service_name`` of the external references Concord writes and looks up.
        rate: The call budget (concurrency and pace; see ``default_rate``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = PRODUCTION_URL
    token_url: str | None = None
    auth: KantataAuth
    timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    per_page: int = Field(default=MAX_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    bulk_size: int = Field(default=MAX_BULK, ge=1, le=MAX_BULK)
    throttle_backoff_s: float = Field(default=5.0, gt=0, le=600)
    service_name: str = Field(default="concord", min_length=1, max_length=255)
    rate: GovernorPolicy = Field(default_factory=default_rate)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return _http_url(value).removesuffix(API_PATH)

    @field_validator("token_url")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @property
    def api_root(self) -> str:
        """``https://api.mavenlink.com/api/v1``."""
        return f"{self.base_url}{API_PATH}"

    @property
    def oauth_token_url(self) -> str:
        """Where tokens are obtained."""
        return self.token_url or f"{self.base_url}/oauth/token"
