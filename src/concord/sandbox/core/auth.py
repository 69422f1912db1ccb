"""Opaque bearer tokens with expiry, and client-credential checks, for the emulators' token endpoints.

Each emulator mounts its own token endpoint (its platform's grant shapes and error bodies) and uses
these helpers to issue and check tokens. Tokens live in memory: a restarted emulator forgets them and
clients authenticate again, as they must after any real token loss.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from concord.sandbox.core.clock import Clock

_PRUNE_EVERY = 1_000


class TokenStatus(StrEnum):
    """Outcome of checking a presented token."""

    VALID = "valid"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access token and what it grants.

    Attributes:
        access_token: The opaque token string.
        subject: Whom it was issued to (client id or user name).
        scopes: Granted scopes.
        issued_at: Emulator clock time of issue.
        expires_at: Emulator clock time after which it is refused.
        refresh_token: A refresh token issued with it, if asked for.
        claims: Free extra facts for the emulator (instance URL, account id...).
    """

    access_token: str
    subject: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    refresh_token: str | None = None
    claims: Mapping[str, str] = field(default_factory=dict)

    def expires_in(self, now: datetime) -> int:
        """Whole seconds left at ``now`` (never negative)."""
        return max(int((self.expires_at - now).total_seconds()), 0)


class TokenStore:
    """Issued tokens of one emulator, checked against the emulator clock (so advancing it expires them).

    Args:
        clock: The emulator clock.
        default_ttl_s: Lifetime of a token when ``issue`` is given none.
        prefix: Prepended to generated tokens, to look like the platform's (e.g. ``"00D"``).
    """

    def __init__(self, clock: Clock, *, default_ttl_s: float = 3600.0, prefix: str = "") -> None:
        self._clock = clock
        self.real_time = False
        """Tokens expire by real time instead of the emulator clock (``PUT /__sandbox/profile``)."""
        self.default_ttl_s = default_ttl_s
        self.prefix = prefix
        self._tokens: dict[str, IssuedToken] = {}
        self._refresh: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()
        self._issued = 0

    def issue(
        self,
        subject: str,
        *,
        scopes: tuple[str, ...] = (),
        ttl_s: float | None = None,
        with_refresh_token: bool = False,
        claims: Mapping[str, str] | None = None,
    ) -> IssuedToken:
        """Create a new access token (and a refresh token if asked)."""
        now = self._now()
        token = IssuedToken(
            access_token=self.prefix + secrets.token_urlsafe(32),
            subject=subject,
            scopes=scopes,
            issued_at=now,
            expires_at=now + timedelta(seconds=self.default_ttl_s if ttl_s is None else ttl_s),
            refresh_token=secrets.token_urlsafe(32) if with_refresh_token else None,
            claims=dict(claims or {}),
        )
        with self._lock:
            self._tokens[token.access_token] = token
            if token.refresh_token is not None:
                self._refresh[token.refresh_token] = token
            self._issued += 1
            if self._issued % _PRUNE_EVERY == 0:
                self._prune(now)
        return token

    def inspect(self, access_token: str) -> tuple[TokenStatus, IssuedToken | None]:
        """Status of a presented token, and the token when known."""
        token = self._tokens.get(access_token)
        if token is None:
            return TokenStatus.UNKNOWN, None
        if self._now() >= token.expires_at:
            return TokenStatus.EXPIRED, token
        return TokenStatus.VALID, token

    def _now(self) -> datetime:
        return datetime.now(UTC) if self.real_time else self._clock.now()

    def check(self, access_token: str) -> IssuedToken | None:
        """The token if it is known and not expired, else ``None``."""
        status, token = self.inspect(access_token)
        return token if status is TokenStatus.VALID else None

    def refresh(self, refresh_token: str, *, ttl_s: float | None = None) -> IssuedToken | None:
        """A new access token for a known refresh token (which stays valid), or ``None``."""
        with self._lock:
            original = self._refresh.get(refresh_token)
        if original is None:
            return None
        fresh = self.issue(original.subject, scopes=original.scopes, ttl_s=ttl_s, claims=original.claims)
        fresh = replace(fresh, refresh_token=refresh_token)
        with self._lock:
            self._tokens[fresh.access_token] = fresh
        return fresh

    def revoke(self, token: str) -> bool:
        """Forget an access or refresh token; ``True`` if it was known."""
        with self._lock:
            found = self._tokens.pop(token, None) is not None
            return self._refresh.pop(token, None) is not None or found

    def expire_all(self) -> int:
        """Make every access token expired now (refresh tokens stay usable); returns how many."""
        now = self._now() - timedelta(microseconds=1)
        with self._lock:
            for key, token in self._tokens.items():
                self._tokens[key] = replace(token, expires_at=min(token.expires_at, now))
            return len(self._tokens)

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._tokens.clear()
            self._refresh.clear()

    def _prune(self, now: datetime) -> None:
        # Keep expired tokens for a day so a client presenting one still gets "expired", not "unknown".
        horizon = now - timedelta(days=1)
        for key in [k for k, t in self._tokens.items() if t.expires_at < horizon]:
            del self._tokens[key]


def bearer_token(authorization: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer <token>`` header, else ``None``."""
    if not authorization:
        return None
    scheme, _, credential = authorization.partition(" ")
    credential = credential.strip()
    return credential if scheme.lower() == "bearer" and credential else None


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """``(user, password)`` of an ``Authorization: Basic`` header, else ``None`` (also when malformed)."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def client_secret_ok(credentials: Mapping[str, str], client_id: str, client_secret: str) -> bool:
    """Whether ``client_secret`` is the configured secret of ``client_id`` (constant-time comparison)."""
    expected = credentials.get(client_id)
    if expected is None:
        # Compare anyway so unknown ids take as long as wrong secrets.
        hmac.compare_digest(client_secret.encode(), client_secret.encode())
        return False
    return hmac.compare_digest(expected.encode(), client_secret.encode())
