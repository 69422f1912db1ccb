"""``NetSuiteSpec``: how to reach one NetSuite account. Only the URL and the credentials differ between the
sandbox emulator and a real account.

Example (TOML)::

    [connectors.netsuite]
    account_id = "1234567_SB1"            # REST host: https://1234567-sb1.suitetalk.api.netsuite.com
    client_id = "3f1c0a8e..."             # the integration record's client id
    certificate_id = "Ab12Cd34..."        # the id NetSuite gave the certificate on the M2M setup page
    private_key_path = "/run/secrets/netsuite.pem"
    algorithm = "PS256"

The private key is a ``SecretStr`` (or a file): it prints as ``**********`` and is unwrapped only to sign
the token request's client assertion.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from concord.connectors.http.governor import GovernorPolicy

DEFAULT_CONCURRENCY = 5
"""Calls in flight at once: the share of the account's concurrency limit (15 for the default service tier,
+10 per SuiteCloud Plus licence) an administrator typically allocates to one integration."""

SCOPES = frozenset({"restlets", "rest_webservices", "suite_analytics"})
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d8a52-3b7e-5c1a-9e0d-4c2b7a1f9e35")
"""uuid5 namespace turning Concord's idempotency keys into the UUIDs NetSuite requires."""

Algorithm = Literal["PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
_ACCOUNT = re.compile(r"^[A-Za-z0-9]+(?:[_-][A-Za-z0-9]+)*$")


def account_host(account_id: str) -> str:
    """The account id as NetSuite writes it in host names: lower case, ``_`` → ``-`` (``1234567-sb1``)."""
    return account_id.strip().lower().replace("_", "-")


def _default_rate() -> GovernorPolicy:
    return GovernorPolicy(max_concurrency=DEFAULT_CONCURRENCY)


class NetSuiteSpec(BaseModel):
    """One NetSuite account as Concord reaches it (OAuth 2.0 client credentials, machine to machine).

    Attributes:
        account_id: The account id (``1234567``, ``1234567_SB1`` for a sandbox account).
        base_url: The REST web services host; by default ``https://<account>.suitetalk.api.netsuite.com``.
        client_id: The integration record's client id (the assertion's ``iss``).
        certificate_id: The certificate id of the client-credentials mapping (the assertion's ``kid``).
        private_key: The certificate's private key as PEM text (or give ``private_key_path``).
        private_key_path: A PEM file holding it.
        algorithm: How the assertion is signed: RSA-PSS (``PS256``, keys of 3072 bits or more) or ECDSA
            (``ES256`` on P-256).
        scopes: Scopes asked for (``rest_webservices`` is needed for the REST API).
        assertion_ttl_s: Lifetime of each client assertion (NetSuite allows at most an hour).
        timeout_s: Read/write timeout per call.
        connect_timeout_s: Connection timeout.
        query_page_size: Rows per SuiteQL / record list page (NetSuite's maximum is 1000).
        async_poll_s: First wait before polling an asynchronous job (it grows up to ``async_poll_max_s``).
        async_poll_max_s: Longest wait between two polls of a job.
        async_timeout_s: How long to follow a job before giving up for now (transient: submitting again
            with the same key follows the same job).
        time_zone: The time zone SuiteQL shows dates in (the integration user's preference), for turning
            ``lastmodifieddate`` into an instant.
        strict_field_names: Send ``X-NetSuite-PropertyNameValidation: Error`` so that a misspelt field is
            refused instead of silently ignored.
        rate: The call budget; ``max_concurrency`` is what keeps Concord under the concurrency limit
            allocated to its integration.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: str = Field(min_length=1)
    base_url: str | None = None
    client_id: str = Field(min_length=1)
    certificate_id: str = Field(min_length=1)
    private_key: SecretStr | None = None
    private_key_path: Path | None = None
    algorithm: Algorithm = "PS256"
    scopes: tuple[str, ...] = ("restlets", "rest_webservices")
    assertion_ttl_s: int = Field(default=300, ge=30, le=3600)
    timeout_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    query_page_size: int = Field(default=1000, ge=1, le=1000)
    async_poll_s: float = Field(default=0.25, gt=0)
    async_poll_max_s: float = Field(default=5.0, gt=0)
    async_timeout_s: float = Field(default=900.0, gt=0)
    time_zone: str = "UTC"
    strict_field_names: bool = True
    rate: GovernorPolicy = Field(default_factory=_default_rate)

    @field_validator("account_id")
    @classmethod
    def _account(cls, value: str) -> str:
        if not _ACCOUNT.match(value.strip()):
            raise ValueError(f"account_id {value!r} should look like 1234567 or 1234567_SB1")
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"{value!r} is not an http(s) URL, e.g. https://1234567.suitetalk.api.netsuite.com"
            )
        return value.strip().rstrip("/")

    @field_validator("scopes", mode="before")
    @classmethod
    def _scope_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(s for s in re.split(r"[\s,]+", value) if s)
        return value

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; NetSuite knows {sorted(SCOPES)}")
        if "rest_webservices" not in value:
            raise ValueError("scopes must include rest_webservices (the REST Record API and SuiteQL need it)")
        return tuple(dict.fromkeys(value))

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as America/New_York"
            ) from exc
        return value

    @model_validator(mode="after")
    def _one_key(self) -> NetSuiteSpec:
        if (self.private_key is None) == (self.private_key_path is None):
            raise ValueError(
                "give the certificate's private key as either private_key (PEM) or private_key_path"
            )
        if self.async_poll_max_s < self.async_poll_s:
            raise ValueError("async_poll_max_s must not be below async_poll_s")
        return self

    def signing_key(self) -> str:
        """The PEM private key (read from ``private_key_path`` when given as a file)."""
        if self.private_key is not None:
            return self.private_key.get_secret_value()
        assert self.private_key_path is not None
        return self.private_key_path.read_text(encoding="utf-8")

    @property
    def api_url(self) -> str:
        """Scheme and host of the REST web services (no trailing slash)."""
        return self.base_url or f"https://{account_host(self.account_id)}.suitetalk.api.netsuite.com"

    @property
    def token_url(self) -> str:
        """The OAuth 2.0 token endpoint (also the assertion's ``aud``)."""
        return f"{self.api_url}/services/rest/auth/oauth2/v1/token"

    @property
    def zone(self) -> ZoneInfo:
        """``time_zone`` as a ``ZoneInfo``."""
        return ZoneInfo(self.time_zone)
